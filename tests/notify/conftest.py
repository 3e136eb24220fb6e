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

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from devstack.stack import Stack
from services.common.errors import GongwenError
from tests.conftest import SyncRpc, healthy_rpc, partial_stack

SERVICES = ("identity", "notify")
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """Migrations plus identity and notify (no gateway, no routing)."""
    yield from partial_stack("nt", SERVICES)


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, SERVICES, timeout=10)


# -- people and org units, through identity ---------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    tenant_id: str
    unit_id: str
    roles: tuple[str, ...]
    name: str

    def ctx(self) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "user_id": self.id,
            "username": self.name,
            "roles": ",".join(self.roles),
            "org_unit_id": self.unit_id,
        }


@dataclass
class Division:
    """A division (处室) with two handlers, a head, a handler in a section below it and a
    deactivated handler: only the first three hold its pooled tasks."""

    id: str
    handler: Person
    handler2: Person
    head: Person
    section_handler: Person
    gone: Person

    @property
    def holders(self) -> set[str]:
        return {self.handler.id, self.handler2.id, self.head.id}


@dataclass
class Org:
    rpc: SyncRpc
    code: str
    tenant_id: str = ""
    root_id: str = ""
    admin: dict[str, str] = field(default_factory=dict)
    registrar: Person | None = None

    def setup(self) -> Org:
        platform = {"user_id": str(uuid.uuid4()), "roles": "platform_admin"}
        tenant = self.rpc.call(
            "identity",
            "create_tenant",
            context=platform,
            tenant={
                "code": self.code,
                "name": f"通知测试{self.code}",
                "admin": {"username": "admin", "full_name": "管理员", "password": PASSWORD},
            },
        )
        self.tenant_id = tenant["id"]
        self.admin = {
            "tenant_id": self.tenant_id,
            "user_id": str(uuid.uuid4()),
            "roles": "tenant_admin",
        }
        units = self.rpc.call("identity", "list_org_units", context=self.admin)
        self.root_id = next(u["id"] for u in units if u["parent_id"] is None)
        self.admin["org_unit_id"] = self.root_id
        self.registrar = self.person(self.unit("文书处"), "registrar")
        return self

    def unit(self, name: str, kind: str = "division", parent: str | None = None) -> str:
        unit = self.rpc.call(
            "identity",
            "create_org_unit",
            context=self.admin,
            unit={"name": name, "kind": kind, "parent_id": parent or self.root_id},
        )
        return str(unit["id"])

    def person(self, unit_id: str, *roles: str) -> Person:
        username = f"u{uuid.uuid4().hex[:10]}"
        user = self.rpc.call(
            "identity",
            "create_user",
            context=self.admin,
            user={
                "username": username,
                "full_name": f"{roles[0]}-{username[-4:]}",
                "password": PASSWORD,
                "org_unit_id": unit_id,
                "roles": list(roles),
            },
        )
        return Person(user["id"], self.tenant_id, unit_id, tuple(roles), username)

    def division(self) -> Division:
        unit_id = self.unit(f"处室{uuid.uuid4().hex[:6]}")
        section = self.unit(f"科{uuid.uuid4().hex[:6]}", "section", unit_id)
        gone = self.person(unit_id, "handler")
        self.rpc.call("identity", "deactivate_user", context=self.admin, user_id=gone.id)
        return Division(
            id=unit_id,
            handler=self.person(unit_id, "handler"),
            handler2=self.person(unit_id, "handler"),
            head=self.person(unit_id, "division_head"),
            section_handler=self.person(section, "handler"),
            gone=gone,
        )


@pytest.fixture(scope="package")
def org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"nt{uuid.uuid4().hex[:6]}").setup()


@pytest.fixture(scope="package")
def other_org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"no{uuid.uuid4().hex[:6]}").setup()


# -- routing's events, published by the tests ------------------------------------------------------


def envelope(
    event_type: str, org: Org, data: dict[str, Any], actor: Person | None = None
) -> dict[str, Any]:
    """An event as routing's outbox relay publishes it (services.common.events.EventEnvelope)."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "routing",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "tenant_id": org.tenant_id,
        "actor_id": actor.id if actor else None,
        "request_id": f"test-{uuid.uuid4().hex[:8]}",
        "data": data,
    }


def task_data(
    *,
    unit_id: str,
    assignee: Person | None = None,
    roles: list[str] | None = None,
    title: str = "关于加强政务数据共享的通知",
    step: str = "division_sign",
    step_name: str = "处室签收",
    due_at: str | None = "2026-12-10T16:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    """The payload of ``task.created`` (services.routing.operations._open_task)."""
    return {
        "task_id": str(uuid.uuid4()),
        "document_id": str(uuid.uuid4()),
        "instance_id": str(uuid.uuid4()),
        "step": step,
        "step_name": step_name,
        "unit_id": unit_id,
        "assignee_id": assignee.id if assignee else None,
        "roles": roles if roles is not None else ["division_head", "handler"],
        "due_at": due_at,
        "due_provisional": False,
        "remind_at": None,
        "role_in_document": "lead",
        "title": title,
        "urgency": "normal",
        **extra,
    }


Publish = Callable[..., None]


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


# -- reading inboxes -----------------------------------------------------------------------------------


def inbox(rpc: SyncRpc, person: Person, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = rpc.call(
        "notify", "list_notifications", context=person.ctx(), query={"limit": 200, **query}
    )
    return page


def about(rpc: SyncRpc, person: Person, task_id: str) -> list[dict[str, Any]]:
    """The person's notifications about one task."""
    return [n for n in inbox(rpc, person)["items"] if n["task_id"] == task_id]


def eventually(probe: Callable[[], Any], timeout: float = 15, what: str = "it") -> Any:
    """Retry ``probe`` until it returns something truthy (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (GongwenError, AssertionError) as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def settle(seconds: float = 1.0) -> None:
    """Give a duplicate delivery the time it would need to show up."""
    time.sleep(seconds)
