"""Fixtures of the notify tests: an isolated stack with identity and notify.

The services run as real processes against this machine's RabbitMQ (own vhost),
PostgreSQL (own databases) and Redis. Tenants, org units and users are made
through identity's RPC methods; routing is not started: the tests publish
routing-shaped events (the envelope and payload keys routing's operations and
scanner emit) to the ``routing.events`` exchange themselves, with kombu, and
read the inboxes through notify's RPC methods with the context the gateway
would send.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from devstack.stack import Stack
from tests.support.notify import Publish
from tests.support.people import Org, Person
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack

SERVICES = ("identity", "notify")


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """Migrations plus identity and notify (no gateway, no routing)."""
    yield from partial_stack(
        "nt",
        SERVICES,
        sinks=True,
        # SMS of ordinary notifications as soon as a release pass sees them unread, and
        # no quiet hours: the tests do not depend on the hour they run at
        extra_env={
            "NOTIFY_SMS_UNREAD_MINUTES": "0",
            "NOTIFY_QUIET_HOURS": "00:00-00:00",
            "NOTIFY_RELEASE_INTERVAL": "3600",
        },
    )


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, SERVICES, timeout=10)


# -- people and org units, through identity ---------------------------------------------------------


@pytest.fixture(scope="package")
def org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"nt{uuid.uuid4().hex[:6]}", label="通知测试", full_divisions=True).setup()


@pytest.fixture(scope="package")
def other_org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"no{uuid.uuid4().hex[:6]}", label="通知测试", full_divisions=True).setup()


# -- routing's events, published by the tests ------------------------------------------------------


@pytest.fixture(scope="package")
def publish(stack: Stack) -> Iterator[Publish]:
    """Publish an envelope to ``routing.events`` (routing key: its type), with the
    caller's context as nameko headers when given (the scanner's events have none)."""
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange, serializer="json")
        exchange(conn.default_channel).declare()

        def send(event: dict[str, Any], caller: Person | None = None) -> None:
            headers = {f"nameko.{k}": v for k, v in (caller.ctx() if caller else {}).items()}
            producer.publish(
                event,
                routing_key=event["type"],
                headers=headers,
                message_id=event["id"],
                delivery_mode=2,
            )

        yield send
