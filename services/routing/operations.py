"""Use cases of the routing service: what each RPC method and event handler does.

Each function loads what the rules need, asks the pure rules
(:mod:`~services.routing.workflow`, :mod:`~services.routing.templates`), asks
other services through the ports only after the local checks passed, then
writes every change and the events announcing it (outbox) in one transaction
and commits. An action locks the document's summary row (one writer per
document at a time) and closes the task with a compare-and-set on
(status, version): of two holders acting at once exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope, consume_once, emit
from services.common.vocabulary import LEADER_ROLES, DocumentStatus, OrgUnitKind, Role, urgency_rank
from services.routing import catalog, clock, deadlines, queries, scanner, views
from services.routing.events import EVENTS
from services.routing.models import (
    DocumentSummary,
    Task,
    UrgeRecord,
    WorkflowInstance,
)
from services.routing.ports import Directory, Documents
from services.routing.schemas import (
    Action,
    ActResult,
    Circulate,
    Distribute,
    DistributionOut,
    ListQuery,
    ReadItemOut,
    ReadPage,
    Reassign,
    ReturnTargetOut,
    TaskAction,
    TaskOut,
    TaskPage,
    TaskStatus,
    Urge,
    UrgeOut,
)
from services.routing.templates import (
    Flow,
    step_roles,
)
from services.routing.workflow import (
    Actor,
    Branch,
    BranchOutcome,
    DocRole,
    Holder,
    can_hold,
    document_complete,
    opinion_kind,
    plan,
    plan_distribution,
    unique,
    validate_action,
)

log = logging.getLogger(__name__)

SOURCE = "routing"
REGISTERED_HANDLER = "routing.on_document_registered"

ACTIVE = "active"


# -- who is calling ------------------------------------------------------------------------------


def _caller(ctx: CallContext) -> tuple[uuid.UUID, Actor]:
    user_id = ctx.require_user()
    tenant_id = ctx.require_tenant()
    return tenant_id, Actor(user_id=user_id, roles=ctx.roles, org_unit_id=ctx.org_unit_id)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


# -- tasks ------------------------------------------------------------------------------------------


def _registry_instance(
    session: Session, doc: DocumentSummary, now: dt.datetime
) -> WorkflowInstance:
    """The document's own instance, held by its registry (分办, 归档); made on first need."""
    instance = queries.registry_instance(session, doc.id)
    if instance is None:
        template = catalog.template_for_unit(session, doc.tenant_id, doc.registry_unit_id)
        instance = WorkflowInstance(
            id=uuid.uuid4(),
            tenant_id=doc.tenant_id,
            document_id=doc.id,
            template_id=template.id,
            unit_id=doc.registry_unit_id,
            role_in_document=DocRole.registry.value,
            status=ACTIVE,
            created_at=now,
        )
        session.add(instance)
        session.flush()
    return instance


def _open_task(
    session: Session,
    doc: DocumentSummary,
    instance: WorkflowInstance,
    step_key: str,
    unit_id: uuid.UUID | None,
    assignee_id: uuid.UUID | None,
    now: dt.datetime,
    previous: Task | None = None,
    *,
    same_deadline_as: Task | None = None,
) -> Task:
    """Create an open task, with its due date, and announce it (``task.created``).
    ``same_deadline_as``: the task it takes over from (转交), whose deadline it keeps."""
    flow = catalog.flow_of(session, instance.template_id)
    step = flow.step(step_key)
    rule = deadlines.rule_for(flow, step_key)
    due = (
        deadlines.compute(rule, now, deadlines.tenant_calendar(doc.tenant_id, session))
        if rule is not None and same_deadline_as is None
        else None
    )
    role = DocRole.registry.value if flow.is_registry_step(step_key) else instance.role_in_document
    task = Task(
        id=uuid.uuid4(),
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        instance_id=instance.id,
        template_id=instance.template_id,
        step=step_key,
        step_name=step.name,
        roles=step_roles(step),
        unit_id=unit_id,
        assignee_id=assignee_id,
        status=TaskStatus.open.value,
        role_in_document=role,
        urgency_rank=urgency_rank(doc.urgency),
        created_at=now,
        due_at=due.due_at if due else None,
        due_provisional=due.provisional if due else False,
        due_rule=rule.kind if rule else None,
        due_days=rule.days if rule else None,
        remind_at=due.remind_at if due else None,
        previous_task_id=previous.id if previous else None,
        version=1,
    )
    if same_deadline_as is not None:
        kept = same_deadline_as
        task.due_at, task.due_provisional, task.remind_at = (
            kept.due_at,
            kept.due_provisional,
            kept.remind_at,
        )
        task.due_rule, task.due_days = kept.due_rule, kept.due_days
    session.add(task)
    session.flush()
    emit(
        session,
        EVENTS,
        "task.created",
        {
            "task_id": str(task.id),
            "document_id": str(doc.id),
            "instance_id": str(instance.id),
            "step": step_key,
            "step_name": step.name,
            "unit_id": _str(unit_id),
            "assignee_id": _str(assignee_id),
            "roles": task.roles,
            "due_at": _iso(task.due_at),
            "due_provisional": task.due_provisional,
            "remind_at": _iso(task.remind_at),
            "role_in_document": role,
            "title": doc.title,
            "urgency": doc.urgency,
            "created_at": now.isoformat(),
        },
        tenant_id=doc.tenant_id,
    )
    return task


def _cancel(session: Session, tasks: Sequence[Task], reason: str, now: dt.datetime) -> None:
    """Close open tasks without action (``task.cancelled``); one past due that no scan
    marked yet is marked overdue (``task.overdue``) first."""
    queries.cancel_tasks(session, [t.id for t in tasks], now)
    for task in tasks:
        _announce_cancelled(session, task, reason, now)


def _announce_cancelled(session: Session, task: Task, reason: str, now: dt.datetime) -> None:
    scanner.mark_closed_late(session, task.id, task.assignee_id, now)
    emit(
        session,
        EVENTS,
        "task.cancelled",
        {
            "task_id": str(task.id),
            "document_id": str(task.document_id),
            "instance_id": str(task.instance_id),
            "step": task.step,
            "unit_id": _str(task.unit_id),
            "assignee_id": _str(task.assignee_id),
            "reason": reason,
            "cancelled_at": now.isoformat(),
        },
        tenant_id=task.tenant_id,
    )


def _outs(session: Session, rows: Sequence[queries.TaskRow], actor: Actor | None) -> list[TaskOut]:
    """Task rows as the contract has them, with the buttons for ``actor``."""
    now = clock.now(session)
    return [
        views.task_out(row, catalog.flow_of(session, row[0].template_id), actor, now)
        for row in rows
    ]


def _task_outs(
    session: Session, task_ids: Sequence[uuid.UUID], actor: Actor | None
) -> list[TaskOut]:
    return _outs(session, queries.task_rows_by_id(session, task_ids), actor)


# -- document.registered (from documents) ---------------------------------------------------------


def check_registered(envelope: EventEnvelope) -> None:
    """Raise (KeyError, ValueError) unless a ``document.registered`` can be applied."""
    data = envelope.data
    if envelope.tenant_id is None:
        raise ValueError("document.registered without a tenant")
    uuid.UUID(str(data["document_id"]))
    uuid.UUID(str(data["registry_unit_id"]))
    if data.get("registered_by"):
        uuid.UUID(str(data["registered_by"]))


FORWARDED_HANDLER = "routing.on_document_forwarded"


def on_document_forwarded(session: Session, envelope: EventEnvelope) -> bool:
    """转办: the document went on to other units; its route here stops circulating —
    every open task is cancelled and every live branch ends as ``forwarded``."""
    tenant_id = envelope.tenant_id
    assert tenant_id is not None
    scope_session(session, tenant_id=tenant_id)
    if not consume_once(session, FORWARDED_HANDLER, envelope):
        session.rollback()
        return False
    document_id = uuid.UUID(str(envelope.data["document_id"]))
    doc = queries.summary(session, document_id, lock=True)
    if doc is None:
        log.warning("document.forwarded %s: no document %s here", envelope.id, document_id)
        session.commit()
        return False
    now = clock.now(session)
    _cancel(session, queries.open_tasks(session, doc.id), "document forwarded", now)
    registry = queries.registry_instance(session, doc.id)
    for instance in [*queries.branches(session, doc.id), *([registry] if registry else [])]:
        if instance.status == ACTIVE:
            instance.status, instance.completed_at = "forwarded", now
    session.commit()
    return True


def on_document_registered(session: Session, envelope: EventEnvelope) -> bool:
    """Keep a summary of the new document and give its registry the 分办 task.

    Idempotent: a redelivered event changes nothing; an event arriving after the
    registry already distributed the document (it asked documents directly)
    only fills the summary.
    """
    check_registered(envelope)
    tenant_id = envelope.tenant_id
    assert tenant_id is not None
    scope_session(session, tenant_id=tenant_id)
    if not consume_once(session, REGISTERED_HANDLER, envelope):
        session.rollback()
        return False
    deadlines.hold_calendar(session)
    data = envelope.data
    now = clock.now(session)
    document_id = uuid.UUID(str(data["document_id"]))
    queries.insert_summary(
        session,
        {
            "id": document_id,
            "tenant_id": tenant_id,
            "title": str(data.get("title") or ""),
            "doc_number": data.get("doc_number"),
            "urgency": str(data.get("urgency") or "normal"),
            "registry_unit_id": uuid.UUID(str(data["registry_unit_id"])),
            "registered_by": uuid.UUID(str(data["registered_by"]))
            if data.get("registered_by")
            else None,
            "status": DocumentStatus.registered.value,
            "created_at": now,
        },
    )
    doc = queries.summary(session, document_id, lock=True)
    if doc is None:  # the id is taken outside this tenant: nothing of ours to do
        log.warning("document.registered %s: document %s is not ours", envelope.id, document_id)
        session.commit()
        return False
    if (
        doc.status == DocumentStatus.registered.value
        and queries.registry_instance(session, doc.id) is None
    ):
        instance = _registry_instance(session, doc, now)
        flow = catalog.flow_of(session, instance.template_id)
        _open_task(session, doc, instance, flow.first_step.key, doc.registry_unit_id, None, now)
    session.commit()
    return True


DRAFTED_HANDLER = "routing.on_outgoing_drafted"
UPDATED_HANDLER = "routing.on_outgoing_updated"


def on_outgoing_drafted(session: Session, envelope: EventEnvelope) -> bool:
    """拟稿: keep a summary of the new outgoing document and open its route — the
    drafting division's, following that division's outgoing template — with the
    draft task held by the drafter. Idempotent."""
    tenant_id = envelope.tenant_id
    if tenant_id is None:
        raise ValueError("outgoing.drafted without a tenant")
    data = envelope.data
    document_id = uuid.UUID(str(data["document_id"]))
    unit_id = uuid.UUID(str(data["drafting_unit_id"]))
    drafter_id = uuid.UUID(str(data["drafter_id"]))
    registry_unit_id = uuid.UUID(str(data["registry_unit_id"]))
    scope_session(session, tenant_id=tenant_id)
    if not consume_once(session, DRAFTED_HANDLER, envelope):
        session.rollback()
        return False
    deadlines.hold_calendar(session)
    now = clock.now(session)
    added = queries.insert_summary(
        session,
        {
            "id": document_id,
            "tenant_id": tenant_id,
            "title": str(data.get("title") or ""),
            "doc_number": None,
            "urgency": str(data.get("urgency") or "normal"),
            "registry_unit_id": registry_unit_id,
            "registered_by": drafter_id,
            "status": DocumentStatus.registered.value,
            "kind": "outgoing",
            "lead_unit_id": unit_id,
            "created_at": now,
        },
    )
    doc = queries.summary(session, document_id, lock=True)
    if doc is None or not added:
        log.warning("outgoing.drafted %s: document %s is known already", envelope.id, document_id)
        session.commit()
        return False
    template = catalog.template_for_unit(session, tenant_id, unit_id, "outgoing")
    instance = WorkflowInstance(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        document_id=doc.id,
        template_id=template.id,
        unit_id=unit_id,
        role_in_document=DocRole.lead.value,
        status=ACTIVE,
        handler_id=drafter_id,
        created_at=now,
    )
    session.add(instance)
    session.flush()
    flow = catalog.flow_of(session, template.id)
    _open_task(session, doc, instance, flow.first_step.key, unit_id, drafter_id, now)
    session.commit()
    return True


def on_outgoing_updated(session: Session, envelope: EventEnvelope) -> bool:
    """The drafter changed the title or urgency: the lists show the new ones."""
    tenant_id = envelope.tenant_id
    if tenant_id is None:
        raise ValueError("outgoing.updated without a tenant")
    scope_session(session, tenant_id=tenant_id)
    if not consume_once(session, UPDATED_HANDLER, envelope):
        session.rollback()
        return False
    data = envelope.data
    doc = queries.summary(session, uuid.UUID(str(data["document_id"])), lock=True)
    if doc is not None:
        doc.title = str(data.get("title") or doc.title)
        doc.urgency = str(data.get("urgency") or doc.urgency)
        queries.set_open_tasks_urgency(session, doc.id, urgency_rank(doc.urgency))
    session.commit()
    return doc is not None


def _summary_from_documents(
    session: Session, documents: Documents, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentSummary:
    """The summary of a document whose ``document.registered`` has not arrived yet."""
    found = documents.document(document_id)
    if found is None or found.tenant_id != tenant_id:
        raise NotFound("document_not_found", "no such document in this tenant")
    queries.insert_summary(
        session,
        {
            "id": found.id,
            "tenant_id": tenant_id,
            "title": found.title,
            "doc_number": found.doc_number,
            "urgency": found.urgency.value,
            "registry_unit_id": found.registry_unit_id,
            "registered_by": found.registered_by,
            "status": DocumentStatus.registered.value,
            "created_at": clock.now(session),
        },
    )
    doc = queries.summary(session, document_id)
    assert doc is not None
    return doc


# -- distribution (分办) ----------------------------------------------------------------------------


def distribute(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    documents: Documents,
    req: Distribute,
) -> DistributionOut:
    tenant_id, actor = _caller(ctx)
    if Role.registrar not in actor.roles:
        raise Forbidden("role_required", "only the registry (文书处) distributes documents")
    branches_wanted = plan_distribution(req.lead_unit_id, req.assisting_unit_ids)
    doc = queries.summary(session, req.document_id)
    if doc is None or doc.tenant_id != tenant_id:
        doc = _summary_from_documents(session, documents, tenant_id, req.document_id)
    if actor.org_unit_id != doc.registry_unit_id:
        raise Forbidden("not_task_holder", "only the registry that registered it distributes it")
    now = clock.now(session)
    registry = _registry_instance(session, doc, now)
    registry_flow = catalog.flow_of(session, registry.template_id)
    registry_task = queries.open_registry_task(session, doc.id, registry_flow.first_step.key)
    _check_distributable(doc, registry_task)
    if registry_task is not None and not can_hold(
        registry_flow, views.task_state(registry_task), actor
    ):
        raise Forbidden("not_task_holder", "this distribution task is not yours")
    for unit_id, _role in branches_wanted:
        unit = directory.org_unit(unit_id)
        if unit is None or unit.tenant_id != tenant_id or not unit.active:
            raise NotFound("unit_not_found", f"no org unit {unit_id} in this tenant")
        if unit.kind is not OrgUnitKind.division:
            raise InvalidInput("not_a_division", f"{unit.name} is not a division (处室)")

    deadlines.hold_calendar(session)
    doc = queries.summary(session, doc.id, lock=True)
    assert doc is not None
    _check_distributable(doc, registry_task)
    if registry_task is not None:
        _close(session, registry_task, actor, TaskStatus.done, Action.distribute, req.note, now)
        _announce_closed(session, registry_task, actor, Action.distribute, req.note, now)

    live = {
        b.unit_id: b for b in queries.branches(session, doc.id) if b.status in (ACTIVE, "completed")
    }
    opened: list[Task] = []
    for unit_id, role in branches_wanted:
        branch = live.get(unit_id)
        if branch is not None:  # working on it, or done, since an earlier distribution
            branch.role_in_document = role.value
            continue
        template = catalog.template_for_unit(session, tenant_id, unit_id)
        flow = catalog.flow_of(session, template.id)
        branch = WorkflowInstance(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            document_id=doc.id,
            template_id=template.id,
            unit_id=unit_id,
            role_in_document=role.value,
            status=ACTIVE,
            created_at=now,
        )
        session.add(branch)
        session.flush()
        first = _branch_first_step(flow)
        opened.append(_open_task(session, doc, branch, first, unit_id, None, now, registry_task))

    doc.status = DocumentStatus.distributed.value
    doc.lead_unit_id = req.lead_unit_id
    doc.distributed_at = now
    emit(
        session,
        EVENTS,
        "document.distributed",
        {
            "document_id": str(doc.id),
            "lead_unit_id": str(req.lead_unit_id),
            "assisting_unit_ids": [str(u) for u in req.assisting_unit_ids],
            "distributed_at": now.isoformat(),
            "distributed_by": str(actor.user_id),
            "note": req.note,
        },
        tenant_id=tenant_id,
    )
    session.commit()
    return DistributionOut(
        document_id=doc.id,
        lead_unit_id=req.lead_unit_id,
        assisting_unit_ids=list(req.assisting_unit_ids),
        distributed_at=now,
        distributed_by=actor.user_id,
        tasks=_task_outs(session, [t.id for t in opened], actor),
    )


def _check_distributable(doc: DocumentSummary, registry_task: Task | None) -> None:
    if doc.status in (DocumentStatus.completed.value, DocumentStatus.archived.value) or (
        doc.distributed_at is not None and registry_task is None
    ):
        raise Conflict("already_distributed", "the document has been distributed")


def _branch_first_step(flow: Flow) -> str:
    first = flow.distribution_target
    if first is None:
        raise InvalidInput("bad_template", "the division's template does not start a branch")
    return first


# -- acting on a task ----------------------------------------------------------------------------------


def _close(
    session: Session,
    task: Task,
    actor: Actor,
    status: TaskStatus,
    action: Action,
    opinion: str | None,
    now: dt.datetime,
    on_behalf_of: uuid.UUID | None = None,
) -> None:
    """Close the task if it is still as it was read; else somebody else was first."""
    closed = queries.close_task(
        session,
        task.id,
        task.version,
        {
            "status": status.value,
            "completed_at": now,
            "completed_by": actor.user_id,
            "assignee_id": task.assignee_id or actor.user_id,  # a pooled task is claimed
            "action": action.value,
            "opinion": opinion,
            "on_behalf_of_id": on_behalf_of,
        },
    )
    if not closed:
        raise Conflict("task_already_taken", "somebody else has acted on this task")
    scanner.mark_closed_late(session, task.id, task.assignee_id, now)


def _announce_closed(
    session: Session,
    task: Task,
    actor: Actor,
    action: Action,
    opinion: str | None,
    now: dt.datetime,
    *,
    on_behalf_of: uuid.UUID | None = None,
    is_leader_instruction: bool | None = None,
    returned_to: Task | None = None,
    instruction: dict[str, Any] | None = None,
) -> None:
    """``task.completed``, or ``task.returned`` (with the reason and where it went back to)."""
    kind = opinion_kind(action)
    data: dict[str, Any] = {
        "task_id": str(task.id),
        "document_id": str(task.document_id),
        "instance_id": str(task.instance_id),
        "step": task.step,
        "action": action.value,
        "opinion": opinion,
        "opinion_kind": kind.value if kind else None,
        "actor_id": str(actor.user_id),
        "on_behalf_of_id": _str(on_behalf_of),
        "unit_id": _str(task.unit_id),
        "is_leader_instruction": is_leader_instruction,
        "completed_at": now.isoformat(),
        **(instruction or {}),
    }
    event = "task.completed"
    if action is Action.return_:
        event = "task.returned"
        data["reason"] = opinion
        if returned_to is not None:
            data["returned_to_step"] = returned_to.step
            data["returned_to_task_id"] = str(returned_to.id)
            data["returned_to_unit_id"] = _str(returned_to.unit_id)
            data["returned_to_user_id"] = _str(returned_to.assignee_id)
    emit(session, EVENTS, event, data, tenant_id=task.tenant_id)


def _check_handler(
    directory: Directory, tenant_id: uuid.UUID, handler_id: uuid.UUID, unit_id: uuid.UUID | None
) -> None:
    """422 ``not_a_handler`` unless the user is an active handler of the division."""
    user = directory.user(handler_id)
    if (
        user is None
        or user.tenant_id != tenant_id
        or not user.active
        or Role.handler not in {r.value for r in user.roles}
        or user.org_unit_id != unit_id
    ):
        raise InvalidInput("not_a_handler", "the handler must be a handler of the division")


def _check_people(
    directory: Directory,
    tenant_id: uuid.UUID,
    task: Task,
    req: TaskAction,
    actor: Actor,
    on_behalf_of: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    """The checks that ask identity: chosen leaders, chosen handler, delegation (授权)."""
    for leader_id in unique(req.leader_ids):
        user = directory.user(leader_id)
        if (
            user is None
            or user.tenant_id != tenant_id
            or not user.active
            or LEADER_ROLES.isdisjoint(user.roles)
        ):
            raise InvalidInput("not_a_leader", f"{leader_id} is not an office or provincial leader")
    if req.handler_id is not None:
        _check_handler(directory, tenant_id, req.handler_id, task.unit_id)
    for unit_id in req.countersign_unit_ids:
        unit = directory.org_unit(unit_id)
        if unit is None or unit.tenant_id != tenant_id or not unit.active:
            raise NotFound("unit_not_found", f"no org unit {unit_id} in this tenant")
        if unit.kind is not OrgUnitKind.division or unit_id == task.unit_id:
            raise InvalidInput(
                "not_a_countersigner", "会签 is by other divisions than the drafting one"
            )
    if on_behalf_of is not None:
        delegation = directory.delegation(on_behalf_of, actor.user_id, now)
        if delegation is None or not delegation.active or delegation.scope != "instructions":
            raise Forbidden(
                "no_valid_delegation", "no valid delegation from this leader to enter instructions"
            )


def _instruction_facts(
    directory: Directory, actor: Actor, req: TaskAction, on_behalf_of: uuid.UUID | None
) -> dict[str, Any] | None:
    """批示: whose instruction it is and as which kind of leader, for documents to number
    it (领导批示编号): a 省政府领导's by hand (``instruction_number``), a 厅领导's by the
    system — a hand number for a 厅领导 is refused."""
    if req.action is not Action.instruct:
        if req.instruction_number is not None:
            raise InvalidInput("instruction_number_not_allowed", "only an instruction has a number")
        return None
    leader_id = on_behalf_of or actor.user_id
    if on_behalf_of is not None:
        leader = directory.user(on_behalf_of)
        roles = {str(r) for r in leader.roles} if leader is not None else set()
    else:
        roles = {str(r) for r in actor.roles}
    kind = Role.gov_leader if Role.gov_leader in roles else Role.office_leader
    if req.instruction_number is not None and kind is Role.office_leader:
        raise InvalidInput(
            "instruction_number_by_system",
            "an office leader's (厅领导) instructions are numbered by the system",
        )
    return {
        "leader_id": str(leader_id),
        "leader_kind": kind.value,
        "instruction_number": req.instruction_number,
    }


def _route_instances(session: Session, task: Task, branch: WorkflowInstance) -> list[uuid.UUID]:
    """The instances a return from ``task`` may go back along: its branch and the registry's."""
    instance_ids = [branch.id]
    registry = queries.registry_instance(session, task.document_id)
    if registry is not None and registry.id != branch.id:
        instance_ids.append(registry.id)
    return instance_ids


def _chosen_holder(session: Session, task: Task, branch: WorkflowInstance, step: str) -> Holder:
    """Who held the chosen earlier step last (a return to it goes to them); 422
    ``return_step_not_passed`` when the route never passed it."""
    previous = queries.last_holder_task(session, _route_instances(session, task, branch), step)
    if previous is None or previous.completed_by is None or previous.seq >= task.seq:
        raise InvalidInput(
            "return_step_not_passed", "the document never passed that step on this route"
        )
    return Holder(previous.on_behalf_of_id or previous.completed_by, previous.unit_id)


def return_targets(session: Session, ctx: CallContext, task_id: uuid.UUID) -> list[ReturnTargetOut]:
    """The earlier steps a return from this task may go back to (for its holder), the
    nearest first: each step the route passed, with who held it last."""
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    flow = catalog.flow_of(session, task.template_id)
    state = views.task_state(task)
    if not can_hold(flow, state, actor) or task.status != TaskStatus.open.value:
        return []
    if Action.return_.value not in flow.actions_at(task.step):
        return []
    branch = session.get(WorkflowInstance, task.instance_id)
    assert branch is not None
    out: list[ReturnTargetOut] = []
    seen: set[str] = {task.step}
    for done in queries.passed_tasks(session, _route_instances(session, task, branch), task.seq):
        if done.step in seen or done.step not in flow.steps:
            continue
        seen.add(done.step)
        out.append(
            ReturnTargetOut(
                step=done.step,
                step_name=flow.step(done.step).name,
                holder_id=done.on_behalf_of_id or done.completed_by,
                unit_id=done.unit_id,
                completed_at=done.completed_at,
                default=done.step == flow.target(task.step, Action.return_.value),
            )
        )
    return out


def _previous_holder(
    session: Session, flow: Flow, task: Task, branch: WorkflowInstance
) -> Holder | None:
    """Whoever held the step a return goes back to: the one whose action created this
    task, or else the last one who acted at that step."""
    target = flow.target(task.step, Action.return_.value)
    previous = session.get(Task, task.previous_task_id) if task.previous_task_id else None
    if previous is None or previous.step != target or previous.completed_by is None:
        instance_ids = [branch.id]
        registry = queries.registry_instance(session, task.document_id)
        if registry is not None and registry.id != branch.id:
            instance_ids.append(registry.id)
        previous = queries.last_holder_task(session, instance_ids, str(target))
    if previous is None or previous.completed_by is None:
        return None
    return Holder(previous.on_behalf_of_id or previous.completed_by, previous.unit_id)


def act(
    session: Session, ctx: CallContext, directory: Directory, task_id: uuid.UUID, req: TaskAction
) -> ActResult:
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    flow = catalog.flow_of(session, task.template_id)
    state = views.task_state(task)
    acting = validate_action(flow, state, actor, req)
    now = clock.now(session)
    _check_people(directory, tenant_id, task, req, actor, acting.on_behalf_of, now)
    instruction = _instruction_facts(directory, actor, req, acting.on_behalf_of)

    deadlines.hold_calendar(session)  # before any row lock: see deadlines.hold_calendar
    doc = queries.summary(session, task.document_id, lock=True)  # one writer per document
    assert doc is not None
    status = TaskStatus.returned if req.action is Action.return_ else TaskStatus.done
    _close(session, task, actor, status, req.action, req.opinion, now, acting.on_behalf_of)
    if req.action is Action.sign and req.is_leader_instruction:
        doc.is_leader_instruction = True

    branch = session.get(WorkflowInstance, task.instance_id, populate_existing=True)
    assert branch is not None
    siblings = queries.open_tasks(session, doc.id, instance_id=branch.id, step=task.step)
    outcome = plan(
        flow,
        state,
        req,
        acting,
        actor,
        Branch(
            unit_id=branch.unit_id,
            registry_unit_id=doc.registry_unit_id,
            handler_id=branch.handler_id,
            open_siblings=len(siblings),
            signer_id=branch.signer_id,
            countersign_queue=tuple(branch.countersign_queue or ()),
            previous_holder=(
                _chosen_holder(session, task, branch, req.return_to_step)
                if req.return_to_step is not None
                else _previous_holder(session, flow, task, branch)
            )
            if req.action is Action.return_
            else None,
        ),
    )
    branch.handler_id = outcome.handler_id
    if flow.outgoing:
        branch.signer_id = outcome.signer_id or branch.signer_id
        branch.countersign_queue = list(outcome.countersign_queue)
    if outcome.cancel_open_siblings:
        _cancel(session, siblings, "returned by another leader", now)

    opened: list[Task] = []
    for spec in outcome.new_tasks:
        instance, step_key = branch, spec.step
        if spec.in_registry_instance:
            instance = _registry_instance(session, doc, now)
            registry_flow = catalog.flow_of(session, instance.template_id)
            if step_key not in registry_flow.steps:
                step_key = registry_flow.first_step.key
        opened.append(
            _open_task(session, doc, instance, step_key, spec.unit_id, spec.assignee_id, now, task)
        )

    _announce_closed(
        session,
        task,
        actor,
        req.action,
        req.opinion,
        now,
        on_behalf_of=acting.on_behalf_of,
        is_leader_instruction=req.is_leader_instruction if req.action is Action.sign else None,
        returned_to=opened[0] if req.action is Action.return_ and opened else None,
        instruction=instruction,
    )
    if outcome.branch is BranchOutcome.returned_to_registry:
        branch.status, branch.completed_at = "returned", now
    elif outcome.branch is BranchOutcome.completed:
        branch.status, branch.completed_at = "completed", now
        opened.extend(_maybe_complete_document(session, doc, actor, now))
    elif outcome.branch is BranchOutcome.archived:
        _archive_document(session, doc, actor, now)

    session.commit()
    outs = _task_outs(session, [task.id, *(t.id for t in opened)], actor)
    return ActResult(task=outs[0], next_tasks=outs[1:])


def _maybe_complete_document(
    session: Session, doc: DocumentSummary, actor: Actor, now: dt.datetime
) -> list[Task]:
    """When every branch is complete: the document is (办结), and goes to be archived."""
    statuses = [b.status for b in queries.branches(session, doc.id)]
    if not document_complete(statuses, len(queries.open_tasks(session, doc.id))):
        return []
    doc.status, doc.completed_at = DocumentStatus.completed.value, now
    emit(
        session,
        EVENTS,
        "document.completed",
        {
            "document_id": str(doc.id),
            "completed_at": now.isoformat(),
            "completed_by": str(actor.user_id),
        },
        tenant_id=doc.tenant_id,
    )
    registry = _registry_instance(session, doc, now)
    archive = catalog.flow_of(session, registry.template_id).archive_step
    if archive is None:
        return []
    return [_open_task(session, doc, registry, archive.key, doc.registry_unit_id, None, now)]


def _archive_document(
    session: Session, doc: DocumentSummary, actor: Actor, now: dt.datetime
) -> None:
    """归档: close whatever is still open and end every instance of the document."""
    _cancel(session, queries.open_tasks(session, doc.id), "document archived", now)
    registry = queries.registry_instance(session, doc.id)
    for instance in [*queries.branches(session, doc.id), *([registry] if registry else [])]:
        if instance.status in (ACTIVE, "completed"):
            instance.status = "archived"
            instance.completed_at = instance.completed_at or now
    doc.status, doc.archived_at = DocumentStatus.archived.value, now
    emit(
        session,
        EVENTS,
        "document.archived",
        {
            "document_id": str(doc.id),
            "archived_at": now.isoformat(),
            "archived_by": str(actor.user_id),
        },
        tenant_id=doc.tenant_id,
    )


# -- withdrawing (撤回) and reassigning (转交) -------------------------------------------------------


def _previous(session: Session, task: Task) -> Task | None:
    return session.get(Task, task.previous_task_id) if task.previous_task_id else None


def withdraw(session: Session, ctx: CallContext, task_id: uuid.UUID) -> ActResult:
    """撤回: the one who acted on a task takes it back while the next holder has not
    acted — the tasks the action opened are cancelled and the step is theirs again."""
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    if task.status != TaskStatus.done.value or actor.user_id not in (
        task.completed_by,
        task.on_behalf_of_id,
    ):
        raise Forbidden("not_task_sender", "only who acted on a task withdraws it")
    deadlines.hold_calendar(session)
    doc = queries.summary(session, task.document_id, lock=True)
    assert doc is not None
    branch = session.get(WorkflowInstance, task.instance_id, populate_existing=True)
    assert branch is not None
    following = queries.tasks_after(session, task.id)
    if branch.status != ACTIVE or not following or doc.status == DocumentStatus.archived.value:
        raise Conflict("nothing_to_withdraw", "the action did not hand the document on")
    if any(t.status != TaskStatus.open.value for t in following):
        raise Conflict("next_holder_acted", "the next holder has acted on it already")
    now = clock.now(session)
    _cancel(session, following, "withdrawn by the sender", now)
    reopened = _open_task(
        session,
        doc,
        branch,
        task.step,
        task.unit_id,
        task.assignee_id,
        now,
        _previous(session, task),
    )
    emit(
        session,
        EVENTS,
        "task.withdrawn",
        {
            "task_id": str(reopened.id),
            "document_id": str(doc.id),
            "instance_id": str(branch.id),
            "step": task.step,
            "withdrawn_task_id": str(task.id),
            "cancelled_task_ids": [str(t.id) for t in following],
            "actor_id": str(actor.user_id),
            "withdrawn_at": now.isoformat(),
        },
        tenant_id=tenant_id,
    )
    session.commit()
    outs = _task_outs(session, [reopened.id], actor)
    return ActResult(task=outs[0], next_tasks=[])


def reassign(
    session: Session, ctx: CallContext, directory: Directory, task_id: uuid.UUID, req: Reassign
) -> ActResult:
    """转交: a division head gives an open task of the division to another of its
    handlers (the deadline stays as it was)."""
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    if task.status != TaskStatus.open.value:
        raise Conflict("task_closed", f"the task is {task.status}")
    if Role.division_head not in actor.roles or actor.org_unit_id != task.unit_id:
        raise Forbidden("not_division_head", "the head of the task's division reassigns it")
    flow = catalog.flow_of(session, task.template_id)
    if Role.handler not in flow.step(task.step).roles:
        raise InvalidInput("not_handler_step", "only a handler's task is reassigned")
    if req.handler_id == task.assignee_id:
        raise Conflict("already_assigned", "the task is that handler's already")
    _check_handler(directory, tenant_id, req.handler_id, task.unit_id)
    deadlines.hold_calendar(session)
    doc = queries.summary(session, task.document_id, lock=True)
    assert doc is not None
    branch = session.get(WorkflowInstance, task.instance_id, populate_existing=True)
    assert branch is not None
    now = clock.now(session)
    if not queries.cancel_if_unchanged(session, task.id, task.version, now):
        raise Conflict("task_already_taken", "somebody else has acted on this task")
    _announce_cancelled(session, task, "reassigned", now)
    successor = _open_task(
        session,
        doc,
        branch,
        task.step,
        task.unit_id,
        req.handler_id,
        now,
        _previous(session, task),
        same_deadline_as=task,
    )
    if branch.handler_id in (None, task.assignee_id):
        branch.handler_id = req.handler_id
    emit(
        session,
        EVENTS,
        "task.reassigned",
        {
            "task_id": str(successor.id),
            "document_id": str(doc.id),
            "instance_id": str(branch.id),
            "step": task.step,
            "unit_id": _str(task.unit_id),
            "from_task_id": str(task.id),
            "from_user_id": _str(task.assignee_id),
            "to_user_id": str(req.handler_id),
            "reassigned_by": str(actor.user_id),
            "reason": req.reason,
            "reassigned_at": now.isoformat(),
        },
        tenant_id=tenant_id,
    )
    session.commit()
    outs = _task_outs(session, [successor.id], actor)
    return ActResult(task=outs[0], next_tasks=[])


# -- urging (催办) ------------------------------------------------------------------------------------


def urge(session: Session, ctx: CallContext, task_id: uuid.UUID, req: Urge) -> UrgeOut:
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    if task.status != TaskStatus.open.value:
        raise Conflict("task_closed", f"the task is {task.status}")
    previous = session.get(Task, task.previous_task_id) if task.previous_task_id else None
    sender = previous is not None and actor.user_id in (
        previous.completed_by,
        previous.on_behalf_of_id,
    )
    if (
        Role.registrar not in actor.roles
        and not sender
        and not queries.instructed_on(session, task.document_id, actor.user_id)
    ):
        raise Forbidden(
            "not_allowed_to_urge",
            "only the registry, the sender or a leader who instructed on it urges a task",
        )
    if not catalog.flow_of(session, task.template_id).step(task.step).allow_urge:
        raise InvalidInput("urge_not_allowed", f"step {task.step!r} cannot be urged")
    now = clock.now(session)
    record = UrgeRecord(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        task_id=task.id,
        document_id=task.document_id,
        urged_by=actor.user_id,
        message=req.message or None,
        urged_at=now,
    )
    session.add(record)
    session.flush()
    emit(
        session,
        EVENTS,
        "task.urged",
        {
            "urge_id": str(record.id),
            "task_id": str(task.id),
            "document_id": str(task.document_id),
            "unit_id": _str(task.unit_id),
            "assignee_id": _str(task.assignee_id),
            "roles": list(task.roles),
            "urged_by": str(actor.user_id),
            "message": record.message,
            "urged_at": now.isoformat(),
        },
        tenant_id=tenant_id,
    )
    session.commit()
    return UrgeOut(
        id=record.id,
        task_id=task.id,
        document_id=task.document_id,
        urged_by=actor.user_id,
        urged_at=now,
        message=record.message,
    )


# -- circulation (传阅) -------------------------------------------------------------------------------


def circulate(
    session: Session, ctx: CallContext, directory: Directory, req: Circulate
) -> list[ReadItemOut]:
    tenant_id, actor = _caller(ctx)
    doc = queries.summary(session, req.document_id)
    if doc is None or doc.tenant_id != tenant_id:
        raise NotFound("document_not_found", "no such document in this tenant")
    if Role.registrar not in actor.roles and not queries.involved(
        session, doc.id, actor.user_id, actor.org_unit_id, sorted(actor.roles)
    ):
        raise Forbidden("not_allowed_to_circulate", "only who works on a document circulates it")
    open_tasks = queries.open_tasks(session, doc.id)
    if open_tasks and not any(
        catalog.flow_of(session, t.template_id).step(t.step).allow_circulate for t in open_tasks
    ):
        raise InvalidInput("circulate_not_allowed", "the document cannot be circulated now")
    recipients = unique(req.user_ids)
    for user_id in recipients:
        user = directory.user(user_id)
        if user is None or user.tenant_id != tenant_id or not user.active:
            raise NotFound("user_not_found", f"no user {user_id} in this tenant")
    now = clock.now(session)
    added = queries.add_read_items(
        session,
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "document_id": doc.id,
                "recipient_id": user_id,
                "sent_by": actor.user_id,
                "sent_at": now,
                "note": req.note,
            }
            for user_id in recipients
        ],
    )
    rows = {row[0].recipient_id: row for row in queries.read_items_for(session, doc.id, recipients)}
    if added:
        new = [rows[u][0] for u in recipients if rows[u][0].id in set(added)]
        emit(
            session,
            EVENTS,
            "document.circulated",
            {
                "document_id": str(doc.id),
                "title": doc.title,
                "user_ids": [str(i.recipient_id) for i in new],
                "read_item_ids": [str(i.id) for i in new],
                "sent_by": str(actor.user_id),
                "note": req.note,
                "sent_at": now.isoformat(),
            },
            tenant_id=tenant_id,
        )
    session.commit()
    return [views.read_item_out(rows[u]) for u in recipients]


def mark_read(session: Session, ctx: CallContext, item_id: uuid.UUID) -> ReadItemOut:
    tenant_id, actor = _caller(ctx)
    row = queries.read_item(session, tenant_id, item_id)
    if row is None:
        raise NotFound("read_item_not_found", "no such item to read")
    item = row[0]
    if item.recipient_id != actor.user_id:
        raise Forbidden("not_recipient", "only its recipient marks an item read")
    now = clock.now(session)
    if queries.mark_read(session, item.id, now):
        emit(
            session,
            EVENTS,
            "read_item.read",
            {
                "read_item_id": str(item.id),
                "document_id": str(item.document_id),
                "user_id": str(actor.user_id),
                "read_at": now.isoformat(),
            },
            tenant_id=tenant_id,
        )
    session.commit()
    row = queries.read_item(session, tenant_id, item_id)
    assert row is not None
    return views.read_item_out(row)


# -- lists and look-ups ---------------------------------------------------------------------------------


def _page(
    session: Session, rows: Sequence[queries.TaskRow], total: int, q: ListQuery, actor: Actor
) -> TaskPage:
    items = _outs(session, rows, actor)
    return TaskPage(items=items, total=total, limit=q.limit, offset=q.offset)


def list_todo(session: Session, ctx: CallContext, q: ListQuery) -> TaskPage:
    """待办: open tasks assigned to me, or pooled to my unit at a step of one of my roles."""
    tenant_id, actor = _caller(ctx)
    rows, total = queries.todo_page(
        session, tenant_id, actor.user_id, actor.org_unit_id, sorted(actor.roles), q.limit, q.offset
    )
    return _page(session, rows, total, q, actor)


def list_delegated(
    session: Session, ctx: CallContext, directory: Directory, q: ListQuery
) -> TaskPage:
    """代录批示: the open tasks of the leaders who authorised me (a secretary, with a
    delegation valid now) to enter their instructions. Each offers ``instruct`` where
    its step is a leader's instruction step, ``issue`` where it is 签发 of an outgoing
    document (entered with ``on_behalf_of`` = the task's assignee); nothing else."""
    tenant_id, actor = _caller(ctx)
    if Role.secretary not in actor.roles:
        return TaskPage(items=[], total=0, limit=q.limit, offset=q.offset)
    leaders = sorted(
        {
            d.leader_id
            for d in directory.my_delegations()
            if d.active and d.scope == "instructions" and d.secretary_id == actor.user_id
        }
    )
    if not leaders:
        return TaskPage(items=[], total=0, limit=q.limit, offset=q.offset)
    rows, total = queries.open_tasks_of_page(session, tenant_id, leaders, q.limit, q.offset)
    items = []
    for row, out in zip(rows, _outs(session, rows, None), strict=True):
        flow = catalog.flow_of(session, row[0].template_id)
        step = row[0].step
        entered = [
            a
            for a in (Action.instruct.value, Action.issue.value)
            if flow.is_leader_step(step) and a in flow.actions_at(step)
        ]
        items.append(out.model_copy(update={"allowed_actions": entered}))
    return TaskPage(items=items, total=total, limit=q.limit, offset=q.offset)


def list_done(session: Session, ctx: CallContext, q: ListQuery) -> TaskPage:
    """已办: tasks I acted on, newest first."""
    tenant_id, actor = _caller(ctx)
    rows, total = queries.done_page(session, tenant_id, actor.user_id, q.limit, q.offset)
    return _page(session, rows, total, q, actor)


def list_to_read(session: Session, ctx: CallContext, q: ListQuery) -> ReadPage:
    """待阅: documents circulated to me, unread first, then newest."""
    tenant_id, actor = _caller(ctx)
    rows, total = queries.to_read_page(session, tenant_id, actor.user_id, q.limit, q.offset)
    return ReadPage(
        items=[views.read_item_out(r) for r in rows], total=total, limit=q.limit, offset=q.offset
    )


def get_task(session: Session, ctx: CallContext, task_id: uuid.UUID) -> TaskOut:
    tenant_id, actor = _caller(ctx)
    task = queries.task(session, tenant_id, task_id)
    if task is None:
        raise NotFound("task_not_found", "no such task")
    return _task_outs(session, [task.id], actor)[0]


def document_tasks(session: Session, ctx: CallContext, document_id: uuid.UUID) -> list[TaskOut]:
    """The route of a document: every task, in the order they were opened."""
    tenant_id, actor = _caller(ctx)
    doc = queries.summary(session, document_id)
    if doc is None or doc.tenant_id != tenant_id:
        raise NotFound("document_not_found", "no such document in this tenant")
    return _outs(session, queries.document_task_rows(session, tenant_id, document_id), actor)
