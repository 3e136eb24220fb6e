"""Leader instructions (领导批示): parallel leaders, and secretaries entering an
instruction on a leader's behalf (代领导批示) only with a valid delegation (授权)."""

from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput
from tests.support.people import Org
from tests.support.routing import EventLog, act, at_review, route, the_task, todo
from tests.support.stacks import SyncRpc


def test_only_leaders_can_be_asked_for_instructions(rpc: SyncRpc, org: Org):
    division = org.division()
    _, review = at_review(rpc, org, division)
    for not_a_leader in (division.handler.id, "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(InvalidInput) as err:
            act(rpc, division.head, review["id"], action="approve", leader_ids=[not_a_leader])
        assert err.value.code == "not_a_leader"


def test_a_leader_of_another_tenant_is_not_a_leader_here(rpc: SyncRpc, org: Org, other_org: Org):
    assert other_org.office_leader
    division = org.division()
    _, review = at_review(rpc, org, division)
    with pytest.raises(InvalidInput) as err:
        act(
            rpc,
            division.head,
            review["id"],
            action="approve",
            leader_ids=[other_org.office_leader.id],
        )
    assert err.value.code == "not_a_leader"


def test_a_secretary_with_a_delegation_instructs_for_the_leader_and_without_one_is_refused(
    rpc: SyncRpc, org: Org, events: EventLog
):
    assert org.office_leader and org.gov_leader and org.secretary
    secretary = org.person(org.root_id, "secretary")
    org.delegate(org.office_leader, secretary)  # from the office leader only
    division = org.division()
    document_id, review = at_review(rpc, org, division)
    act(
        rpc,
        division.head,
        review["id"],
        action="approve",
        leader_ids=[org.office_leader.id, org.gov_leader.id],
    )
    office_task = the_task(todo(rpc, org.office_leader), document_id)
    gov_task = the_task(todo(rpc, org.gov_leader), document_id)

    # 代录批示: the secretary's list has the office leader's task (instruct only), not the
    # provincial leader's (no delegation from them); another secretary's has nothing
    mine = rpc.call("routing", "list_delegated", context=secretary.ctx(), query={"limit": 200})
    listed = {t["id"]: t for t in mine["items"]}
    assert office_task["id"] in listed and gov_task["id"] not in listed
    assert listed[office_task["id"]]["allowed_actions"] == ["instruct"]
    assert listed[office_task["id"]]["assignee_id"] == org.office_leader.id
    others = rpc.call("routing", "list_delegated", context=org.secretary.ctx(), query={})
    assert [t for t in others["items"] if t["document_id"] == document_id] == []

    # no delegation from the provincial leader: refused, the task stays open
    with pytest.raises(Forbidden) as err:
        act(
            rpc,
            secretary,
            gov_task["id"],
            action="instruct",
            opinion="同意",
            on_behalf_of=org.gov_leader.id,
        )
    assert err.value.code == "no_valid_delegation"
    # naming a leader who does not hold the task is not holding it
    with pytest.raises(Forbidden) as err:
        act(
            rpc,
            secretary,
            gov_task["id"],
            action="instruct",
            opinion="同意",
            on_behalf_of=org.office_leader.id,
        )
    assert err.value.code == "not_task_holder"
    # another secretary, without any delegation
    with pytest.raises(Forbidden) as err:
        act(
            rpc,
            org.secretary,
            office_task["id"],
            action="instruct",
            opinion="同意",
            on_behalf_of=org.office_leader.id,
        )
    assert err.value.code == "no_valid_delegation"

    # with the office leader's delegation: entered on the leader's behalf
    result = act(
        rpc,
        secretary,
        office_task["id"],
        action="instruct",
        opinion="请综合处抓紧落实",
        on_behalf_of=org.office_leader.id,
    )
    assert result["task"]["status"] == "done" and result["task"]["assignee_id"] == (
        org.office_leader.id
    )
    assert result["next_tasks"] == []  # the provincial leader has not instructed yet
    [instructed] = [
        e
        for e in events.wait(document_id, "task.completed", count=5)  # 分办, 签收, 拟办, 审核, 批示
        if e["data"]["action"] == "instruct"
    ]
    assert instructed["data"]["actor_id"] == secretary.id
    assert instructed["data"]["on_behalf_of_id"] == org.office_leader.id
    assert instructed["data"]["opinion_kind"] == "instruction"

    # the last leader instructs in person: the branch goes on to the handler
    [handle] = act(rpc, org.gov_leader, gov_task["id"], action="instruct", opinion="同意")[
        "next_tasks"
    ]
    assert (handle["step"], handle["assignee_id"]) == ("handle", division.handler.id)
    leader_steps = [t for t in route(rpc, org, document_id) if t["step"] == "leader_instruction"]
    assert [t["status"] for t in leader_steps] == ["done", "done"]
