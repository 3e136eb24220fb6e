"""The indicators from real events through the broker: identity's accounts and
sign-ins, documents' 收文登记, routing's to-dos. Metrics stopped in the middle of the
month and started again gives the same figures as if it had never been away (the
events waited in its durable queues); an event delivered twice counts once."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from kombu import Connection, Exchange, Producer

from devstack.stack import Stack
from services.common.settings import Settings
from services.metrics.arithmetic import SHANGHAI
from tests.support.documents import a_document
from tests.support.identity import connect
from tests.support.people import PASSWORD, Org, Person
from tests.support.stacks import SyncRpc, unique, wait_healthy
from tests.support.waiting import eventually


def this_month() -> str:
    now = dt.datetime.now(SHANGHAI)
    return f"{now.year:04d}-{now.month:02d}"


def sign_in(rpc: SyncRpc, org: Org, person: Person) -> None:
    rpc.call("identity", "login", username=person.name, password=PASSWORD, tenant=org.code)


def register(rpc: SyncRpc, registrar: Person) -> dict[str, Any]:
    return dict(
        rpc.call("documents", "register_document", context=registrar.ctx(), document=a_document())
    )


def department(rpc: SyncRpc, ops: Person, name: str) -> dict[str, Any]:
    out = rpc.call(
        "metrics",
        "indicator_table",
        context=ops.ctx(),
        query={"month": this_month(), "level": "department"},
    )
    return next(r for r in out["rows"] if r["name"] == name) | {"total": out["total"]}


FIELDS = (
    "registered_users",
    "active_users",
    "login_rate_label",
    "documents_received",
    "items_started",
)


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[f] for f in FIELDS)


def routing_envelopes(
    settings: Settings, event_type: str, document_id: str
) -> list[dict[str, Any]]:
    with (
        connect(settings, settings.database_name("routing"), superuser=True) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(
            "SELECT envelope FROM outbox WHERE event_type = %s"
            " AND envelope->'data'->>'document_id' = %s",
            (event_type, document_id),
        )
        rows = cur.fetchall()
    return [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]


def test_stopped_mid_month_and_started_again_gives_the_same_figures(
    rpc: SyncRpc, stack: Stack, settings: Settings
) -> None:
    org = Org(rpc, unique("mx"), label="指标测试").setup()
    dept = org.unit("省审计厅", "unit")
    office = org.unit("办公室", "division", dept)
    registrar = org.person(office, "registrar")
    clerk = org.person(dept, "handler")
    leaving = org.person(dept, "handler")
    ops = org.person(org.root_id, "ops")
    sign_in(rpc, org, registrar)
    first = register(rpc, registrar)

    before = eventually(
        lambda: (row := department(rpc, ops, "省审计厅"))
        and row["documents_received"] == 1
        and row["items_started"] == 1
        and row["active_users"] == 1
        and row,
        timeout=30,
        what="the figures before the stop",
    )
    assert figures(before) == (3, 1, "33.33%", 1, 1)

    stack.stop_process("metrics")
    # the rest of the month while metrics is away: sign-ins, a second document, an
    # account deactivated
    sign_in(rpc, org, clerk)
    sign_in(rpc, org, registrar)  # again: still one active user
    second = register(rpc, registrar)
    rpc.call("identity", "deactivate_user", context=org.admin, user_id=leaving.id)
    eventually(
        lambda: routing_envelopes(settings, "task.created", second["id"]),
        timeout=30,
        what="routing's to-do of the second document",
    )

    stack.start_service("metrics")
    wait_healthy(stack, rpc, ("metrics",))
    after = eventually(
        lambda: (row := department(rpc, ops, "省审计厅"))
        and row["items_started"] == 2
        and row["documents_received"] == 2  # each event type has its own queue
        and row["registered_users"] == 2
        and row["active_users"] == 2
        and row,
        timeout=60,
        what="the queued events applied",
    )
    # registrar and clerk, both signed in; the deactivated one is no longer registered
    assert figures(after) == (2, 2, "100.00%", 2, 2)

    # routing's events of the first document delivered again (as after a broker hiccup)
    envelopes = routing_envelopes(settings, "task.created", first["id"])
    assert envelopes
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange, serializer="json")
        for envelope in envelopes * 2:
            producer.publish(envelope, routing_key=envelope["type"], delivery_mode=2)
    # a fresh event after the duplicates: once it counts, the duplicates were consumed
    third = register(rpc, registrar)
    settled = eventually(
        lambda: (row := department(rpc, ops, "省审计厅"))
        and row["items_started"] == 3
        and row["documents_received"] == 3
        and row,
        timeout=30,
        what="the third document",
    )
    assert figures(settled) == (2, 2, "100.00%", 3, 3)
    assert third["id"] not in (first["id"], second["id"])
    # a recompute gives the same numbers
    assert figures(department(rpc, ops, "省审计厅")) == figures(settled)


def test_overdue_marks_give_the_overdue_share(
    rpc: SyncRpc, stack: Stack, settings: Settings
) -> None:
    """An overdue mark (routing's scanner's ``task.overdue``, published here in its shape
    for the document's real to-do) makes the document overdue: 1 of 2 documents with a
    to-do this month is 50.00%; the mark delivered twice still counts one document."""
    org = Org(rpc, unique("mo"), label="超期测试").setup()
    dept = org.unit("省水利厅", "unit")
    office = org.unit("办公室", "division", dept)
    registrar = org.person(office, "registrar")
    ops = org.person(org.root_id, "ops")
    first = register(rpc, registrar)
    register(rpc, registrar)
    created = eventually(
        lambda: routing_envelopes(settings, "task.created", first["id"]),
        timeout=30,
        what="routing's to-do",
    )[0]
    task = created["data"]
    now = dt.datetime.now(dt.UTC).isoformat()
    overdue = {
        "id": str(uuid.uuid4()),
        "type": "task.overdue",
        "source": "routing",
        "occurred_at": now,
        "tenant_id": created["tenant_id"],
        "version": 1,
        "data": {
            "task_id": task["task_id"],
            "document_id": task["document_id"],
            "instance_id": task["instance_id"],
            "step": task["step"],
            "step_name": task["step_name"],
            "roles": task["roles"],
            "due_at": now,
            "title": task["title"],
            "urgency": task["urgency"],
            "unit_id": task["unit_id"],
            "assignee_id": None,
            "overdue_at": now,
        },
    }
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange, serializer="json")
        for _ in range(2):
            producer.publish(overdue, routing_key="task.overdue", delivery_mode=2)
    row = eventually(
        lambda: (r := department(rpc, ops, "省水利厅"))
        and r["documents_overdue"] == 1
        and r["items_started"] == 2
        and r["documents_received"] == 2
        and r,
        timeout=30,
        what="the overdue mark",
    )
    assert (row["documents_received"], row["documents_overdue"]) == (2, 1)
    assert row["overdue_share"] == 50.0 and row["overdue_share_label"] == "50.00%"
