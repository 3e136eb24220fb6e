"""The state machine of incoming documents (收文办理), driven by template data.

Pure rules: who may act on a task, which actions and opinions are required, and
what an action leads to (:func:`plan`). The caller (``operations``) loads the
task and its surroundings, asks these functions, and writes what they decide.
No database, no transport.

Checks run in a fixed order, each with its own error, so that a client can tell
them apart: the task is open (``task_closed`` / ``task_already_taken``), the
caller holds it (``not_task_holder``), the action is allowed at its step
(``action_not_allowed``), the opinion is there when required
(``opinion_required``), and the choice of leaders fits the step.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.vocabulary import OpinionKind, Role
from services.routing.schemas import Action, TaskAction, TaskStatus
from services.routing.templates import Flow, holds_any

#: actions whose opinion is required (拟办意见, 退回理由, 批示)
OPINION_REQUIRED = frozenset(
    {Action.propose, Action.return_, Action.instruct, Action.countersign, Action.issue}
)
#: actions a secretary may enter on a leader's behalf (代领导批示 / 代领导签发)
ON_BEHALF_ACTIONS = frozenset({Action.instruct, Action.issue, Action.return_})
#: at most this many divisions countersign (会签) one document
MAX_COUNTERSIGNERS = 30

OPINION_KINDS: dict[Action, OpinionKind | None] = {
    Action.distribute: None,
    Action.sign: None,
    Action.propose: OpinionKind.proposal,
    Action.approve: OpinionKind.review,
    Action.instruct: OpinionKind.instruction,
    Action.handle: OpinionKind.handling,
    Action.complete: OpinionKind.completion,
    Action.archive: None,
    Action.return_: OpinionKind.return_reason,
    Action.submit: None,
    Action.check: OpinionKind.check,
    Action.countersign: OpinionKind.countersign,
    Action.issue: OpinionKind.issue,
    Action.number: None,
    Action.seal: None,
    Action.dispatch: None,
}

MAX_LEADERS = 20


class DocRole(StrEnum):
    """A document's role for a branch (and every task in it)."""

    lead = "lead"  # 主办
    assisting = "assisting"  # 协办
    registry = "registry"  # 文书处


@dataclass(frozen=True)
class Actor:
    """Who is acting, from the call context."""

    user_id: uuid.UUID
    roles: frozenset[str]
    org_unit_id: uuid.UUID | None


@dataclass(frozen=True)
class TaskState:
    """What the rules need to know of a task."""

    id: uuid.UUID
    step: str
    unit_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    status: TaskStatus
    version: int


@dataclass(frozen=True)
class Acting:
    """Who the action is recorded for: the actor, possibly on a leader's behalf (代领导批示)."""

    actor_id: uuid.UUID
    on_behalf_of: uuid.UUID | None = None


# -- checks, in the order they are made ------------------------------------------------------


def check_open(task: TaskState, expected_version: int | None = None) -> None:
    """Only an open task can be acted on.

    A client that says which version it saw (``expected_version``) learns that
    somebody else took the task since (``task_already_taken``); without it, a
    closed task is just ``task_closed``.
    """
    if task.status is not TaskStatus.open:
        if expected_version is not None and expected_version != task.version:
            raise Conflict("task_already_taken", "somebody else has acted on this task")
        raise Conflict("task_closed", f"the task is {task.status.value}")
    if expected_version is not None and expected_version != task.version:
        raise Conflict("task_already_taken", "the task changed since it was read")


def can_hold(flow: Flow, task: TaskState, actor: Actor) -> bool:
    """Whether ``actor`` holds ``task`` in person.

    A task with an assignee is held by that user (who still needs one of the
    step's roles); a pooled task by any user of its unit with one of the roles.
    """
    step = flow.step(task.step)
    if not holds_any(actor.roles, step.roles):
        return False
    if task.assignee_id is not None:
        return task.assignee_id == actor.user_id
    return task.unit_id is not None and actor.org_unit_id == task.unit_id


def check_holder(
    flow: Flow, task: TaskState, actor: Actor, on_behalf_of: uuid.UUID | None
) -> Acting:
    """``Forbidden("not_task_holder")`` unless the actor may act on the task.

    A secretary acts on a leader step for the leader the task is assigned to,
    naming that leader in ``on_behalf_of`` (whether a delegation is valid is
    asked of identity afterwards).
    """
    if on_behalf_of is not None:
        if (
            Role.secretary in actor.roles
            and flow.is_leader_step(task.step)
            and task.assignee_id is not None
            and task.assignee_id == on_behalf_of
            and on_behalf_of != actor.user_id
        ):
            return Acting(actor.user_id, on_behalf_of)
        raise Forbidden("not_task_holder", "this task is not held by the leader named")
    if not can_hold(flow, task, actor):
        raise Forbidden("not_task_holder", "this task is not yours to act on")
    return Acting(actor.user_id)


def check_action(flow: Flow, task: TaskState, action: Action, acting: Acting) -> None:
    if action.value not in flow.actions_at(task.step):
        raise InvalidInput(
            "action_not_allowed", f"{action.value!r} is not allowed at step {task.step!r}"
        )
    if action is Action.distribute:
        raise InvalidInput("action_not_allowed", "a document is distributed with distribute()")
    if acting.on_behalf_of is not None and action not in ON_BEHALF_ACTIONS:
        raise InvalidInput(
            "action_not_allowed", "only instructions and issues are entered on behalf"
        )


def check_opinion(action: Action, opinion: str | None) -> None:
    if action in OPINION_REQUIRED and not (opinion and opinion.strip()):
        raise InvalidInput("opinion_required", f"{action.value!r} needs an opinion")


def check_choices(flow: Flow, task: TaskState, request: TaskAction) -> None:
    """The leaders, divisions and handler chosen fit the step the action leads to."""
    target = (
        None if request.action is Action.return_ else flow.target(task.step, request.action.value)
    )
    if flow.needs_signer(task.step, request.action.value):
        if len(set(request.leader_ids)) != 1:
            raise InvalidInput(
                "signer_required", "name the one leader who signs and issues (签发) the document"
            )
    elif request.leader_ids:
        if target is None or not flow.is_leader_step(target) or flow.is_issue_step(target):
            raise InvalidInput(
                "leaders_not_expected", "this action does not send the document to leaders"
            )
        if len(set(request.leader_ids)) > MAX_LEADERS:
            raise InvalidInput("too_many_leaders", f"at most {MAX_LEADERS} leaders")
    if request.countersign_unit_ids:
        if target is None or not flow.is_countersign_step(target):
            raise InvalidInput(
                "countersign_not_expected", "this action does not send the document to 会签"
            )
        if len(set(request.countersign_unit_ids)) != len(request.countersign_unit_ids):
            raise InvalidInput("duplicate_unit", "a countersigning division is listed twice")
    if request.handler_id is not None and request.action is Action.return_:
        raise InvalidInput("handler_not_expected", "a return goes back to the previous holder")
    if request.return_to_step is not None:
        if request.action is not Action.return_:
            raise InvalidInput("return_to_not_expected", "only a return goes back to a step")
        if request.return_to_step == task.step or request.return_to_step not in flow.steps:
            raise InvalidInput(
                "return_step_not_passed", "the document never passed that step on this route"
            )


def validate_action(flow: Flow, task: TaskState, actor: Actor, request: TaskAction) -> Acting:
    """Every check that needs nothing but the task, its template and the caller."""
    check_open(task, request.expected_version)
    acting = check_holder(flow, task, actor, request.on_behalf_of)
    check_action(flow, task, request.action, acting)
    check_opinion(request.action, request.opinion)
    check_choices(flow, task, request)
    return acting


def allowed_actions(flow: Flow, task: TaskState, actor: Actor) -> list[str]:
    """What the buttons of this task are for this caller (empty when it is not theirs)."""
    if task.status is not TaskStatus.open or not can_hold(flow, task, actor):
        return []
    return flow.actions_at(task.step)


def opinion_kind(action: Action) -> OpinionKind | None:
    return OPINION_KINDS[action]


def unique(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Ids in first-seen order, without repeats."""
    return list(dict.fromkeys(ids))


# -- distribution ------------------------------------------------------------------------------


def plan_distribution(
    lead_unit_id: uuid.UUID, assisting_unit_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, DocRole]]:
    """The branches a distribution (分办) opens: the lead division first, then the assisting ones."""
    if lead_unit_id in assisting_unit_ids:
        raise InvalidInput("duplicate_unit", "the lead division cannot also be assisting")
    if len(set(assisting_unit_ids)) != len(assisting_unit_ids):
        raise InvalidInput("duplicate_unit", "an assisting division is listed twice")
    return [(lead_unit_id, DocRole.lead)] + [(u, DocRole.assisting) for u in assisting_unit_ids]


# -- what an action leads to -----------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who held a step before: where a return (退回) goes."""

    user_id: uuid.UUID
    unit_id: uuid.UUID | None


@dataclass(frozen=True)
class Branch:
    """The branch (one division's workflow instance) a task belongs to."""

    unit_id: uuid.UUID | None  # the division (the registry for the registry's own instance)
    registry_unit_id: uuid.UUID
    handler_id: uuid.UUID | None  # the branch's handler (承办人), once somebody signed
    open_siblings: int = 0  # other open tasks at the same step of this branch
    previous_holder: Holder | None = None  # of the return target, when returning
    signer_id: uuid.UUID | None = None  # 签发: the leader named at 核稿 (outgoing)
    countersign_queue: tuple[uuid.UUID, ...] = ()  # 会签 one after another: who is still to


@dataclass(frozen=True)
class NewTask:
    step: str
    unit_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    in_registry_instance: bool


class BranchOutcome(StrEnum):
    continues = "continues"  # new task(s) in the branch
    waits = "waits"  # a parallel leader instructed; others still have to
    completed = "completed"  # the branch ended (办结)
    returned_to_registry = "returned_to_registry"  # the division gave the document back
    archived = "archived"  # the document is archived (归档)


@dataclass(frozen=True)
class Outcome:
    status: TaskStatus  # what the acted-on task becomes
    branch: BranchOutcome
    new_tasks: tuple[NewTask, ...] = ()
    cancel_open_siblings: bool = False  # a leader returned: the other leaders' tasks close
    handler_id: uuid.UUID | None = None  # the branch's handler after the action
    signer_id: uuid.UUID | None = None  # the signing leader after the action (outgoing)
    countersign_queue: tuple[uuid.UUID, ...] = ()  # divisions still to countersign in turn


def assign(flow: Flow, step_key: str, branch: Branch, handler_id: uuid.UUID | None) -> NewTask:
    """Who gets a new task at a (non-leader) step going forward.

    Registry steps are pooled to the registry; steps of the handler go to the
    branch's handler once there is one (the one who signed); anything else is
    pooled to the branch's division (e.g. review: any division head there).
    """
    registry_instance = flow.lives_in_registry_instance(step_key)
    if flow.is_registry_step(step_key):
        return NewTask(step_key, branch.registry_unit_id, None, registry_instance)
    step = flow.step(step_key)
    if handler_id is not None and Role.handler in step.roles:
        return NewTask(step_key, branch.unit_id, handler_id, registry_instance)
    return NewTask(step_key, branch.unit_id, None, registry_instance)


def plan(
    flow: Flow, task: TaskState, request: TaskAction, acting: Acting, actor: Actor, branch: Branch
) -> Outcome:
    """What ``request`` on ``task`` leads to (after :func:`validate_action` passed)."""
    action = request.action
    if action is Action.return_:
        return _plan_return(flow, task, branch, request.return_to_step)

    handler = branch.handler_id
    if action is Action.sign:
        # 签收: whoever signs claims the document for the division; a handler signing
        # handles it, a division head signing may name the handler (or leave it pooled).
        handler = request.handler_id or (actor.user_id if Role.handler in actor.roles else None)
    elif request.handler_id is not None:
        handler = request.handler_id
    elif (
        handler is None
        and Role.handler in flow.step(task.step).roles
        and Role.handler in actor.roles
    ):
        handler = actor.user_id  # a pooled handler step is claimed by whoever acts on it

    if action is Action.archive:
        return Outcome(TaskStatus.done, BranchOutcome.archived, handler_id=handler)
    if flow.outgoing:
        return _plan_outgoing(flow, task, request, branch, handler)
    if flow.is_leader_step(task.step) and branch.open_siblings > 0:
        return Outcome(TaskStatus.done, BranchOutcome.waits, handler_id=handler)

    target = flow.target(task.step, action.value)
    if target is not None and flow.is_leader_step(target):
        leaders = unique(request.leader_ids)
        if leaders:
            tasks = tuple(NewTask(target, branch.unit_id, leader, False) for leader in leaders)
            return Outcome(TaskStatus.done, BranchOutcome.continues, tasks, handler_id=handler)
        target = flow.target(target, Action.instruct.value)  # no leader chosen: skip 批示
    if target is None:
        return Outcome(TaskStatus.done, BranchOutcome.completed, handler_id=handler)
    new = assign(flow, target, branch, handler)
    return Outcome(TaskStatus.done, BranchOutcome.continues, (new,), handler_id=handler)


def _plan_outgoing(
    flow: Flow, task: TaskState, request: TaskAction, branch: Branch, handler: uuid.UUID | None
) -> Outcome:
    """发文 forward: 会签 fans out to the chosen divisions (all at once, or one after
    another as the step says), 签发 goes to the signing leader named at 核稿, and the
    registry's steps are pooled to the registry."""
    signer = request.leader_ids[0] if request.leader_ids else branch.signer_id
    if flow.is_countersign_step(task.step):
        if branch.open_siblings > 0:  # parallel: the others still countersign
            return Outcome(
                TaskStatus.done, BranchOutcome.waits, handler_id=handler, signer_id=signer
            )
        if branch.countersign_queue:  # in turn: the next division
            following = NewTask(task.step, branch.countersign_queue[0], None, False)
            return Outcome(
                TaskStatus.done,
                BranchOutcome.continues,
                (following,),
                handler_id=handler,
                signer_id=signer,
                countersign_queue=branch.countersign_queue[1:],
            )
    target = flow.target(task.step, request.action.value)
    queue: tuple[uuid.UUID, ...] = ()
    if target is not None and flow.is_countersign_step(target):
        units = unique(request.countersign_unit_ids)
        if units:
            sequential = flow.step(target).countersign_mode == "sequential"
            chosen = units[:1] if sequential else units
            tasks = tuple(NewTask(target, unit, None, False) for unit in chosen)
            queue = tuple(units[1:]) if sequential else ()
            return Outcome(
                TaskStatus.done,
                BranchOutcome.continues,
                tasks,
                handler_id=handler,
                signer_id=signer,
                countersign_queue=queue,
            )
        target = flow.target(target, Action.countersign.value)  # nobody countersigns: skip 会签
    if target is None:
        return Outcome(TaskStatus.done, BranchOutcome.completed, handler_id=handler)
    if flow.is_issue_step(target):
        new = NewTask(target, branch.unit_id, signer, False)
    else:
        new = assign(flow, target, branch, handler)
    return Outcome(
        TaskStatus.done, BranchOutcome.continues, (new,), handler_id=handler, signer_id=signer
    )


def _plan_return(
    flow: Flow, task: TaskState, branch: Branch, to_step: str | None = None
) -> Outcome:
    """退回: to the step before (the template's), or to an earlier step chosen from the
    route (``to_step``: its last holder gets it back)."""
    target = to_step or flow.target(task.step, Action.return_.value)
    assert target is not None  # validate_template refuses a return without a target
    holder = branch.previous_holder
    to_registry = flow.lives_in_registry_instance(target)
    if holder is not None:
        new = NewTask(target, holder.unit_id, holder.user_id, to_registry)
    else:
        new = assign(flow, target, branch, branch.handler_id)
        new = NewTask(new.step, new.unit_id, None, to_registry)
    return Outcome(
        TaskStatus.returned,
        BranchOutcome.returned_to_registry if to_registry else BranchOutcome.continues,
        (new,),
        cancel_open_siblings=flow.is_leader_step(task.step) or flow.is_countersign_step(task.step),
        handler_id=branch.handler_id,
        signer_id=branch.signer_id,
    )


def document_complete(branch_statuses: Iterable[str], open_tasks: int) -> bool:
    """A document is complete (办结) when it has branches, every live one is complete,
    and nothing is left to do on it (e.g. redistributing what a division gave back)."""
    live = [s for s in branch_statuses if s not in ("returned", "cancelled")]
    return bool(live) and all(s == "completed" for s in live) and open_tasks == 0
