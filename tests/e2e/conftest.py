"""Fixtures of the end-to-end tests: signed-in users, tenants and an org tree, all
made through the gateway's HTTP API of the session's isolated stack.

Every test that provokes failed logins or many requests uses a client address
of its own (``127.0.0.x`` — the whole 127/8 is loopback): the identity service
throttles failed logins per address and the gateway limits requests per
address, and one test must not spend another's allowance.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from kombu import Connection, Exchange, Queue

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support import gateway_fixtures
from tests.support.gateway import (
    Gateway,
    Office,
    Org,
    Tenants,
    User,
    build_org,
    incoming_office,
    onboard_province,
    other_incoming_office,
    signing_key_of,
)
from tests.support.overdue import RoutingEvents, SetClock, at
from tests.support.stacks import SyncRpc

# the session fixtures of the suites through the gateway (tests/e2e, tests/browser)
settings = gateway_fixtures.settings
gw = gateway_fixtures.gw
platform_admin = gateway_fixtures.platform_admin

# -- tenants ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tenants(gw: Gateway, platform_admin: User) -> Tenants:
    """贵州省 (gz) and its cities 贵阳市 (gz-gy) and 黔东南州 (gz-qdn), onboarded by the
    platform administrator, each with its administrator signed in."""
    return onboard_province(gw, platform_admin)


# -- the org tree of the province ---------------------------------------------------------------


@pytest.fixture(scope="session")
def org(tenants: Tenants) -> Org:
    return build_org(tenants)


# -- the identity service's signing key (to craft tokens it would have signed) ------------------


@pytest.fixture(scope="session")
def identity_signing_key(settings: Settings) -> tuple[str, str]:
    """(kid, private key PEM) of the identity service's current signing key."""
    return signing_key_of(settings)


# -- incoming documents (收文): a tenant of their own ------------------------------------------------


@pytest.fixture(scope="session")
def office(gw: Gateway, platform_admin: User) -> Office:
    """收文测试厅: the tenant of the incoming-documents tests (items 1–5 of the issue)."""
    return incoming_office(gw, platform_admin)


@pytest.fixture(scope="session")
def other_office(gw: Gateway, platform_admin: User) -> Office:
    """Another tenant with a registry, a division and a handler (tenant isolation)."""
    return other_incoming_office(gw, platform_admin)


# -- routing's test clock and events (the overdue flows) ------------------------------------------


@pytest.fixture()
def clock(rpc: SyncRpc) -> Iterator[SetClock]:
    """Routing's test clock, set by the test; real time again afterwards."""

    def set_clock(instant: dt.datetime) -> None:
        out = rpc.call("routing", "set_test_clock", now=instant.isoformat())
        assert out["frozen"] is True and at(out["now"]) == instant

    yield set_clock
    rpc.call("routing", "set_test_clock", now=None)


@pytest.fixture()
def routing_events(stack: Stack) -> Iterator[RoutingEvents]:
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        queue = Queue(
            f"tests-overdue-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", exclusive=True
        )(conn.default_channel)
        queue.declare()
        yield RoutingEvents(queue)
