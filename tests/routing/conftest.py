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

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from devstack.stack import Stack
from services.common.errors import GongwenError
from tests.conftest import SyncRpc, healthy_rpc, partial_stack, settings_for

SERVICES = ("identity", "documents", "routing")
PASSWORD = "correct-horse-battery"


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


@dataclass(frozen=True)
class Person:
    id: str
    tenant_id: str
    unit_id: str
    roles: tuple[str, ...]
    name: str

    def ctx(self, **extra: str) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "user_id": self.id,
            "username": self.name,
            "roles": ",".join(self.roles),
            "org_unit_id": self.unit_id,
            **extra,
        }


@dataclass
class Division:
    id: str
    handler: Person
    handler2: Person
    head: Person


@dataclass
class Org:
    """One tenant: a registry (文书处), leaders, a secretary, and divisions on demand."""

    rpc: SyncRpc
    code: str
    tenant_id: str = ""
    root_id: str = ""
    admin: dict[str, str] = field(default_factory=dict)
    registry_id: str = ""
    registrar: Person | None = None
    office_leader: Person | None = None
    gov_leader: Person | None = None
    secretary: Person | None = None

    def setup(self) -> Org:
        platform = {"user_id": str(uuid.uuid4()), "roles": "platform_admin"}
        tenant = self.rpc.call(
            "identity",
            "create_tenant",
            context=platform,
            tenant={
                "code": self.code,
                "name": f"测试{self.code}",
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
        self.registry_id = self.unit("文书处")
        self.registrar = self.person(self.registry_id, "registrar")
        self.office_leader = self.person(self.root_id, "office_leader")
        self.gov_leader = self.person(self.root_id, "gov_leader")
        self.secretary = self.person(self.root_id, "secretary")
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

    def division(self, name: str | None = None) -> Division:
        unit_id = self.unit(name or f"处室{uuid.uuid4().hex[:6]}")
        return Division(
            unit_id,
            self.person(unit_id, "handler"),
            self.person(unit_id, "handler"),
            self.person(unit_id, "division_head"),
        )

    def delegate(self, leader: Person, secretary: Person) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        result: dict[str, Any] = self.rpc.call(
            "identity",
            "create_delegation",
            context=leader.ctx(),
            delegation={
                "secretary_id": secretary.id,
                "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            },
        )
        return result


@pytest.fixture(scope="package")
def org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"rt{uuid.uuid4().hex[:6]}").setup()


@pytest.fixture(scope="package")
def other_org(rpc: SyncRpc) -> Org:
    return Org(rpc, f"ro{uuid.uuid4().hex[:6]}").setup()


# -- documents and waiting for routing -------------------------------------------------------------


def eventually(probe: Callable[[], Any], timeout: float = 15, what: str = "it") -> Any:
    """Retry ``probe`` until it returns something truthy (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except GongwenError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def register(
    rpc: SyncRpc, org: Org, title: str = "关于加强政务数据共享的通知", urgency: str = "normal"
) -> str:
    """Register a document with documents and wait for routing's 分办 task."""
    assert org.registrar is not None
    doc = rpc.call(
        "documents",
        "register_document",
        context=org.registrar.ctx(),
        document={
            "title": title,
            "source_org": "国务院办公厅",
            "doc_number": f"国办发〔2026〕{uuid.uuid4().int % 1000}号",
            "received_date": "2026-11-20",
            "urgency": urgency,
        },
    )
    document_id = str(doc["id"])
    eventually(
        lambda: rpc.call(
            "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
        ),
        what=f"routing to open the distribution task of {document_id}",
    )
    return document_id


class EventLog:
    """Every event routing publishes, read from a queue bound to ``routing.events``."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.seen: list[dict[str, Any]] = []

    def _drain(self) -> None:
        while (message := self.queue.get(no_ack=True)) is not None:
            self.seen.append(json.loads(message.body))

    def of(self, document_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        self._drain()
        return [
            e
            for e in self.seen
            if e["data"].get("document_id") == document_id
            and (event_type is None or e["type"] == event_type)
        ]

    def wait(
        self, document_id: str, event_type: str, count: int = 1, timeout: float = 15
    ) -> list[dict[str, Any]]:
        return list(
            eventually(
                lambda: (found := self.of(document_id, event_type))
                and len(found) >= count
                and found,
                timeout,
                f"{count} {event_type} of {document_id}",
            )
        )


@pytest.fixture()
def events(stack: Stack) -> Iterator[EventLog]:
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        queue = Queue(
            f"tests-routing-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", exclusive=True
        )(conn.default_channel)
        queue.declare()
        yield EventLog(queue)


# -- acting --------------------------------------------------------------------------------------


def todo(rpc: SyncRpc, person: Person, **query: Any) -> list[dict[str, Any]]:
    page = rpc.call("routing", "list_todo", context=person.ctx(), query=query)
    return list(page["items"])


def act(
    rpc: SyncRpc, person: Person, task_id: str, ctx: dict[str, str] | None = None, **action: Any
) -> dict[str, Any]:
    result: dict[str, Any] = rpc.call(
        "routing", "act", context=ctx or person.ctx(), task_id=task_id, action=action
    )
    return result


def the_task(tasks: list[dict[str, Any]], document_id: str) -> dict[str, Any]:
    [task] = [t for t in tasks if t["document_id"] == document_id]
    return task


def route(rpc: SyncRpc, org: Org, document_id: str) -> list[dict[str, Any]]:
    assert org.registrar is not None
    tasks: list[dict[str, Any]] = rpc.call(
        "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
    )
    return tasks


def distribute(
    rpc: SyncRpc, org: Org, document_id: str, lead: Division, *assisting: Division
) -> dict[str, Any]:
    assert org.registrar is not None
    result: dict[str, Any] = rpc.call(
        "routing",
        "distribute",
        context=org.registrar.ctx(),
        distribution={
            "document_id": document_id,
            "lead_unit_id": lead.id,
            "assisting_unit_ids": [d.id for d in assisting],
        },
    )
    return result


def at_review(
    rpc: SyncRpc, org: Org, division: Division, **register_args: Any
) -> tuple[str, dict[str, Any]]:
    """A new document distributed to ``division``, signed and proposed by its handler:
    the division_review task, pooled to the division heads."""
    document_id = register(rpc, org, **register_args)
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    [review] = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]
    return document_id, review
