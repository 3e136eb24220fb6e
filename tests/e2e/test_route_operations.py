"""Route operations clerks ask for most, on an incoming route through the gateway:
退回 to an earlier step chosen from the route, 撤回 by the sender while the next holder
has not acted, and 转交 within a division by its head — each in the trail, each
refusal with its own code and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    User,
    act,
    expect_error,
    incoming_office,
    ok,
    todo,
)
from tests.support.instructions import task_of, to_leaders
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Office:
    return incoming_office(gw, platform_admin)


def trace_actions(person: Person, document_id: str) -> list[str]:
    return [t["action"] for t in ok(person.get(f"/documents/{document_id}/slip"))["trace"]]


def mine(person: Person, document_id: str) -> list[dict[str, Any]]:
    return [t for t in todo(person) if t["document_id"] == document_id]


def test_a_leader_returns_to_a_step_chosen_from_the_route(office: Office):
    leader, handler, head = office["ting1"], office["dz_ban1"], office["dz_chu"]
    doc, tasks = to_leaders(office, "关于选择退回环节的测试件", [leader])
    task = task_of(tasks, leader)
    targets = ok(leader.get(f"/tasks/{task['id']}/return-targets"))
    steps = [t["step"] for t in targets]
    assert steps[:2] == ["division_review", "propose"]
    assert [t["default"] for t in targets][:2] == [True, False]
    assert {t["step"]: t["holder_id"] for t in targets}["propose"] == handler.id
    assert ok(handler.get(f"/tasks/{task['id']}/return-targets")) == []  # not theirs

    path = f"/tasks/{task['id']}/actions"
    body = {"action": "return", "opinion": "拟办意见需补充依据。"}
    expect_error(
        leader.post(path, json={**body, "return_to_step": "handle"}), 422, "return_step_not_passed"
    )
    expect_error(
        leader.post(path, json={**body, "return_to_step": "no_such_step"}),
        422,
        "return_step_not_passed",
    )
    expect_error(
        leader.post(path, json={"action": "instruct", "opinion": "x", "return_to_step": "propose"}),
        422,
        "return_to_not_expected",
    )
    assert ok(leader.get(f"/tasks/{task['id']}"))["status"] == "open"

    out = act(leader, task["id"], **body, return_to_step="propose")
    assert out["task"]["status"] == "returned"
    [back] = out["next_tasks"]
    assert (back["step"], back["assignee_id"]) == ("propose", handler.id)
    assert mine(head, doc["id"]) == []  # the review step was skipped over, not reopened

    def returned_on_slip() -> bool:
        opinions = ok(handler.get(f"/documents/{doc['id']}/slip"))["opinions"]
        return any(o["kind"] == "return_reason" and o["text"] == body["opinion"] for o in opinions)

    eventually(returned_on_slip, 20, "the reason on the slip")


def test_the_sender_withdraws_until_the_next_holder_acts(office: Office):
    registrar, handler, head = office["wenshu"], office["dz_ban1"], office["dz_chu"]
    doc, tasks = to_leaders(office, "关于撤回的测试件", [office["ting1"]])
    # back to the handler's proposal for the test: the leader returns it
    [propose] = act(
        office["ting1"],
        task_of(tasks, office["ting1"])["id"],
        action="return",
        opinion="请重拟",
        return_to_step="propose",
    )["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="重新拟办。")["next_tasks"]

    expect_error(office["dz_ban2"].post(f"/tasks/{propose['id']}/withdraw"), 403, "not_task_sender")
    back = ok(handler.post(f"/tasks/{propose['id']}/withdraw"))
    again = back["task"]
    assert (again["step"], again["assignee_id"], again["status"]) == ("propose", handler.id, "open")
    assert ok(head.get(f"/tasks/{review['id']}"))["status"] == "cancelled"
    assert [t["id"] for t in mine(handler, doc["id"])] == [again["id"]]
    eventually(lambda: "task.withdraw" in trace_actions(registrar, doc["id"]), 20, "the trail")

    # once the division head has acted, it is too late
    [review2] = act(handler, again["id"], action="propose", opinion="再次拟办。")["next_tasks"]
    act(head, review2["id"], action="approve", opinion="同意。")
    expect_error(handler.post(f"/tasks/{again['id']}/withdraw"), 409, "next_holder_acted")
    expect_error(handler.post(f"/tasks/{review2['id']}/withdraw"), 403, "not_task_sender")


def test_a_division_head_reassigns_a_task_within_the_division(office: Office):
    registrar, handler, other, head = (
        office["wenshu"],
        office["dz_ban1"],
        office["dz_ban2"],
        office["dz_chu"],
    )
    doc, tasks = to_leaders(office, "关于转交的测试件", [office["ting1"]])
    [handle] = act(
        office["ting1"], task_of(tasks, office["ting1"])["id"], action="instruct", opinion="阅办。"
    )["next_tasks"]
    assert handle["assignee_id"] == handler.id
    path = f"/tasks/{handle['id']}/reassign"
    expect_error(handler.post(path, json={"handler_id": other.id}), 403, "not_division_head")
    expect_error(
        office["zh_chu"].post(path, json={"handler_id": other.id}), 403, "not_division_head"
    )
    expect_error(head.post(path, json={"handler_id": office["zh_ban"].id}), 422, "not_a_handler")
    expect_error(head.post(path, json={"handler_id": handler.id}), 409, "already_assigned")
    assert [t["id"] for t in mine(handler, doc["id"])] == [handle["id"]]

    moved = ok(head.post(path, json={"handler_id": other.id, "reason": "承办人出差"}))["task"]
    assert (moved["step"], moved["assignee_id"]) == (handle["step"], other.id)
    assert moved["due_at"] == handle["due_at"]  # the deadline stays
    assert mine(handler, doc["id"]) == []
    assert [t["id"] for t in mine(other, doc["id"])] == [moved["id"]]
    expect_error(head.post(path, json={"handler_id": other.id}), 409, "task_closed")
    eventually(lambda: "task.reassign" in trace_actions(registrar, doc["id"]), 20, "the trail")
    # the new handler carries on
    assert act(other, moved["id"], action="handle", opinion="已办理。")["task"]["status"] == "done"
