"""Fixtures of the documents tests: an isolated stack with the object store (moto's
S3 server on loopback), identity and documents as real processes.

Routing is not started: the tests publish routing-shaped events to the
``routing.events`` exchange themselves (as routing's outbox relay does), so the
documents service is tested against the agreed events only. People and org
units are real identity records; the call context of each is what the gateway
would derive from that user's access token.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer
from minio import Minio

from devstack.stack import Stack
from services.common.settings import Settings
from services.routing.events import EVENTS as ROUTING_EVENTS
from tests.support.documents import SERVICE_MAX_UPLOAD_BYTES, Office, Person, identity_call, onboard
from tests.support.events import complete
from tests.support.identity import connect, context_from_token
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack, settings_for


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """Object store, migrations, identity and documents (no gateway, no routing)."""
    yield from partial_stack(
        "doc",
        ("identity", "documents"),
        object_store=True,
        extra_env={"MAX_UPLOAD_BYTES": str(SERVICE_MAX_UPLOAD_BYTES)},
    )


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, ("identity", "documents"))


@pytest.fixture(scope="package")
def settings(stack: Stack) -> Settings:
    return settings_for(stack.env)


# -- object store ------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def s3(settings: Settings, rpc: SyncRpc) -> Minio:
    """A client of the stack's object store (the service has ensured the bucket)."""
    return Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=settings.minio_secure,
    )


@pytest.fixture(scope="package")
def bucket(settings: Settings) -> str:
    return settings.minio_bucket


# -- database (as the superuser, to look behind the service) ----------------------------------------


@pytest.fixture(scope="package")
def documents_db(stack: Stack) -> str:
    return stack.env["DB_PREFIX"] + "documents"


@pytest.fixture(scope="package")
def pg_superuser(settings: Settings, documents_db: str) -> Iterator[Any]:
    with connect(settings, documents_db, superuser=True) as conn:
        conn.autocommit = True
        yield conn


# -- people ---------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def platform_admin(rpc: SyncRpc, settings: Settings) -> dict[str, str]:
    tokens = identity_call(
        rpc,
        {"client_ip": "127.0.0.1"},
        "login",
        username=settings.platform_admin_username,
        password=settings.platform_admin_password,
    )
    return context_from_token(tokens["access_token"], "127.0.0.1")


@pytest.fixture(scope="package")
def office(rpc: SyncRpc, platform_admin: dict[str, str]) -> Office:
    return onboard(rpc, platform_admin, "gz", "贵州省")


@pytest.fixture(scope="package")
def other_office(rpc: SyncRpc, platform_admin: dict[str, str]) -> Office:
    return onboard(rpc, platform_admin, "gz-zy", "遵义市")


# -- helpers --------------------------------------------------------------------------------------


class RoutingEvents:
    """Publishes events as routing's outbox relay does: to ``routing.events``, routing key =
    event type, the envelope as JSON body, the actor's context as ``nameko.*`` headers."""

    def __init__(self, amqp_uri: str) -> None:
        self.conn = Connection(amqp_uri)
        self.exchange = Exchange("routing.events", type="topic", durable=True)
        self.producer = Producer(self.conn.channel(), exchange=self.exchange, serializer="json")

    def publish(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        actor: Person,
        event_id: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        envelope = {
            "id": event_id or str(uuid.uuid4()),
            "type": event_type,
            "source": "routing",
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "tenant_id": tenant_id or actor.tenant_id,
            "actor_id": actor.id,
            "request_id": f"test-{uuid.uuid4().hex[:8]}",
            # a valid event of routing's contract: the fields a test leaves out filled in
            "data": complete(ROUTING_EVENTS[event_type], json.loads(json.dumps(data, default=str))),
        }
        headers = {f"nameko.{k}": v for k, v in actor.ctx.items()}
        self.producer.publish(
            envelope,
            routing_key=event_type,
            headers=headers,
            declare=[self.exchange],
            retry=True,
        )
        return envelope

    def close(self) -> None:
        self.conn.release()


@pytest.fixture(scope="package")
def routing_events(stack: Stack, rpc: SyncRpc) -> Iterator[RoutingEvents]:
    events = RoutingEvents(stack.env["AMQP_URI"])
    yield events
    events.close()
