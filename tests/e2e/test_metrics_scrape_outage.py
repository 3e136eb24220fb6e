"""A service's database goes away: its ``/metrics`` still answers at once, with the
process's own metrics, and the gauges read from the database are left out (no stale
value, no error) until it is back.

The machine's PostgreSQL is shared, so it is never stopped: routing, in a stack of its
own, reaches it through a TCP proxy in this process, which is cut and restored. The
database gauges are reused for 1 s here (``METRICS_GAUGES_TTL``), not 30.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from tests.support.faults import TcpProxy
from tests.support.prometheus import scrape
from tests.support.stacks import partial_stack, settings_for
from tests.support.waiting import eventually

DATABASE_GAUGES = (
    "gongwen_calendar_latest_published_year",
    "gongwen_outbox_backlog",
    "gongwen_outbox_oldest_age_seconds",
)


@pytest.fixture(scope="module")
def pg_proxy() -> Iterator[TcpProxy]:
    settings = settings_for({})
    proxy = TcpProxy((settings.pg_host, settings.pg_port)).start()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def routing_stack(pg_proxy: TcpProxy) -> Iterator[Stack]:
    env = {"PG_HOST": "127.0.0.1", "PG_PORT": str(pg_proxy.port), "METRICS_GAUGES_TTL": "1"}
    for stack in partial_stack("gaugepg", ("routing",), extra_env=env):
        try:
            yield stack
        finally:
            pg_proxy.restore()  # the stack's databases are dropped through it


def test_a_scrape_leaves_out_the_database_gauges_while_the_database_is_away(
    routing_stack: Stack, pg_proxy: TcpProxy
) -> None:
    url = f"http://127.0.0.1:{routing_stack.metrics_ports['routing']}/metrics"

    def with_gauges() -> bool:
        samples, _ = scrape(url)
        return all(name in samples for name in DATABASE_GAUGES)

    eventually(with_gauges, 60, "routing's database gauges")

    pg_proxy.cut()
    time.sleep(1.5)  # what the last scrape read is no longer reused
    for _ in range(2):  # the scrape that finds the database away, and the next
        started = time.monotonic()
        samples, _ = scrape(url)
        assert time.monotonic() - started < 6, "a scrape waited for the database"
        assert not [name for name in DATABASE_GAUGES if name in samples]
        # the process's own metrics are all there
        assert "gongwen_scanner_pass_duration_seconds_count" in samples
        assert "gongwen_outbox_published_total" in samples
        assert "process_cpu_seconds_total" in samples

    pg_proxy.restore()
    eventually(with_gauges, 30, "the database gauges back")
