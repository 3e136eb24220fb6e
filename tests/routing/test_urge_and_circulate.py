"""Urging (催办) the holder of an open task, and circulating (传阅) a document for reading."""

from __future__ import annotations

import uuid

import pytest

from services.common.errors import Conflict, Forbidden, NotFound
from tests.support.people import Org
from tests.support.routing import EventLog, act, distribute, register
from tests.support.stacks import SyncRpc


def test_the_registry_or_the_sender_urges_an_open_task(rpc: SyncRpc, org: Org, events: EventLog):
    assert org.registrar
    division = org.division()
    document_id = register(rpc, org)
    [sign] = distribute(rpc, org, document_id, division)["tasks"]

    urged = rpc.call(
        "routing",
        "urge",
        context=org.registrar.ctx(),
        task_id=sign["id"],
        urge={"message": "请尽快签收"},
    )
    assert (urged["task_id"], urged["urged_by"], urged["message"]) == (
        sign["id"],
        org.registrar.id,
        "请尽快签收",
    )
    [event] = events.wait(document_id, "task.urged")
    assert event["data"]["unit_id"] == division.id and event["data"]["assignee_id"] is None
    assert event["data"]["urged_by"] == org.registrar.id

    # a colleague who did not send it may not urge it
    with pytest.raises(Forbidden) as err:
        rpc.call("routing", "urge", context=division.head.ctx(), task_id=sign["id"])
    assert err.value.code == "not_allowed_to_urge"

    # the handler who proposed may urge the review the proposal created
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    [review] = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]
    rpc.call("routing", "urge", context=division.handler.ctx(), task_id=review["id"])
    assert len(events.wait(document_id, "task.urged", count=2)) == 2

    # only open tasks
    with pytest.raises(Conflict) as err:
        rpc.call("routing", "urge", context=org.registrar.ctx(), task_id=sign["id"])
    assert err.value.code == "task_closed"
    with pytest.raises(NotFound):
        rpc.call("routing", "urge", context=org.registrar.ctx(), task_id=str(uuid.uuid4()))


def test_a_document_is_circulated_once_to_each_reader_who_marks_it_read(
    rpc: SyncRpc, org: Org, other_org: Org, events: EventLog
):
    assert other_org.registrar
    division = org.division()
    reader, other_reader = org.person(division.id, "handler"), org.person(org.root_id, "auditor")
    first_doc, second_doc = register(rpc, org, "先传阅的文件"), register(rpc, org, "后传阅的文件")
    [sign] = distribute(rpc, org, first_doc, division)["tasks"]
    act(rpc, division.handler, sign["id"], action="sign")

    def circulate(person, document_id, *user_ids):  # type: ignore[no-untyped-def]
        return rpc.call(
            "routing",
            "circulate",
            context=person.ctx(),
            circulation={"document_id": document_id, "user_ids": list(user_ids), "note": "请阅"},
        )

    items = circulate(division.handler, first_doc, reader.id, other_reader.id, reader.id)
    assert [i["document_id"] for i in items] == [first_doc, first_doc]
    assert all(i["read_at"] is None and i["sent_by"] == division.handler.id for i in items)
    [event] = events.wait(first_doc, "document.circulated")
    assert sorted(event["data"]["user_ids"]) == sorted([reader.id, other_reader.id])

    # sent again: nobody gets it twice
    again = circulate(division.handler, first_doc, reader.id)
    assert [i["id"] for i in again] == [items[0]["id"]]
    assert len(events.of(first_doc, "document.circulated")) == 1

    # readers must exist in the tenant; only who works on the document circulates it
    for bad in (str(uuid.uuid4()), other_org.registrar.id):
        with pytest.raises(NotFound) as err:
            circulate(division.handler, first_doc, bad)
        assert err.value.code == "user_not_found"
    with pytest.raises(Forbidden) as err:
        circulate(org.division().handler, first_doc, reader.id)
    assert err.value.code == "not_allowed_to_circulate"

    # to read: unread first, newest first among them
    assert org.registrar
    circulate(org.registrar, second_doc, reader.id)
    page = rpc.call("routing", "list_to_read", context=reader.ctx(), query={})
    assert [i["document_id"] for i in page["items"]] == [second_doc, first_doc]
    assert page["total"] == 2 and page["items"][0]["title"] == "后传阅的文件"

    newest = page["items"][0]
    with pytest.raises(Forbidden) as err:
        rpc.call("routing", "mark_read", context=other_reader.ctx(), read_item_id=newest["id"])
    assert err.value.code == "not_recipient"
    read = rpc.call("routing", "mark_read", context=reader.ctx(), read_item_id=newest["id"])
    assert read["read_at"] is not None
    assert rpc.call("routing", "mark_read", context=reader.ctx(), read_item_id=newest["id"]) == read
    page = rpc.call("routing", "list_to_read", context=reader.ctx(), query={})
    assert [(i["document_id"], i["read_at"] is None) for i in page["items"]] == [
        (first_doc, True),
        (second_doc, False),
    ]
    assert len(events.wait(second_doc, "read_item.read")) == 1
    with pytest.raises(NotFound):
        rpc.call("routing", "mark_read", context=reader.ctx(), read_item_id=str(uuid.uuid4()))
