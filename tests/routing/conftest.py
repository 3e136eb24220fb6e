"""Fixtures of the routing tests: an isolated stack with identity, documents and routing.

The services run as real processes against this machine's RabbitMQ (own vhost),
PostgreSQL (own databases) and Redis, with moto's S3 server for documents; the
gateway is not needed. Tenants, org units, users and delegations are made
through identity's RPC methods; documents are registered through documents, whose
``document.registered`` event gives routing its first task. Calls go through
RabbitMQ with the gateway's own asyncio RPC client, with the call context the
gateway would send.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from devstack.stack import Stack
from tests.support.people import Org
from tests.support.routing import EventLog
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack, settings_for

SERVICES = ("identity", "documents", "routing")


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """Migrations plus identity, documents and routing (no gateway)."""
    yield from partial_stack("rt", SERVICES, object_store=True)


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, SERVICES, timeout=10)


@pytest.fixture(scope="package")
def routing_db(stack: Stack) -> Iterator[Engine]:
    """The routing database as its owner (to stage times that tests cannot wait for)."""
    settings = settings_for(stack.env)
    engine = create_engine(settings.admin_database_url(settings.database_name("routing")))
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def routing_app_db(stack: Stack) -> Iterator[Engine]:
    """The routing database as the services connect to it (row-level security applies)."""
    engine = create_engine(settings_for(stack.env).app_database_url("routing"))
    yield engine
    engine.dispose()


# -- people and org units, through identity ---------------------------------------------------------


@pytest.fixture(scope="package")
def org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"rt{uuid.uuid4().hex[:6]}").setup()


@pytest.fixture(scope="package")
def other_org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"ro{uuid.uuid4().hex[:6]}").setup()


# -- routing's events ------------------------------------------------------------------------------


@pytest.fixture()
def events(stack: Stack) -> Iterator[EventLog]:
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        queue = Queue(
            f"tests-routing-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", exclusive=True
        )(conn.default_channel)
        queue.declare()
        yield EventLog(queue)
