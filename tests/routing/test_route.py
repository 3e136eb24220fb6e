"""The route of an incoming document (收文办理) through routing, with real identity and
documents: registration gives the registry its 分办 task; distribution opens a lead
and an assisting branch; each division signs, proposes, reviews, gets instructions
and handles; the registry completes each branch and archives the document."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI
from tests.support.people import Org
from tests.support.routing import EventLog, act, distribute, register, route, the_task, todo
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually


def test_a_document_goes_from_registration_to_archive_through_two_divisions(
    rpc: SyncRpc, org: Org, events: EventLog
):
    assert org.registrar and org.office_leader and org.gov_leader
    lead, assisting = org.division("综合处"), org.division("电子政务处")
    document_id = register(rpc, org, "国务院办公厅关于加强政务数据共享的通知", "urgent")

    # 分办: the registry's task is in every registrar's to-do list
    registry_task = the_task(todo(rpc, org.registrar), document_id)
    assert registry_task["step"] == "registry_distribute"
    assert registry_task["role_in_document"] == "registry"
    assert registry_task["allowed_actions"] == ["distribute"]
    assert registry_task["urgency"] == "urgent" and registry_task["due_at"] is None

    out = distribute(rpc, org, document_id, lead, assisting)
    assert [(t["unit_id"], t["role_in_document"], t["step"]) for t in out["tasks"]] == [
        (lead.id, "lead", "division_sign"),
        (assisting.id, "assisting", "division_sign"),
    ]
    # the day of distribution does not count: due at the end of the 3rd working day after it
    distributed = dt.datetime.fromisoformat(out["distributed_at"])
    due = dt.datetime.fromisoformat(out["tasks"][0]["due_at"]).astimezone(SHANGHAI)
    assert due.time() == dt.time(0, 0) and due.date() > distributed.astimezone(SHANGHAI).date()
    route = rpc.call(
        "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
    )
    assert (route[0]["step"], route[0]["status"], route[0]["completed_by"]) == (
        "registry_distribute",
        "done",
        org.registrar.id,
    )
    assert not [t for t in todo(rpc, org.registrar) if t["document_id"] == document_id]

    # 主办: the handler signs (claims it), proposes; the division head reviews and sends
    # it to two leaders, who instruct in parallel; the handler handles it.
    sign = the_task(todo(rpc, lead.handler), document_id)
    assert sign["assignee_id"] is None and sign["allowed_actions"] == ["sign", "return"]
    assert the_task(todo(rpc, lead.handler2), document_id)["id"] == sign["id"]
    signed = act(rpc, lead.handler, sign["id"], action="sign", is_leader_instruction=False)
    assert signed["task"]["status"] == "done" and signed["task"]["assignee_id"] == lead.handler.id
    [propose] = signed["next_tasks"]
    assert (propose["step"], propose["assignee_id"]) == ("propose", lead.handler.id)
    assert not [t for t in todo(rpc, lead.handler2) if t["document_id"] == document_id]

    [review] = act(
        rpc, lead.handler, propose["id"], action="propose", opinion="拟请综合处牵头办理"
    )["next_tasks"]
    assert (review["step"], review["unit_id"], review["assignee_id"]) == (
        "division_review",
        lead.id,
        None,
    )
    assert the_task(todo(rpc, lead.head), document_id)["id"] == review["id"]
    leader_tasks = act(
        rpc,
        lead.head,
        review["id"],
        action="approve",
        opinion="同意,请厅领导批示",
        leader_ids=[org.office_leader.id, org.gov_leader.id],
    )["next_tasks"]
    assert sorted(t["assignee_id"] for t in leader_tasks) == sorted(
        [org.office_leader.id, org.gov_leader.id]
    )
    first = the_task(todo(rpc, org.office_leader), document_id)
    assert (
        act(rpc, org.office_leader, first["id"], action="instruct", opinion="请抓紧办理")[
            "next_tasks"
        ]
        == []
    )
    last = the_task(todo(rpc, org.gov_leader), document_id)
    [handle] = act(rpc, org.gov_leader, last["id"], action="instruct", opinion="同意")["next_tasks"]
    assert (handle["step"], handle["assignee_id"]) == ("handle", lead.handler.id)
    [complete_lead] = act(rpc, lead.handler, handle["id"], action="handle", opinion="已按批示落实")[
        "next_tasks"
    ]
    assert (complete_lead["step"], complete_lead["unit_id"]) == (
        "registry_complete",
        org.registry_id,
    )
    assert (
        act(rpc, org.registrar, complete_lead["id"], action="complete", opinion="办结")[
            "next_tasks"
        ]
        == []
    )  # the assisting division is still working

    # 协办: a division head signs; nobody is sent to leaders
    sign_b = the_task(todo(rpc, assisting.head), document_id)
    [propose_b] = act(rpc, assisting.head, sign_b["id"], action="sign")["next_tasks"]
    assert propose_b["assignee_id"] is None  # pooled to the division's handlers
    [review_b] = act(rpc, assisting.handler, propose_b["id"], action="propose", opinion="协办意见")[
        "next_tasks"
    ]
    [handle_b] = act(rpc, assisting.head, review_b["id"], action="approve")["next_tasks"]
    assert (handle_b["step"], handle_b["assignee_id"]) == ("handle", assisting.handler.id)
    [complete_b] = act(rpc, assisting.handler, handle_b["id"], action="handle", opinion="已配合")[
        "next_tasks"
    ]
    [archive] = act(rpc, org.registrar, complete_b["id"], action="complete")["next_tasks"]
    assert (archive["step"], archive["role_in_document"]) == ("registry_archive", "registry")
    assert act(rpc, org.registrar, archive["id"], action="archive")["next_tasks"] == []

    route = rpc.call(
        "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
    )
    assert all(t["status"] == "done" for t in route)
    assert [t["step"] for t in route] == [
        "registry_distribute",
        "division_sign",
        "division_sign",
        "propose",
        "division_review",
        "leader_instruction",
        "leader_instruction",
        "handle",
        "registry_complete",
        "propose",
        "division_review",
        "handle",
        "registry_complete",
        "registry_archive",
    ]

    # what was announced, for documents, notify and metrics
    [distributed_event] = events.wait(document_id, "document.distributed")
    assert distributed_event["data"]["lead_unit_id"] == lead.id
    assert distributed_event["data"]["assisting_unit_ids"] == [assisting.id]
    events.wait(document_id, "document.archived")
    completed = events.wait(document_id, "task.completed", count=len(route))
    kinds = {e["data"]["action"]: e["data"]["opinion_kind"] for e in completed}
    assert kinds == {
        "distribute": None,
        "sign": None,
        "propose": "proposal",
        "approve": "review",
        "instruct": "instruction",
        "handle": "handling",
        "complete": "completion",
        "archive": None,
    }
    assert len(events.of(document_id, "task.created")) == len(route)
    assert len(events.of(document_id, "document.completed")) == 1
    # documents follows: the record ends archived, with the opinions on its slip
    slip = eventually(
        lambda: (
            s := rpc.call(
                "documents", "get_slip", context=org.registrar.ctx(), document_id=document_id
            )
        )["document"]["status"]
        == "archived"
        and s,
        what="documents to archive the record",
    )
    assert [o["kind"] for o in slip["opinions"]].count("instruction") == 2


def test_each_step_is_returned_to_whoever_held_the_step_before(
    rpc: SyncRpc, org: Org, events: EventLog
):
    assert org.registrar and org.office_leader and org.gov_leader
    division = org.division()
    document_id = register(rpc, org)

    # 处室签收 → back to the registry, to the registrar who distributed it
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    returned = act(rpc, division.handler, sign["id"], action="return", opinion="不属于本处职责")
    assert returned["task"]["status"] == "returned"
    [again] = returned["next_tasks"]
    assert (again["step"], again["unit_id"], again["assignee_id"]) == (
        "registry_distribute",
        org.registry_id,
        org.registrar.id,
    )
    [event] = events.wait(document_id, "task.returned")
    assert event["data"]["reason"] == "不属于本处职责"
    assert event["data"]["opinion_kind"] == "return_reason"
    assert event["data"]["returned_to_step"] == "registry_distribute"

    # redistributed (to the same division): a new branch starts
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]

    # 拟办 → 处室签收, to the handler who signed
    [sign_again] = act(rpc, division.handler, propose["id"], action="return", opinion="请重新签收")[
        "next_tasks"
    ]
    assert (sign_again["step"], sign_again["assignee_id"]) == ("division_sign", division.handler.id)
    assert not [t for t in todo(rpc, division.handler2) if t["document_id"] == document_id]
    [propose] = act(rpc, division.handler, sign_again["id"], action="sign")["next_tasks"]
    [review] = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]

    # 处室审核 → 拟办, to the handler who proposed
    [propose_again] = act(rpc, division.head, review["id"], action="return", opinion="意见不全")[
        "next_tasks"
    ]
    assert (propose_again["step"], propose_again["assignee_id"]) == ("propose", division.handler.id)
    [review] = act(rpc, division.handler, propose_again["id"], action="propose", opinion="补充")[
        "next_tasks"
    ]

    # 批示 → 处室审核, to the division head who sent it; the other leader's task closes
    leader_tasks = act(
        rpc,
        division.head,
        review["id"],
        action="approve",
        leader_ids=[org.office_leader.id, org.gov_leader.id],
    )["next_tasks"]
    mine = next(t for t in leader_tasks if t["assignee_id"] == org.office_leader.id)
    [review_again] = act(rpc, org.office_leader, mine["id"], action="return", opinion="请再研究")[
        "next_tasks"
    ]
    assert (review_again["step"], review_again["assignee_id"]) == (
        "division_review",
        division.head.id,
    )
    assert not [t for t in todo(rpc, org.gov_leader) if t["document_id"] == document_id]
    [cancelled] = events.wait(document_id, "task.cancelled")
    assert cancelled["data"]["assignee_id"] == org.gov_leader.id

    # 办结 → 办理, to the handler who handled it
    [handle] = act(rpc, division.head, review_again["id"], action="approve")["next_tasks"]
    [complete] = act(rpc, division.handler, handle["id"], action="handle", opinion="已办")[
        "next_tasks"
    ]
    [handle_again] = act(rpc, org.registrar, complete["id"], action="return", opinion="材料不全")[
        "next_tasks"
    ]
    assert (handle_again["step"], handle_again["assignee_id"]) == ("handle", division.handler.id)

    statuses = [(t["step"], t["status"]) for t in route(rpc, org, document_id)]
    assert statuses.count(("leader_instruction", "cancelled")) == 1
    assert [s for s in statuses if s[1] == "returned"] == [
        ("division_sign", "returned"),
        ("propose", "returned"),
        ("division_review", "returned"),
        ("leader_instruction", "returned"),
        ("registry_complete", "returned"),
    ]
    assert len(events.wait(document_id, "task.returned", count=5)) == 5


def test_a_division_head_signing_names_the_handler_of_the_division(rpc: SyncRpc, org: Org):
    division, other = org.division(), org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    for stranger in (other.handler.id, division.head.id):  # not a handler of this division
        with pytest.raises(InvalidInput) as err:
            act(rpc, division.head, sign["id"], action="sign", handler_id=stranger)
        assert err.value.code == "not_a_handler"
    [propose] = act(rpc, division.head, sign["id"], action="sign", handler_id=division.handler2.id)[
        "next_tasks"
    ]
    assert (propose["step"], propose["assignee_id"]) == ("propose", division.handler2.id)
    assert propose["id"] in [t["id"] for t in todo(rpc, division.handler2)]


def test_a_document_given_back_by_one_division_is_not_complete_until_redistributed(
    rpc: SyncRpc, org: Org, events: EventLog
):
    assert org.registrar
    lead, assisting, substitute = org.division(), org.division(), org.division()
    document_id = register(rpc, org)
    sign_lead, sign_assisting = distribute(rpc, org, document_id, lead, assisting)["tasks"]
    act(rpc, assisting.handler, sign_assisting["id"], action="return", opinion="非本处职责")

    def finish(division, sign):  # type: ignore[no-untyped-def]
        [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
        [review] = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")[
            "next_tasks"
        ]
        [handle] = act(rpc, division.head, review["id"], action="approve")["next_tasks"]
        [complete] = act(rpc, division.handler, handle["id"], action="handle", opinion="已办")[
            "next_tasks"
        ]
        return act(rpc, org.registrar, complete["id"], action="complete")["next_tasks"]

    assert finish(lead, sign_lead) == []  # the registry still has to redistribute
    assert events.of(document_id, "document.completed") == []
    [sign_substitute] = distribute(rpc, org, document_id, lead, substitute)["tasks"]
    assert sign_substitute["unit_id"] == substitute.id  # the lead's finished branch stays as is
    [archive] = finish(substitute, sign_substitute)
    assert archive["step"] == "registry_archive"
    events.wait(document_id, "document.completed")
