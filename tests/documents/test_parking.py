"""Poison events are parked, not looped (DESIGN 10), in the documents service through
the real broker and database: an event that can never be applied is recorded in
``failed_events`` and acknowledged while the events after it are applied; an operator
lists and replays it, and a replayed event is applied once."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from kombu import Connection, Exchange, Producer

from devstack.stack import Stack
from services.routing.events import TaskCreated, TaskUrged
from tests.support.events import complete

OPS = {"roles": "ops", "request_id": "test-ops"}
CONSUMER = "documents.on_task_urged"


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not: {value!r}")
        time.sleep(0.2)


@pytest.fixture()
def send(stack: Stack) -> Iterator[Callable[..., dict[str, Any]]]:
    """Publish a raw envelope to routing's event exchange, valid or not."""
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("routing.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange, serializer="json")

        def publish(
            person: Any, event_type: str, data: dict[str, Any], **extra: Any
        ) -> dict[str, Any]:
            envelope = {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "source": "routing",
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "tenant_id": person.tenant_id,
                "actor_id": person.id,
                "data": data,
                **extra,
            }
            headers = {f"nameko.{k}": v for k, v in person.ctx.items()}
            producer.publish(envelope, routing_key=event_type, headers=headers, declare=[exchange])
            return envelope

        yield publish


def an_urge(office: Any, document_id: str, message: str) -> dict[str, Any]:
    return complete(
        TaskUrged,
        {
            "task_id": str(uuid.uuid4()),
            "document_id": document_id,
            "urged_by": office.registrar.id,
            "roles": [],
            "message": message,
            "urged_at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )


def urges(office: Any, document_id: str) -> list[str]:
    trace = office.registrar.call("get_slip", document_id=document_id)["trace"]
    return [(row["detail"] or {}).get("message") for row in trace if row["action"] == "task.urge"]


def parked(rpc: Any, **query: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = rpc.call(
        "documents", "ops_failed_events", context=OPS, query={"consumer": CONSUMER, **query}
    )
    return rows


def metric(stack: Stack, name: str, **labels: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{stack.metrics_ports['documents']}/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name}{{{want}}} on /metrics")


@pytest.fixture()
def document(office: Any) -> dict[str, Any]:
    return office.registrar.call(
        "register_document",
        document={
            "title": "关于报送年度工作总结的通知",
            "source_org": "省政府办公厅",
            "received_date": "2026-11-30",
            "urgency": "平件",
            "secrecy": "非密",
        },
    )


def test_an_invalid_event_is_parked_and_the_next_ones_are_applied(
    stack: Stack, rpc: Any, office: Any, document: dict[str, Any], send: Any
):
    doc_id = document["id"]
    poison = send(
        office.registrar, "task.urged", {**an_urge(office, doc_id, "坏"), "task_id": "not-an-id"}
    )
    wrong_version = send(office.registrar, "task.urged", an_urge(office, doc_id, "v9"), version=9)
    send(office.registrar, "task.urged", an_urge(office, doc_id, "请尽快办理"))
    wait_for(lambda: urges(office, doc_id) == ["请尽快办理"])
    rows = wait_for(lambda: len(parked(rpc)) >= 2 and parked(rpc))
    by_event = {row["event_id"]: row for row in rows}
    assert by_event[poison["id"]]["error_kind"] == "permanent"
    assert "task_id" in by_event[poison["id"]]["error"]
    assert by_event[poison["id"]]["attempts"] == 1
    assert by_event[poison["id"]]["envelope"]["data"]["task_id"] == "not-an-id"
    assert "version 9" in by_event[wrong_version["id"]]["error"]
    assert metric(stack, "gongwen_failed_events", consumer=CONSUMER, event_type="task.urged") >= 2

    # replayed, it fails the same way: parked again on the same row, counted twice
    out = rpc.call(
        "documents",
        "ops_replay_failed",
        context=OPS,
        selection={"ids": [by_event[poison["id"]]["id"]]},
    )
    assert out["replayed"] == 1
    again = wait_for(
        lambda: [r for r in parked(rpc) if r["event_id"] == poison["id"] and r["attempts"] == 2]
    )
    assert again[0]["status"] == "parked"
    # the operator clears the rest so later tests start clean
    rpc.call("documents", "ops_replay_failed", context=OPS, selection={"consumer": CONSUMER})


def test_a_replayed_event_is_applied_once_even_if_it_had_been_applied(
    stack: Stack, rpc: Any, office: Any, document: dict[str, Any], send: Any, pg_superuser: Any
):
    doc_id = document["id"]
    with pg_superuser.cursor() as cur:  # the trail refuses one message: a constraint violation
        cur.execute(
            "CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.after->>'message' = '毒' THEN RAISE EXCEPTION 'refused for the test'; "
            "END IF; RETURN NEW; END $$"
        )
        cur.execute(
            "CREATE TRIGGER test_poison BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION test_poison()"
        )
    try:
        poison = send(office.registrar, "task.urged", an_urge(office, doc_id, "毒"))
        send(office.registrar, "task.urged", an_urge(office, doc_id, "后来的催办"))
        wait_for(lambda: urges(office, doc_id) == ["后来的催办"])
        [row] = wait_for(lambda: [r for r in parked(rpc) if r["event_id"] == poison["id"]])
        assert "refused for the test" in row["error"] and row["error_kind"] == "permanent"
    finally:
        with pg_superuser.cursor() as cur:
            cur.execute("DROP TRIGGER test_poison ON audit_log")
            cur.execute("DROP FUNCTION test_poison()")

    out = rpc.call(
        "documents", "ops_replay_failed", context=OPS, selection={"event_type": "task.urged"}
    )
    assert row["id"] in out["ids"]
    wait_for(lambda: sorted(urges(office, doc_id)) == sorted(["毒", "后来的催办"]))
    # the same event once more — redelivered by the broker, and replayed from its row
    send(office.registrar, "task.urged", poison["data"], id=poison["id"])
    with pg_superuser.cursor() as cur:
        cur.execute("UPDATE failed_events SET status = 'parked' WHERE id = %s", (row["id"],))
    rpc.call("documents", "ops_replay_failed", context=OPS, selection={"ids": [row["id"]]})
    time.sleep(2)
    assert sorted(urges(office, doc_id)) == sorted(["毒", "后来的催办"])  # applied once
    assert [r for r in parked(rpc) if r["event_id"] == poison["id"]] == []
    replayed = parked(rpc, status="replayed")
    assert any(r["event_id"] == poison["id"] and r["replayed_at"] for r in replayed)


def test_replay_needs_the_ops_role_and_a_selection(rpc: Any, office: Any):
    from services.common.errors import Forbidden, InvalidInput

    with pytest.raises(Forbidden):
        rpc.call("documents", "ops_failed_events", context=office.registrar.ctx)
    with pytest.raises(InvalidInput):
        rpc.call("documents", "ops_replay_failed", context=OPS, selection={})


@pytest.fixture()
def flaky_trail(pg_superuser: Any, settings: Any) -> Iterator[Callable[[str, int], None]]:
    """Make the trail fail with a serialisation failure (SQLSTATE 40001, transient) the
    first ``times`` it is written for an urge with ``message``."""
    created: list[str] = []

    def install(message: str, times: int) -> None:
        name = f"test_flaky_{len(created)}"
        created.append(name)
        with pg_superuser.cursor() as cur:
            cur.execute(f"CREATE SEQUENCE {name}")
            cur.execute(f'GRANT USAGE ON SEQUENCE {name} TO "{settings.pg_app_user}"')
            cur.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.after->>'message' = '{message}' AND nextval('{name}') <= {times} THEN "
                "RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; "
                "END IF; RETURN NEW; END $$"
            )
            cur.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON audit_log "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )

    yield install
    with pg_superuser.cursor() as cur:
        for name in created:
            cur.execute(f"DROP TRIGGER {name} ON audit_log")
            cur.execute(f"DROP FUNCTION {name}()")
            cur.execute(f"DROP SEQUENCE {name}")


def test_a_transient_failure_is_tried_again_then_applied(
    stack: Stack, rpc: Any, office: Any, document: dict[str, Any], send: Any, flaky_trail: Any
):
    doc_id = document["id"]
    flaky_trail("稍后", 2)
    event = send(office.registrar, "task.urged", an_urge(office, doc_id, "稍后"))
    wait_for(lambda: urges(office, doc_id) == ["稍后"])
    assert [r for r in parked(rpc) if r["event_id"] == event["id"]] == []
    assert metric(stack, "gongwen_event_retries_total", consumer=CONSUMER) >= 2


def test_a_failure_that_stays_transient_is_parked_after_the_last_try(
    rpc: Any, office: Any, document: dict[str, Any], send: Any, flaky_trail: Any
):
    doc_id = document["id"]
    flaky_trail("一直不行", 1000)
    event = send(office.registrar, "task.urged", an_urge(office, doc_id, "一直不行"))
    send(office.registrar, "task.urged", an_urge(office, doc_id, "别的事"))
    wait_for(lambda: urges(office, doc_id) == ["别的事"])  # not held up by the retries
    [row] = wait_for(lambda: [r for r in parked(rpc) if r["event_id"] == event["id"]], timeout=30)
    assert row["error_kind"] == "transient" and row["attempts"] == 5
    assert "could not serialize" in row["error"]


# -- a secretary opens what is routed to the leader they act for (delegation.* events) --------


def test_a_secretary_opens_the_leaders_documents_only_while_the_delegation_is_valid(
    rpc: Any, office: Any, document: dict[str, Any], send: Any
):
    from services.common.errors import NotFound

    doc_id = document["id"]
    send(  # routing gives the leader an instruction task on the document
        office.registrar,
        "task.created",
        complete(
            TaskCreated,
            {
                "document_id": doc_id,
                "step": "leader_instruction",
                "assignee_id": office.leader.id,
                "roles": ["office_leader"],
            },
        ),
    )

    def opens() -> bool:
        try:
            office.secretary.call("get_document", document_id=doc_id)
            return True
        except NotFound:
            return False

    wait_for(  # the leader's grant is there (the leader sees everything anyway)
        lambda: office.leader.call("get_slip", document_id=doc_id)["trace"][-1]["action"]
        == "task.create"
    )
    assert not opens()  # no delegation yet: 404 like any other document
    now = dt.datetime.now(dt.UTC)
    delegation = rpc.call(
        "identity",
        "create_delegation",
        context=office.leader.ctx,
        delegation={
            "secretary_id": office.secretary.id,
            "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=7)).isoformat(),
        },
    )
    wait_for(opens)
    assert office.secretary.call("get_slip", document_id=doc_id)["document"]["id"] == doc_id
    rpc.call(
        "identity", "revoke_delegation", context=office.leader.ctx, delegation_id=delegation["id"]
    )
    wait_for(lambda: not opens())
