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
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer
from minio import Minio

from devstack.stack import Stack
from services.common.errors import GongwenError
from services.common.settings import Settings
from services.routing.events import EVENTS as ROUTING_EVENTS
from tests.conftest import SyncRpc, healthy_rpc, partial_stack, settings_for
from tests.identity.conftest import connect, context_from_token, expect_error
from tests.support.events import complete

__all__ = ["connect", "expect_error"]  # the helpers of both test suites

#: the service-side upload limit of the test stack (small, to test the refusal cheaply)
SERVICE_MAX_UPLOAD_BYTES = 12 * 1024 * 1024
PASSWORD = "correct-horse-9"


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


def count_rows(conn: Any, sql: str, *params: Any) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


# -- people ---------------------------------------------------------------------------------------


@dataclass
class Person:
    """A user of a tenant and the context of their calls."""

    rpc: SyncRpc
    user: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def name(self) -> str:
        return str(self.user["full_name"])

    @property
    def unit_id(self) -> str:
        return str(self.user["org_unit_id"])

    @property
    def tenant_id(self) -> str:
        return str(self.user["tenant_id"])

    @property
    def ctx(self) -> dict[str, str]:
        """What the gateway puts into the call context for this user."""
        return {
            "tenant_id": self.tenant_id,
            "user_id": self.id,
            "username": str(self.user["username"]),
            "roles": ",".join(sorted(str(r) for r in self.user["roles"])),
            "org_unit_id": self.unit_id,
            "client_ip": "10.1.2.3",
        }

    def call(self, method: str, **kwargs: Any) -> Any:
        return self.rpc.call("documents", method, context=self.ctx, **kwargs)


@dataclass
class Office:
    """One tenant's 省政府办公厅: a registry (文书处), two divisions and their people."""

    code: str
    tenant_id: str
    registry_id: str
    division_a: str  # 电子政务处
    division_b: str  # 综合处
    registrar: Person
    handler_a: Person
    head_a: Person
    handler_b: Person
    leader: Person  # 厅领导
    secretary: Person
    auditor: Person
    outsider: Person  # a handler of a division the documents are not sent to
    admin_ctx: dict[str, str]  # the tenant administrator's

    def hire(self, full_name: str, roles: list[str], unit_id: str) -> Person:
        """A new user of this tenant (made by its administrator in identity)."""
        return _new_person(self.registrar.rpc, self.admin_ctx, full_name, roles, unit_id)


def _new_person(
    rpc: SyncRpc, admin_ctx: dict[str, str], full_name: str, roles: list[str], unit_id: str
) -> Person:
    user = _identity_call(
        rpc,
        admin_ctx,
        "create_user",
        user={
            "username": f"u{uuid.uuid4().hex[:8]}",
            "full_name": full_name,
            "password": PASSWORD,
            "org_unit_id": unit_id,
            "roles": roles,
        },
    )
    return Person(rpc, user)


def _identity_call(rpc: SyncRpc, ctx: dict[str, str] | None, method: str, **kw: Any) -> Any:
    return rpc.call("identity", method, context=ctx, **kw)


def _onboard(rpc: SyncRpc, admin_ctx: dict[str, str], code: str, name: str) -> Office:
    _identity_call(
        rpc,
        admin_ctx,
        "create_tenant",
        tenant={
            "code": code,
            "name": name,
            "admin": {
                "username": f"{code}-admin",
                "full_name": f"{name}管理员",
                "password": PASSWORD,
            },
        },
    )
    tokens = _identity_call(
        rpc,
        {"client_ip": "127.0.0.1"},
        "login",
        tenant=code,
        username=f"{code}-admin",
        password=PASSWORD,
    )
    tadmin = context_from_token(tokens["access_token"], "127.0.0.1")
    root = tadmin["org_unit_id"]

    def unit(unit_name: str) -> str:
        made = _identity_call(
            rpc,
            tadmin,
            "create_org_unit",
            unit={"name": unit_name, "kind": "division", "parent_id": root},
        )
        return str(made["id"])

    registry, div_a, div_b, div_c = (
        unit("文书处"),
        unit("电子政务处"),
        unit("综合处"),
        unit("秘书处"),
    )

    def person(full_name: str, roles: list[str], unit_id: str) -> Person:
        return _new_person(rpc, tadmin, full_name, roles, unit_id)

    return Office(
        code=code,
        tenant_id=tadmin["tenant_id"],
        registry_id=registry,
        division_a=div_a,
        division_b=div_b,
        registrar=person("文书员小王", ["registrar"], registry),
        handler_a=person("承办人李明", ["handler"], div_a),
        head_a=person("处长张华", ["division_head"], div_a),
        handler_b=person("承办人赵敏", ["handler"], div_b),
        leader=person("厅领导陈刚", ["office_leader"], root),
        secretary=person("秘书刘洋", ["secretary"], root),
        auditor=person("审计员周静", ["auditor"], root),
        outsider=person("承办人孙悦", ["handler"], div_c),
        admin_ctx=tadmin,
    )


@pytest.fixture(scope="package")
def platform_admin(rpc: SyncRpc, settings: Settings) -> dict[str, str]:
    tokens = _identity_call(
        rpc,
        {"client_ip": "127.0.0.1"},
        "login",
        username=settings.platform_admin_username,
        password=settings.platform_admin_password,
    )
    return context_from_token(tokens["access_token"], "127.0.0.1")


@pytest.fixture(scope="package")
def office(rpc: SyncRpc, platform_admin: dict[str, str]) -> Office:
    return _onboard(rpc, platform_admin, "gz", "贵州省")


@pytest.fixture(scope="package")
def other_office(rpc: SyncRpc, platform_admin: dict[str, str]) -> Office:
    return _onboard(rpc, platform_admin, "gz-zy", "遵义市")


# -- helpers --------------------------------------------------------------------------------------


def a_document(**overrides: Any) -> dict[str, Any]:
    doc = {
        "title": "国务院办公厅关于加强政务数据共享的通知",
        "source_org": "国务院办公厅",
        "doc_number": f"国办发〔2026〕{uuid.uuid4().int % 1000}号",
        "received_date": "2026-11-20",
        "urgency": "加急",
        "secrecy": "非密",
        "page_count": 6,
    }
    doc.update(overrides)
    return doc


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


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Retry ``check`` until it returns a truthy value without failing an assertion."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, GongwenError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
