"""The processing slip, visibility and the route, fed by routing's events (published
here as routing's outbox relay publishes them): distribution and tasks open the
document to divisions and people, opinions land on the slip in order with the names
as on paper, a redelivered event counts once, and an archived document stays as it is."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from services.common.errors import Conflict, NotFound
from services.documents import storage
from tests.support import samples
from tests.support.documents import a_document, count_rows
from tests.support.identity import expect_error
from tests.support.waiting import eventually


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def consumed(pg, event_id: str) -> bool:
    return count_rows(pg, "SELECT count(*) FROM processed_events WHERE event_id = %s", event_id) > 0


@pytest.fixture()
def document(office):
    return office.registrar.call("register_document", document=a_document())


def distribute(routing_events, office, document_id, assisting=True):
    return routing_events.publish(
        "document.distributed",
        {
            "document_id": document_id,
            "lead_unit_id": office.division_a,
            "assisting_unit_ids": [office.division_b] if assisting else [],
            "distributed_at": now(),
            "distributed_by": office.registrar.id,
        },
        actor=office.registrar,
    )


def task_created(routing_events, office, document_id, unit_id, assignee=None, step="division_sign"):
    return routing_events.publish(
        "task.created",
        {
            "task_id": str(uuid.uuid4()),
            "document_id": document_id,
            "step": step,
            "unit_id": unit_id,
            "assignee_id": assignee.id if assignee else None,
            "due_at": now(),
        },
        actor=office.registrar,
    )


def completed(
    routing_events,
    actor,
    document_id,
    action,
    opinion=None,
    kind=None,
    *,
    step="propose",
    on_behalf_of=None,
    leader_doc=None,
    event_id=None,
    unit_id=None,
    completed_at=None,
):
    return routing_events.publish(
        "task.completed",
        {
            "task_id": str(uuid.uuid4()),
            "document_id": document_id,
            "step": step,
            "action": action,
            "opinion": opinion,
            "opinion_kind": kind,
            "actor_id": actor.id,
            "on_behalf_of_id": on_behalf_of.id if on_behalf_of else None,
            "unit_id": unit_id or actor.unit_id,
            "is_leader_instruction": leader_doc,
            "completed_at": completed_at or now(),
        },
        actor=actor,
        event_id=event_id,
    )


def test_a_division_sees_a_document_once_it_is_distributed_to_it(office, document, routing_events):
    doc_id = document["id"]
    for person in (office.handler_a, office.head_a, office.handler_b, office.outsider):
        expect_error(
            NotFound, "document_not_found", person.call, "get_document", document_id=doc_id
        )
    assert office.leader.call("get_document", document_id=doc_id)["id"] == doc_id

    distribute(routing_events, office, doc_id)
    task_created(routing_events, office, doc_id, office.division_a)

    # seen once the division has its to-do; distributed once that event is applied too
    doc = eventually(
        lambda: (d := office.head_a.call("get_document", document_id=doc_id))
        and d["status"] == "distributed"
        and d
    )
    assert doc["lead_unit_id"] == office.division_a
    assert doc["assisting_unit_ids"] == [office.division_b]
    assert office.handler_b.call("get_document", document_id=doc_id)["id"] == doc_id  # 协办
    expect_error(
        NotFound, "document_not_found", office.outsider.call, "get_document", document_id=doc_id
    )
    expect_error(
        NotFound, "document_not_found", office.outsider.call, "get_slip", document_id=doc_id
    )


def test_a_task_assigned_to_a_person_opens_the_document_to_that_person(
    office, document, routing_events
):
    doc_id = document["id"]
    task_created(
        routing_events, office, doc_id, None, assignee=office.secretary, step="leader_instruction"
    )
    eventually(lambda: office.secretary.call("get_document", document_id=doc_id))
    expect_error(
        NotFound, "document_not_found", office.outsider.call, "get_document", document_id=doc_id
    )


def test_circulation_opens_the_document_to_the_readers(office, document, routing_events):
    doc_id = document["id"]
    routing_events.publish(
        "document.circulated",
        {
            "document_id": doc_id,
            "user_ids": [office.outsider.id],
            "sent_by": office.head_a.id,
            "note": "请阅",
        },
        actor=office.head_a,
    )
    eventually(lambda: office.outsider.call("get_document", document_id=doc_id))
    trace = office.registrar.call("get_slip", document_id=doc_id)["trace"]
    assert trace[-1]["action"] == "document.circulate" and trace[-1]["actor_id"] == office.head_a.id


def test_opinions_appear_on_the_slip_in_order_with_names_and_on_behalf_of(
    office, document, routing_events
):
    doc_id = document["id"]
    distribute(routing_events, office, doc_id)
    clerk = office.registrar

    def slip():
        return clerk.call("get_slip", document_id=doc_id)

    def wait_trace(n):
        return eventually(lambda: len(slip()["trace"]) >= n and slip())

    wait_trace(2)  # registered, distributed
    completed(
        routing_events, office.handler_a, doc_id, "sign", step="division_sign", leader_doc=True
    )
    completed(
        routing_events,
        office.handler_a,
        doc_id,
        "propose",
        "拟请电子政务处牵头办理。",
        "proposal",
        step="propose",
    )
    completed(
        routing_events,
        office.head_a,
        doc_id,
        "approve",
        "同意,请陈厅长批示。",
        "review",
        step="division_review",
    )
    wait_trace(5)
    routing_events.publish(
        "task.returned",
        {
            "task_id": str(uuid.uuid4()),
            "document_id": doc_id,
            "step": "leader_instruction",
            "action": "return",
            "opinion": "请补充办理依据后再报。",
            "opinion_kind": "return_reason",
            "reason": "请补充办理依据后再报。",
            "actor_id": office.leader.id,
            "on_behalf_of_id": None,
            "unit_id": office.leader.unit_id,
            "completed_at": now(),
            "returned_to_step": "division_review",
        },
        actor=office.leader,
    )
    wait_trace(6)
    completed(
        routing_events,
        office.head_a,
        doc_id,
        "approve",
        "已补充,请批示。",
        "review",
        step="division_review",
    )
    completed(
        routing_events,
        office.secretary,
        doc_id,
        "instruct",
        "同意。请抓紧落实。",
        "instruction",
        step="leader_instruction",
        on_behalf_of=office.leader,
    )
    completed(
        routing_events,
        office.handler_a,
        doc_id,
        "handle",
        "已按批示办理完毕。",
        "handling",
        step="handle",
    )
    result = wait_trace(9)

    opinions = result["opinions"]
    assert [o["seq"] for o in opinions] == [1, 2, 3, 4, 5, 6]
    assert [(o["kind"], o["author_name"]) for o in opinions] == [
        ("proposal", "承办人李明"),
        ("review", "处长张华"),
        ("return_reason", "厅领导陈刚"),
        ("review", "处长张华"),
        ("instruction", "秘书刘洋"),
        ("handling", "承办人李明"),
    ]
    instruction = opinions[4]
    assert instruction["text"] == "同意。请抓紧落实。"
    assert instruction["author_id"] == office.secretary.id
    assert instruction["on_behalf_of_id"] == office.leader.id
    assert instruction["on_behalf_of_name"] == "厅领导陈刚"
    assert instruction["step"] == "leader_instruction"
    assert opinions[2]["text"] == "请补充办理依据后再报。"
    assert result["document"]["is_leader_instruction"] is True  # declared when signing

    trace = result["trace"]
    assert [t["action"] for t in trace] == [
        "document.register",
        "document.distribute",
        "task.sign",
        "task.propose",
        "task.approve",
        "task.return",
        "task.approve",
        "task.instruct",
        "instruction.record",  # the instruction with its number (领导批示编号)
        "task.handle",
    ]
    assert [t["seq"] for t in trace] == list(range(1, 11))
    assert (
        trace[7]["actor_id"] == office.secretary.id and trace[7]["on_behalf_of"] == office.leader.id
    )
    assert trace[7]["detail"]["opinion_id"] == instruction["id"]
    # the instruction's own row: numbered by the system (厅领导), entered by the secretary
    assert trace[8]["detail"]["number"] == "1" and trace[8]["on_behalf_of"] == office.leader.id
    assert trace[8]["detail"]["attribution"].startswith("秘书 ")

    # the slip is the same for everyone who may see the document
    assert office.head_a.call("get_slip", document_id=doc_id)["opinions"] == opinions


def test_a_redelivered_event_is_applied_once(office, document, routing_events, pg_superuser):
    doc_id = document["id"]
    event_id = str(uuid.uuid4())
    for _ in range(3):
        completed(
            routing_events,
            office.handler_a,
            doc_id,
            "propose",
            "拟办:转电子政务处。",
            "proposal",
            event_id=event_id,
        )
    marker = completed(
        routing_events, office.handler_a, doc_id, "propose", "第二条意见。", "proposal"
    )
    eventually(lambda: consumed(pg_superuser, marker["id"]))
    result = office.registrar.call("get_slip", document_id=doc_id)
    assert [o["text"] for o in result["opinions"]] == ["拟办:转电子政务处。", "第二条意见。"]
    assert [t["action"] for t in result["trace"]] == [
        "document.register",
        "task.propose",
        "task.propose",
    ]


def test_an_event_of_another_tenant_does_not_touch_the_document(
    office, other_office, document, routing_events, pg_superuser
):
    doc_id = document["id"]
    foreign = routing_events.publish(
        "document.distributed",
        {
            "document_id": doc_id,
            "lead_unit_id": other_office.division_a,
            "assisting_unit_ids": [],
            "distributed_at": now(),
            "distributed_by": other_office.registrar.id,
        },
        actor=other_office.registrar,
    )
    eventually(lambda: consumed(pg_superuser, foreign["id"]))
    doc = office.registrar.call("get_document", document_id=doc_id)
    assert doc["status"] == "registered" and doc["lead_unit_id"] is None
    assert (
        count_rows(
            pg_superuser, "SELECT count(*) FROM document_access WHERE document_id = %s", doc_id
        )
        == 0
    )


@pytest.fixture()
def documents_events(stack):
    """A queue of the documents service's own completion and archive events."""
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("documents.events", type="topic", durable=True)
        queue = Queue(
            f"tests-doc-states-{uuid.uuid4().hex[:6]}",
            exchange,
            routing_key="document.*",
            exclusive=True,
        )(conn.default_channel)
        queue.declare()
        yield queue


def announced(queue, document_id, event_type, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.05)
            continue
        body = json.loads(message.body)
        if body["type"] == event_type and body["data"]["document_id"] == document_id:
            return body
    raise AssertionError(f"documents did not announce {event_type}")


def test_completion_and_archive_and_then_nothing_changes(
    office, document, routing_events, pg_superuser, s3, bucket, documents_events
):
    doc_id = document["id"]
    clerk = office.registrar
    distribute(routing_events, office, doc_id, assisting=False)
    eventually(lambda: clerk.call("get_document", document_id=doc_id)["status"] == "distributed")
    completed(
        routing_events,
        clerk,
        doc_id,
        "complete",
        "同意办结。",
        "completion",
        step="registry_complete",
    )
    routing_events.publish(
        "document.completed",
        {"document_id": doc_id, "completed_at": now(), "completed_by": clerk.id},
        actor=clerk,
    )
    doc = eventually(
        lambda: (d := clerk.call("get_document", document_id=doc_id))["status"] == "completed" and d
    )
    assert doc["completed_at"] is not None
    assert (
        announced(documents_events, doc_id, "document.completed")["tenant_id"] == office.tenant_id
    )
    eventually(lambda: len(clerk.call("get_slip", document_id=doc_id)["opinions"]) == 1)

    routing_events.publish(
        "document.archived",
        {"document_id": doc_id, "archived_at": now(), "archived_by": clerk.id},
        actor=clerk,
    )
    doc = eventually(
        lambda: (d := clerk.call("get_document", document_id=doc_id))["status"] == "archived" and d
    )
    assert doc["archived_at"] is not None
    assert announced(documents_events, doc_id, "document.archived")["data"]["archived_at"]

    # its files cannot change any more
    key = storage.staging_key(clerk.tenant_id, uuid.uuid4())
    size, sha256, ctype = storage.stream_to_staging(s3, bucket, key, [samples.pdf()])
    expect_error(
        Conflict,
        "document_archived",
        clerk.call,
        "attach_file",
        document_id=doc_id,
        file={
            "staging_key": key,
            "size": size,
            "sha256": sha256,
            "content_type": ctype,
            "filename": "补充.pdf",
        },
    )
    # and no further opinion is accepted (logged and skipped)
    late = completed(
        routing_events, office.handler_a, doc_id, "handle", "补充办理情况。", "handling"
    )
    eventually(lambda: consumed(pg_superuser, late["id"]))
    undone = routing_events.publish("document.completed", {"document_id": doc_id}, actor=clerk)
    eventually(lambda: consumed(pg_superuser, undone["id"]))
    result = clerk.call("get_slip", document_id=doc_id)
    assert [o["text"] for o in result["opinions"]] == ["同意办结。"]
    assert result["document"]["status"] == "archived"
    assert [t["action"] for t in result["trace"]] == [
        "document.register",
        "document.distribute",
        "task.complete",
        "document.complete",
        "document.archive",
    ]


def test_the_archiving_action_is_on_the_trace_even_when_it_arrives_after_the_archive(
    office, document, routing_events, pg_superuser
):
    """Routing announces the archive task's completion and the archived document in one
    transaction, but they are consumed from different queues: either may come first."""
    doc_id = document["id"]
    clerk = office.registrar
    distribute(routing_events, office, doc_id, assisting=False)
    eventually(lambda: clerk.call("get_document", document_id=doc_id)["status"] == "distributed")
    archived_at = now()
    routing_events.publish(
        "document.archived",
        {"document_id": doc_id, "archived_at": archived_at, "archived_by": clerk.id},
        actor=clerk,
    )
    eventually(lambda: clerk.call("get_document", document_id=doc_id)["status"] == "archived")
    late = completed(
        routing_events,
        clerk,
        doc_id,
        "archive",
        step="registry_archive",
        completed_at=archived_at,
    )
    eventually(lambda: consumed(pg_superuser, late["id"]))
    trace = [t["action"] for t in clerk.call("get_slip", document_id=doc_id)["trace"]]
    assert "task.archive" in trace


def test_names_on_the_slip_are_kept_as_written(office, document, routing_events, rpc):
    """As on paper: renaming someone later does not rewrite the slip."""
    doc_id = document["id"]
    handler = office.hire("承办人周新", ["handler"], office.division_a)
    completed(routing_events, handler, doc_id, "propose", "拟办。", "proposal")
    eventually(lambda: office.registrar.call("get_slip", document_id=doc_id)["opinions"])
    rpc.call(
        "identity",
        "update_user",
        context=office.admin_ctx,
        user_id=handler.id,
        changes={"full_name": "承办人周新(已调离)"},
    )
    [opinion] = office.registrar.call("get_slip", document_id=doc_id)["opinions"]
    assert opinion["author_name"] == "承办人周新"


def test_a_name_identity_could_not_give_is_filled_in_later(
    office, document, routing_events, stack, rpc, pg_superuser
):
    doc_id = document["id"]
    stack.stop_process("identity")
    try:
        event = completed(
            routing_events,
            office.secretary,
            doc_id,
            "instruct",
            "阅。",
            "instruction",
            on_behalf_of=office.leader,
        )
        eventually(lambda: consumed(pg_superuser, event["id"]), timeout=30)
    finally:
        stack.start_service("identity")
    with pg_superuser.cursor() as cur:
        cur.execute(
            "SELECT author_name, on_behalf_of_name FROM opinions WHERE document_id = %s", (doc_id,)
        )
        assert cur.fetchall() == [(None, None)]
    eventually(lambda: rpc.call("identity", "health", timeout=2)["status"] == "ok", timeout=60)
    [opinion] = eventually(
        lambda: (o := office.registrar.call("get_slip", document_id=doc_id)["opinions"])
        and o[0]["author_name"] == "秘书刘洋"
        and o,
        timeout=30,
    )
    assert opinion["on_behalf_of_name"] == "厅领导陈刚"
    with pg_superuser.cursor() as cur:  # and kept from then on
        cur.execute(
            "SELECT author_name, on_behalf_of_name FROM opinions WHERE document_id = %s", (doc_id,)
        )
        assert cur.fetchall() == [("秘书刘洋", "厅领导陈刚")]
