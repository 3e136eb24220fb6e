"""What operators' Prometheus scrapes from a running stack (sixth issue, item 5): every
service's ``/metrics`` and the gateway's, parsed with ``prometheus_client.parser``.

* business gauges: open and overdue to-dos per tenant (routing), received documents
  registered per tenant (documents), e-mails and texts by channel and status (notify),
  the latest published year of the national calendar (routing);
* the kernel's health in every service: the outbox's backlog and the age of its oldest
  row, the relay's published events, parked events; the scanner's pass duration;
* a gauge that cannot be computed (the database away, a query failing) is left out of
  the scrape, which still answers at once with everything else;
* every metric that a dashboard panel or an alert rule of ``deploy/`` names is one the
  stack really exposes (a histogram's ``_bucket``/``_sum``/``_count``, a counter's
  ``_total``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from typing import Any

import pytest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text
from sqlalchemy.engine import Connection

from devstack.stack import Stack
from services.common.catalog import SERVICES
from services.common.observability import DatabaseGauges, outbox_gauges
from services.common.settings import Settings
from tests.support.gateway import Gateway, Office, User, ok
from tests.support.overdue import SetClock, build_office, new_document, shanghai
from tests.support.prometheus import dashboard_exprs, metric_names, rule_exprs, scrape, value
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

GAUGE_WAIT = 45.0  # the database gauges are reused for 30 s after a scrape


def service_url(stack: Stack, service: str) -> str:
    return f"http://127.0.0.1:{stack.metrics_ports[service]}/metrics"


@pytest.fixture(scope="module")
def metrics_office(gw: Gateway, platform_admin: User) -> Office:
    return build_office(gw, platform_admin, "运维指标采集测试厅")


def test_business_gauges_count_a_tenants_tasks_overdue_and_documents(
    stack: Stack, metrics_office: Office, clock: SetClock, rpc: SyncRpc
) -> None:
    office = metrics_office
    clock(shanghai(2026, 12, 7, 10))  # a Monday: due at the end of Friday the 11th
    new_document(office, "关于报送年度运维指标的通知", "电子政务处")
    new_document(office, "关于开展政务服务评估的函", "电子政务处")
    clock(shanghai(2026, 12, 14, 10))
    rpc.call("routing", "scan_now")

    def routing_counts() -> tuple[float, float] | None:
        samples, _ = scrape(service_url(stack, "routing"))
        n_open = value(samples, "gongwen_tasks_open", tenant=office.code)
        n_overdue = value(samples, "gongwen_tasks_overdue", tenant=office.code)
        return (n_open, n_overdue) if n_overdue == 2 and n_open is not None else None

    n_open, n_overdue = eventually(routing_counts, GAUGE_WAIT, "the overdue to-dos counted")
    assert n_overdue == 2 and n_open >= 2  # both 签收 still open, both past due

    def documents_count() -> float | None:
        samples, _ = scrape(service_url(stack, "documents"))
        return value(samples, "gongwen_documents_registered", tenant=office.code) == 2

    eventually(documents_count, GAUGE_WAIT, "the tenant's registered documents counted")


def test_the_calendar_gauge_names_the_latest_published_year(
    stack: Stack, metrics_office: Office
) -> None:
    years = ok(metrics_office["wenshu"].get("/calendar/years"))
    latest = max(y["year"] for y in years if not y["provisional"])

    def exported() -> bool:
        samples, _ = scrape(service_url(stack, "routing"))
        if value(samples, "gongwen_calendar_latest_published_year") != latest:
            return False
        return value(samples, "gongwen_calendar_published_year", year=str(latest)) == 1

    eventually(exported, GAUGE_WAIT, "the latest published year")


def test_notify_exports_messages_by_channel_and_status(stack: Stack) -> None:
    samples, _ = scrape(service_url(stack, "notify"))
    for channel in ("email", "sms"):
        for status in ("scheduled", "queued", "sending", "sent", "failed", "dropped"):
            assert (
                value(samples, "gongwen_notify_messages", channel=channel, status=status)
                is not None
            )
        for outcome in ("sent", "failed", "retry"):
            assert (
                value(samples, "gongwen_notify_sends_total", channel=channel, outcome=outcome)
                is not None
            )
    assert value(samples, "gongwen_notifications_unread") is not None


def test_every_service_exports_its_outbox_health(stack: Stack, metrics_office: Office) -> None:
    new_document(metrics_office, "关于核对发文字号的通知", "电子政务处")  # documents publishes
    for service in SERVICES:
        samples, _ = scrape(service_url(stack, service))
        backlog = value(samples, "gongwen_outbox_backlog", service=service)
        age = value(samples, "gongwen_outbox_oldest_age_seconds", service=service)
        assert backlog is not None and backlog >= 0, service
        assert age is not None and 0 <= age < 3600, service  # the relay keeps up
        assert value(samples, "gongwen_outbox_published_total", service=service) is not None

    def published() -> bool:
        samples, _ = scrape(service_url(stack, "documents"))
        return (value(samples, "gongwen_outbox_published_total", service="documents") or 0) > 0

    eventually(published, 15, "documents' relay publishing")


def test_the_scanner_reports_each_pass(stack: Stack, rpc: SyncRpc) -> None:
    before, _ = scrape(service_url(stack, "routing"))
    count = value(before, "gongwen_scanner_pass_duration_seconds_count") or 0
    rpc.call("routing", "scan_now")
    after, types = scrape(service_url(stack, "routing"))
    assert types["gongwen_scanner_pass_duration_seconds"] == "histogram"
    assert (value(after, "gongwen_scanner_pass_duration_seconds_count") or 0) >= count + 1
    assert value(after, "gongwen_scanner_marked_total", kind="overdue") is not None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_gauge_that_cannot_be_computed_is_left_out(settings: Settings) -> None:
    url = settings.app_database_url("routing")

    def broken(connection: Connection) -> Iterable[Any]:
        connection.execute(text("SELECT * FROM no_such_table"))
        return []

    def after(connection: Connection) -> Iterable[Any]:
        family = GaugeMetricFamily("gongwen_test_after", "computed after a failing one")
        family.add_metric([], float(connection.execute(text("SELECT 7")).scalar() or 0))
        return [family]

    one_fails = DatabaseGauges("routing", [broken, outbox_gauges("routing"), after], url)
    names = {f.name for f in one_fails.collect()}
    assert names == {
        "gongwen_outbox_backlog",
        "gongwen_outbox_oldest_age_seconds",
        "gongwen_test_after",
    }

    # the database away: nothing from it, no exception, at once — and not asked again
    # for the next scrapes within the cache time
    away = url.replace(f":{settings.pg_port}/", f":{_closed_port()}/")
    gone = DatabaseGauges("routing", [outbox_gauges("routing")], away)
    started = time.monotonic()
    assert list(gone.collect()) == []
    assert list(gone.collect()) == []
    assert time.monotonic() - started < 5


def exposed_names(stack: Stack) -> set[str]:
    """Every sample name the stack's /metrics endpoints expose or declare (a family
    declared without samples yet — a labelled counter never incremented — counts with
    the names its type gives it)."""
    urls = [service_url(stack, s) for s in SERVICES] + [f"{stack.gateway_url}/metrics"]
    names: set[str] = set()
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
        "gauge": ("",),
        "untyped": ("",),
    }
    for url in urls:
        samples, types = scrape(url)
        names.update(samples)
        for name, kind in types.items():
            names.update(name + s for s in suffixes.get(kind, ("",)))
    return names


def test_every_dashboard_and_alert_metric_is_exposed(stack: Stack, metrics_office: Office) -> None:
    new_document(metrics_office, "关于检查监控面板的通知", "电子政务处")  # RPCs, events
    exposed = exposed_names(stack)
    exposed.add("up")  # Prometheus' own, per target
    used: dict[str, set[str]] = {}
    for where, expr in [*dashboard_exprs(), *rule_exprs()]:
        for name in metric_names(expr):
            used.setdefault(name, set()).add(where)
    assert used, "no expression found in deploy/"
    missing = {name: sorted(where) for name, where in used.items() if name not in exposed}
    assert missing == {}
