"""The incoming-document state machine as pure rules (no broker, no database):
who may act, which actions and opinions each step wants, where an action leads,
where a return goes, and how parallel leader instructions join."""

from __future__ import annotations

import uuid

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.routing.schemas import DEFAULT_INCOMING, Action, TaskAction, TaskStatus
from services.routing.templates import Flow
from services.routing.workflow import (
    Actor,
    Branch,
    BranchOutcome,
    DocRole,
    Holder,
    TaskState,
    allowed_actions,
    check_open,
    document_complete,
    plan,
    plan_distribution,
    validate_action,
)

FLOW = Flow.of(DEFAULT_INCOMING)
DIVISION = uuid.uuid4()
OTHER_DIVISION = uuid.uuid4()
REGISTRY = uuid.uuid4()


def actor(*roles: str, unit: uuid.UUID | None = DIVISION, user: uuid.UUID | None = None) -> Actor:
    return Actor(user_id=user or uuid.uuid4(), roles=frozenset(roles), org_unit_id=unit)


def task(
    step: str,
    *,
    unit: uuid.UUID | None = DIVISION,
    assignee: uuid.UUID | None = None,
    status: TaskStatus = TaskStatus.open,
    version: int = 1,
) -> TaskState:
    return TaskState(uuid.uuid4(), step, unit, assignee, status, version)


def request(action: str, **fields: object) -> TaskAction:
    return TaskAction.model_validate({"action": action, **fields})


def branch(**fields: object) -> Branch:
    values: dict[str, object] = {
        "unit_id": DIVISION,
        "registry_unit_id": REGISTRY,
        "handler_id": None,
    }
    values.update(fields)
    return Branch(**values)  # type: ignore[arg-type]


def act(t: TaskState, who: Actor, req: TaskAction, b: Branch | None = None):  # type: ignore[no-untyped-def]
    acting = validate_action(FLOW, t, who, req)
    return plan(FLOW, t, req, acting, who, b or branch())


# -- is the task open ------------------------------------------------------------------------


def test_a_closed_task_cannot_be_acted_on():
    with pytest.raises(Conflict) as err:
        check_open(task("propose", status=TaskStatus.done, version=2))
    assert err.value.code == "task_closed"


def test_a_client_that_saw_the_task_open_learns_somebody_else_took_it():
    with pytest.raises(Conflict) as err:
        check_open(task("propose", status=TaskStatus.done, version=2), expected_version=1)
    assert err.value.code == "task_already_taken"
    with pytest.raises(Conflict) as err:
        check_open(task("propose", version=3), expected_version=2)
    assert err.value.code == "task_already_taken"


# -- who may act ------------------------------------------------------------------------------


def test_a_pooled_task_is_held_by_any_user_of_its_unit_with_a_step_role():
    handler = actor("handler")
    outcome = act(task("division_sign"), handler, request("sign"))
    assert outcome.status is TaskStatus.done


@pytest.mark.parametrize(
    "who",
    [
        actor("handler", unit=OTHER_DIVISION),  # another division
        actor("registrar"),  # right unit, wrong role
        actor("handler", unit=None),  # no unit at all
    ],
)
def test_a_pooled_task_is_refused_to_others(who: Actor):
    with pytest.raises(Forbidden) as err:
        act(task("division_sign"), who, request("sign"))
    assert err.value.code == "not_task_holder"


def test_an_assigned_task_is_held_only_by_its_assignee():
    handler = actor("handler")
    mine = task("propose", assignee=handler.user_id)
    assert (
        act(mine, handler, request("propose", opinion="拟请办公厅牵头")).status is TaskStatus.done
    )
    with pytest.raises(Forbidden) as err:
        act(mine, actor("handler"), request("propose", opinion="x"))
    assert err.value.code == "not_task_holder"


def test_the_assignee_still_needs_a_role_of_the_step():
    user = uuid.uuid4()
    with pytest.raises(Forbidden):
        act(task("propose", assignee=user), actor("division_head", user=user), request("propose"))


def test_a_secretary_acts_on_a_leader_task_only_for_that_leader():
    leader = uuid.uuid4()
    secretary = actor("secretary", unit=None)
    leader_task = task("leader_instruction", assignee=leader)
    acting = validate_action(
        FLOW, leader_task, secretary, request("instruct", opinion="同意", on_behalf_of=str(leader))
    )
    assert acting.on_behalf_of == leader and acting.actor_id == secretary.user_id
    with pytest.raises(Forbidden) as err:  # somebody else's leader
        validate_action(
            FLOW,
            leader_task,
            secretary,
            request("instruct", opinion="同意", on_behalf_of=str(uuid.uuid4())),
        )
    assert err.value.code == "not_task_holder"
    with pytest.raises(Forbidden):  # not a secretary
        validate_action(
            FLOW,
            leader_task,
            actor("handler"),
            request("instruct", opinion="同意", on_behalf_of=str(leader)),
        )
    with pytest.raises(Forbidden):  # without on_behalf_of it is simply not theirs
        validate_action(FLOW, leader_task, secretary, request("instruct", opinion="同意"))


def test_nothing_but_leader_steps_is_entered_on_behalf():
    leader = uuid.uuid4()
    with pytest.raises(Forbidden):
        validate_action(
            FLOW,
            task("propose", assignee=leader),
            actor("secretary"),
            request("propose", opinion="x", on_behalf_of=str(leader)),
        )


# -- what may be done at a step ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "roles", "action"),
    [
        ("propose", ("handler",), "approve"),
        ("division_review", ("division_head",), "instruct"),
        ("handle", ("handler",), "return"),  # handle cannot be returned
        ("division_sign", ("handler",), "archive"),
    ],
)
def test_an_action_the_step_does_not_allow_is_refused(
    step: str, roles: tuple[str, ...], action: str
):
    with pytest.raises(InvalidInput) as err:
        act(task(step), actor(*roles), request(action, opinion="x"))
    assert err.value.code == "action_not_allowed"


def test_distribution_is_not_an_act():
    with pytest.raises(InvalidInput) as err:
        act(
            task("registry_distribute", unit=REGISTRY),
            actor("registrar", unit=REGISTRY),
            request("distribute"),
        )
    assert err.value.code == "action_not_allowed"


@pytest.mark.parametrize(
    ("step", "roles", "action"),
    [
        ("propose", ("handler",), "propose"),
        ("propose", ("handler",), "return"),
        ("leader_instruction", ("office_leader",), "instruct"),
    ],
)
def test_proposals_returns_and_instructions_need_an_opinion(
    step: str, roles: tuple[str, ...], action: str
):
    with pytest.raises(InvalidInput) as err:
        act(task(step, unit=DIVISION), actor(*roles), request(action))
    assert err.value.code == "opinion_required"


def test_approval_and_signing_need_no_opinion():
    assert act(task("division_sign"), actor("handler"), request("sign")).status is TaskStatus.done
    assert act(task("division_review"), actor("division_head"), request("approve")).status is (
        TaskStatus.done
    )


def test_leaders_are_chosen_only_where_the_action_leads_to_leaders():
    with pytest.raises(InvalidInput) as err:
        act(
            task("propose"),
            actor("handler"),
            request("propose", opinion="x", leader_ids=[str(uuid.uuid4())]),
        )
    assert err.value.code == "leaders_not_expected"


def test_the_buttons_are_the_holders_only():
    handler = actor("handler")
    assert allowed_actions(FLOW, task("division_sign"), handler) == ["sign", "return"]
    assert allowed_actions(FLOW, task("handle", assignee=handler.user_id), handler) == ["handle"]
    assert allowed_actions(FLOW, task("division_sign"), actor("handler", unit=OTHER_DIVISION)) == []
    assert allowed_actions(FLOW, task("division_sign", status=TaskStatus.done), handler) == []


# -- where an action leads ----------------------------------------------------------------------


def test_a_handler_who_signs_becomes_the_handler_of_the_branch():
    handler = actor("handler")
    outcome = act(task("division_sign"), handler, request("sign"))
    assert outcome.branch is BranchOutcome.continues
    [new] = outcome.new_tasks
    assert (new.step, new.unit_id, new.assignee_id) == ("propose", DIVISION, handler.user_id)
    assert outcome.handler_id == handler.user_id


def test_a_division_head_who_signs_pools_the_proposal_or_names_the_handler():
    head = actor("division_head")
    [pooled] = act(task("division_sign"), head, request("sign")).new_tasks
    assert pooled.assignee_id is None and pooled.unit_id == DIVISION
    chosen = uuid.uuid4()
    outcome = act(task("division_sign"), head, request("sign", handler_id=str(chosen)))
    assert outcome.new_tasks[0].assignee_id == chosen and outcome.handler_id == chosen


def test_the_proposal_goes_to_any_division_head_for_review():
    handler = actor("handler")
    outcome = act(
        task("propose", assignee=handler.user_id),
        handler,
        request("propose", opinion="拟请综合处办理"),
        branch(handler_id=handler.user_id),
    )
    [new] = outcome.new_tasks
    assert (new.step, new.unit_id, new.assignee_id) == ("division_review", DIVISION, None)


def test_approval_to_leaders_opens_one_task_per_leader():
    a, b = uuid.uuid4(), uuid.uuid4()
    outcome = act(
        task("division_review"),
        actor("division_head"),
        request("approve", opinion="同意", leader_ids=[str(a), str(b), str(a)]),
    )
    assert [(t.step, t.assignee_id) for t in outcome.new_tasks] == [
        ("leader_instruction", a),
        ("leader_instruction", b),
    ]


def test_approval_without_leaders_goes_straight_to_the_handler():
    handler = uuid.uuid4()
    outcome = act(
        task("division_review"),
        actor("division_head"),
        request("approve"),
        branch(handler_id=handler),
    )
    [new] = outcome.new_tasks
    assert (new.step, new.assignee_id) == ("handle", handler)


def test_parallel_leaders_join_when_the_last_one_instructs():
    handler = uuid.uuid4()
    leader = actor("office_leader", unit=None)
    first = act(
        task("leader_instruction", assignee=leader.user_id),
        leader,
        request("instruct", opinion="请抓紧办理"),
        branch(handler_id=handler, open_siblings=1),
    )
    assert first.branch is BranchOutcome.waits and first.new_tasks == ()
    last_leader = actor("gov_leader", unit=None)
    last = act(
        task("leader_instruction", assignee=last_leader.user_id),
        last_leader,
        request("instruct", opinion="同意"),
        branch(handler_id=handler, open_siblings=0),
    )
    [new] = last.new_tasks
    assert (new.step, new.assignee_id) == ("handle", handler)


def test_handling_goes_back_to_the_registry_which_completes_the_branch():
    handler = actor("handler")
    outcome = act(
        task("handle", assignee=handler.user_id),
        handler,
        request("handle", opinion="已落实"),
        branch(handler_id=handler.user_id),
    )
    [new] = outcome.new_tasks
    assert (new.step, new.unit_id, new.assignee_id) == ("registry_complete", REGISTRY, None)
    registrar = actor("registrar", unit=REGISTRY)
    done = act(task("registry_complete", unit=REGISTRY), registrar, request("complete"))
    assert done.branch is BranchOutcome.completed and done.new_tasks == ()
    archived = act(task("registry_archive", unit=REGISTRY), registrar, request("archive"))
    assert archived.branch is BranchOutcome.archived


# -- returns (退回) ------------------------------------------------------------------------------------


def test_a_return_goes_to_the_previous_holder_at_the_previous_step():
    signer = Holder(uuid.uuid4(), DIVISION)
    handler = actor("handler")
    outcome = act(
        task("propose", assignee=handler.user_id),
        handler,
        request("return", opinion="非本处职责"),
        branch(previous_holder=signer),
    )
    assert outcome.status is TaskStatus.returned
    [new] = outcome.new_tasks
    assert (new.step, new.unit_id, new.assignee_id) == ("division_sign", DIVISION, signer.user_id)


@pytest.mark.parametrize(
    ("step", "roles", "target"),
    [
        ("division_review", ("division_head",), "propose"),
        ("registry_complete", ("registrar",), "handle"),
    ],
)
def test_every_returnable_step_goes_back_one_step(step: str, roles: tuple[str, ...], target: str):
    holder = Holder(uuid.uuid4(), DIVISION)
    unit = REGISTRY if "registrar" in roles else DIVISION
    outcome = act(
        task(step, unit=unit),
        actor(*roles, unit=unit),
        request("return", opinion="请补充"),
        branch(previous_holder=holder),
    )
    [new] = outcome.new_tasks
    assert (new.step, new.assignee_id) == (target, holder.user_id)


def test_a_division_returning_the_document_gives_it_back_to_the_registry():
    registrar = Holder(uuid.uuid4(), REGISTRY)
    outcome = act(
        task("division_sign"),
        actor("handler"),
        request("return", opinion="不属于本处职责"),
        branch(previous_holder=registrar),
    )
    assert outcome.branch is BranchOutcome.returned_to_registry
    [new] = outcome.new_tasks
    assert new.in_registry_instance
    assert (new.step, new.unit_id, new.assignee_id) == (
        "registry_distribute",
        REGISTRY,
        registrar.user_id,
    )


def test_a_leader_returning_closes_the_other_leaders_tasks():
    head = Holder(uuid.uuid4(), DIVISION)
    leader = actor("office_leader", unit=None)
    outcome = act(
        task("leader_instruction", assignee=leader.user_id),
        leader,
        request("return", opinion="请重新研究"),
        branch(previous_holder=head, open_siblings=2),
    )
    assert outcome.cancel_open_siblings
    [new] = outcome.new_tasks
    assert (new.step, new.assignee_id) == ("division_review", head.user_id)


def test_a_return_with_nobody_to_return_to_is_pooled():
    outcome = act(task("division_review"), actor("division_head"), request("return", opinion="x"))
    [new] = outcome.new_tasks
    assert (new.step, new.unit_id, new.assignee_id) == ("propose", DIVISION, None)


# -- distribution and completion --------------------------------------------------------------------------


def test_distribution_opens_the_lead_branch_first():
    lead, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert plan_distribution(lead, [a, b]) == [
        (lead, DocRole.lead),
        (a, DocRole.assisting),
        (b, DocRole.assisting),
    ]


@pytest.mark.parametrize("duplicate", ["lead", "assisting"])
def test_a_division_is_distributed_to_once(duplicate: str):
    lead, a = uuid.uuid4(), uuid.uuid4()
    assisting = [a, lead] if duplicate == "lead" else [a, a]
    with pytest.raises(InvalidInput) as err:
        plan_distribution(lead, assisting)
    assert err.value.code == "duplicate_unit"


def test_a_document_is_complete_when_every_live_branch_is_and_nothing_is_left_to_do():
    assert document_complete(["completed", "completed"], open_tasks=0)
    assert document_complete(["completed", "returned"], open_tasks=0)
    assert not document_complete(["completed", "active"], open_tasks=0)
    assert not document_complete(["returned"], open_tasks=0)
    assert not document_complete([], open_tasks=0)
    # a division gave it back and the registry has not redistributed it yet
    assert not document_complete(["completed", "returned"], open_tasks=1)


def test_actions_are_named_as_in_the_contract():
    assert {a.value for a in Action} >= {a for step in DEFAULT_INCOMING.steps for a in step.actions}
