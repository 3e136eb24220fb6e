"""The outgoing route (发文) as pure rules (no broker, no database): the default
template and the migration that seeds it, what makes an outgoing template unusable,
核稿 naming the signer, 会签 in parallel and in turn, 签发 by the signer or a
secretary on the signer's behalf, and a return from 会签 closing the other
countersigners' tasks."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.common.errors import Forbidden, InvalidInput
from services.routing.schemas import (
    DEFAULT_INCOMING,
    DEFAULT_OUTGOING,
    TaskAction,
    TaskStatus,
    TemplateDef,
)
from services.routing.templates import Flow, validate_template
from services.routing.workflow import (
    Actor,
    Branch,
    BranchOutcome,
    Holder,
    TaskState,
    plan,
    validate_action,
)

MIGRATION = (
    Path(__file__).resolve().parents[2] / "services/routing/migrations/versions/0006_outgoing.py"
)
DRAFTING = uuid.uuid4()
REGISTRY = uuid.uuid4()
ZONGHE, FAGUI, MISHU = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
DRAFTER, LEADER, SECRETARY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _flow(mode: str = "parallel") -> Flow:
    data = DEFAULT_OUTGOING.model_dump(mode="json")
    for step in data["steps"]:
        if step["key"] == "countersign":
            step["countersign_mode"] = mode
    return Flow.of(TemplateDef.model_validate(data))


def actor(*roles: str, unit: uuid.UUID | None = DRAFTING, user: uuid.UUID | None = None) -> Actor:
    return Actor(user_id=user or uuid.uuid4(), roles=frozenset(roles), org_unit_id=unit)


def task(step: str, *, unit: uuid.UUID | None = DRAFTING, assignee: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    return TaskState(uuid.uuid4(), step, unit, assignee, TaskStatus.open, 1)


def request(action: str, **fields: object) -> TaskAction:
    return TaskAction.model_validate({"action": action, **fields})


def branch(**fields: Any) -> Branch:
    values: dict[str, Any] = {
        "unit_id": DRAFTING,
        "registry_unit_id": REGISTRY,
        "handler_id": DRAFTER,
    }
    values.update(fields)
    return Branch(**values)


def act(flow: Flow, t: TaskState, who: Actor, req: TaskAction, b: Branch | None = None):  # type: ignore[no-untyped-def]
    acting = validate_action(flow, t, who, req)
    return plan(flow, t, req, acting, who, b or branch())


def test_the_migration_seeds_exactly_the_default_outgoing_template():
    spec = importlib.util.spec_from_file_location("routing_0006", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert TemplateDef.model_validate(module.DEFAULT_OUTGOING) == DEFAULT_OUTGOING


def test_the_default_outgoing_route_goes_from_draft_to_archive():
    route = {s.key: dict(s.actions) for s in DEFAULT_OUTGOING.steps}
    assert route == {
        "draft": {"submit": "check"},
        "check": {"check": "countersign", "return": "draft"},
        "countersign": {"countersign": "issue", "return": "draft"},
        "issue": {"issue": "number", "return": "check"},
        "number": {"number": "seal", "return": "issue"},
        "seal": {"seal": "dispatch"},
        "dispatch": {"dispatch": "archive"},
        "archive": {"archive": None},
    }
    flow = _flow()
    assert (
        flow.outgoing and flow.is_leader_step("issue") and flow.is_countersign_step("countersign")
    )
    assert not flow.lives_in_registry_instance("archive")  # one route, the registry's steps in it


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["steps"][0]["actions"].update({"distribute": "check"}), "does not distribute"),
        (lambda d: d["steps"].pop(6), "needs steps that dispatch"),
        (lambda d: d["steps"][3]["actions"].update({"seal": "dispatch"}), "allows only issue"),
    ],
)
def test_an_outgoing_template_the_engine_could_not_run_is_refused(change: Any, message: str):
    data = DEFAULT_OUTGOING.model_dump(mode="json")
    change(data)
    if message == "needs steps that dispatch":
        data["steps"][5]["actions"] = {"seal": "archive"}
    with pytest.raises(InvalidInput) as err:
        validate_template(TemplateDef.model_validate(data))
    assert err.value.code == "bad_template" and message in err.value.message


def test_an_incoming_template_cannot_take_outgoing_steps():
    data = DEFAULT_INCOMING.model_dump(mode="json")
    data["steps"][2]["actions"]["seal"] = "handle"
    with pytest.raises(InvalidInput) as err:
        validate_template(TemplateDef.model_validate(data))
    assert "does not seal" in err.value.message


def test_check_must_name_exactly_one_signer():
    flow = _flow()
    head = actor("division_head")
    for leaders in ([], [LEADER, uuid.uuid4()]):
        with pytest.raises(InvalidInput) as err:
            act(flow, task("check"), head, request("check", leader_ids=leaders))
        assert err.value.code == "signer_required"
    with pytest.raises(InvalidInput) as err:
        act(
            flow,
            task("draft", assignee=DRAFTER),
            actor("handler", user=DRAFTER),
            request("submit", countersign_unit_ids=[ZONGHE]),
        )
    assert err.value.code == "countersign_not_expected"


def test_without_countersigners_check_goes_straight_to_the_signer():
    out = act(_flow(), task("check"), actor("division_head"), request("check", leader_ids=[LEADER]))
    [issue] = out.new_tasks
    assert (issue.step, issue.assignee_id, out.signer_id) == ("issue", LEADER, LEADER)


def test_parallel_countersigning_opens_every_division_and_waits_for_all():
    flow = _flow("parallel")
    out = act(
        flow,
        task("check"),
        actor("division_head"),
        request("check", leader_ids=[LEADER], countersign_unit_ids=[ZONGHE, FAGUI]),
    )
    assert [(t.step, t.unit_id, t.assignee_id) for t in out.new_tasks] == [
        ("countersign", ZONGHE, None),
        ("countersign", FAGUI, None),
    ]
    zonghe = actor("division_head", unit=ZONGHE)
    first = act(
        flow,
        task("countersign", unit=ZONGHE),
        zonghe,
        request("countersign", opinion="同意。"),
        branch(signer_id=LEADER, open_siblings=1),
    )
    assert first.branch is BranchOutcome.waits and first.new_tasks == ()
    last = act(
        flow,
        task("countersign", unit=FAGUI),
        actor("division_head", unit=FAGUI),
        request("countersign", opinion="同意。"),
        branch(signer_id=LEADER, open_siblings=0),
    )
    [issue] = last.new_tasks
    assert (issue.step, issue.assignee_id) == ("issue", LEADER)


def test_sequential_countersigning_passes_from_one_division_to_the_next():
    flow = _flow("sequential")
    out = act(
        flow,
        task("check"),
        actor("division_head"),
        request("check", leader_ids=[LEADER], countersign_unit_ids=[ZONGHE, FAGUI]),
    )
    assert [t.unit_id for t in out.new_tasks] == [ZONGHE] and out.countersign_queue == (FAGUI,)
    following = act(
        flow,
        task("countersign", unit=ZONGHE),
        actor("division_head", unit=ZONGHE),
        request("countersign", opinion="同意。"),
        branch(signer_id=LEADER, countersign_queue=(FAGUI,)),
    )
    assert [(t.step, t.unit_id) for t in following.new_tasks] == [("countersign", FAGUI)]
    assert following.countersign_queue == ()
    end = act(
        flow,
        task("countersign", unit=FAGUI),
        actor("division_head", unit=FAGUI),
        request("countersign", opinion="同意。"),
        branch(signer_id=LEADER),
    )
    assert [t.step for t in end.new_tasks] == ["issue"]


def test_a_countersign_needs_an_opinion_and_a_head_of_that_division():
    flow = _flow()
    with pytest.raises(InvalidInput) as err:
        act(
            flow,
            task("countersign", unit=ZONGHE),
            actor("division_head", unit=ZONGHE),
            request("countersign"),
        )
    assert err.value.code == "opinion_required"
    with pytest.raises(Forbidden):
        act(
            flow,
            task("countersign", unit=ZONGHE),
            actor("division_head", unit=FAGUI),
            request("countersign", opinion="同意。"),
        )


def test_a_secretary_issues_for_the_signer_and_nothing_else_on_behalf():
    flow = _flow()
    secretary = actor("secretary", unit=MISHU, user=SECRETARY)
    issue = task("issue", assignee=LEADER)
    out = act(flow, issue, secretary, request("issue", opinion="同意印发。", on_behalf_of=LEADER))
    [number] = out.new_tasks
    assert (number.step, number.unit_id, number.assignee_id) == ("number", REGISTRY, None)
    with pytest.raises(Forbidden):
        act(flow, issue, secretary, request("issue", opinion="同意印发。"))  # not their task
    with pytest.raises(Forbidden):
        act(flow, issue, secretary, request("issue", opinion="同意。", on_behalf_of=uuid.uuid4()))


def test_a_return_from_countersign_goes_to_the_drafter_and_closes_the_other_countersigns():
    out = act(
        _flow(),
        task("countersign", unit=ZONGHE),
        actor("division_head", unit=ZONGHE),
        request("return", opinion="口径需核对。"),
        branch(signer_id=LEADER, open_siblings=1, previous_holder=Holder(DRAFTER, DRAFTING)),
    )
    assert out.status is TaskStatus.returned and out.cancel_open_siblings
    [back] = out.new_tasks
    assert (back.step, back.assignee_id) == ("draft", DRAFTER)
