"""The broker goes away and comes back; Redis goes away; too many requests.

The machine's RabbitMQ is shared, so it is never stopped: a second gateway is
started whose broker connection runs through a TCP proxy in this process, and
the proxy is cut (all connections closed, new ones refused) and restored.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from devstack.stack import Stack
from tests.support.faults import TcpProxy, amqp_uri_via, extra_gateway
from tests.support.gateway import Gateway, Org, expect_error, fresh_address, ok, wait_until
from tests.support.stacks import unique


@pytest.fixture()
def proxy() -> Iterator[TcpProxy]:
    p = TcpProxy(("127.0.0.1", 5672)).start()
    yield p
    p.close()


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_broker_outage_answers_503_within_two_seconds_and_recovers(
    stack: Stack, org: Org, proxy: TcpProxy
):
    uri = amqp_uri_via(stack.env["AMQP_URI"], proxy.port)
    with extra_gateway(stack, unique("via-proxy-"), AMQP_URI=uri) as extra:
        extra.wait_ready()
        gateway = Gateway(extra.url)
        try:
            address = fresh_address()
            user = gateway.login("gz", "wenshu1", address=address)
            assert user.me()["username"] == "wenshu1"
            assert proxy.accepted >= 1

            proxy.cut()
            for _ in range(3):  # every call, not only the first, fails fast
                response, elapsed = timed(lambda: user.get("/me"))
                expect_error(response, 503, "broker_unavailable")
                assert elapsed < 2.0, elapsed
            anonymous = gateway.client(address=address)
            response, elapsed = timed(
                lambda: anonymous.post(
                    "/auth/login",
                    json={"tenant": "gz", "username": "wenshu1", "password": "x"},
                )
            )
            expect_error(response, 503, "broker_unavailable")
            assert elapsed < 2.0
            ready = httpx.get(extra.url + "/readyz", timeout=5, trust_env=False)
            expect_error(ready, 503, "broker_unavailable")
            assert httpx.get(extra.url + "/healthz", trust_env=False).status_code == 200

            proxy.restore()
            wait_until(lambda: user.get("/me").status_code == 200, 15, "the gateway to recover")
            assert extra.proc.poll() is None  # same process: it reconnected by itself
            assert user.me()["username"] == "wenshu1"
            assert (
                ok(httpx.get(extra.url + "/readyz", timeout=5, trust_env=False))["status"]
                == "ready"
            )
        finally:
            gateway.close()


def test_requests_over_the_per_address_limit_get_429(stack: Stack, org: Org):
    limit = 5
    with extra_gateway(
        stack,
        unique("limited-"),
        GATEWAY_RATE_LIMIT_PER_MINUTE=str(limit),
        REDIS_KEY_PREFIX=unique("gwrl") + ":",
    ) as extra:
        extra.wait_ready()
        gateway = Gateway(extra.url)
        try:
            client = gateway.client(address=fresh_address())
            statuses = [client.get("/auth/jwks").status_code for _ in range(2 * limit + 1)]
            # a minute boundary may fall inside the burst and reset the count once
            assert 429 in statuses, statuses
            assert limit <= statuses.index(429) <= 2 * limit
            assert set(statuses) == {200, 429}
            refused = client.get("/auth/jwks")
            expect_error(refused, 429, "rate_limited")
            assert int(refused.headers["Retry-After"]) >= 1
            # another address has its own allowance; operations endpoints are not limited
            assert gateway.client(address=fresh_address()).get("/auth/jwks").status_code == 200
            assert httpx.get(extra.url + "/healthz", trust_env=False).status_code == 200
        finally:
            gateway.close()


def test_without_redis_requests_are_let_through(stack: Stack, org: Org):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with extra_gateway(
        stack,
        unique("no-redis-"),
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        GATEWAY_RATE_LIMIT_PER_MINUTE="2",
    ) as extra:
        extra.wait_ready()
        gateway = Gateway(extra.url)
        try:
            user = gateway.login("gz", "wenshu1", address=fresh_address())
            for _ in range(6):
                assert user.me()["username"] == "wenshu1"
            assert "rate limit not enforced" in extra.log_tail(20000)
        finally:
            gateway.close()
