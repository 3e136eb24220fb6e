"""The processing slip (处理笺) and the route of a document, fed by routing's events.

Routing decides every step; documents learns of each from routing's events and
records what it means for the document: its status and divisions, who may see
it, the opinions on the slip (in order, with names as on paper), and a trace
row in the tenant's hash-chained trail. Each event is applied once (the
service marks it consumed in the same transaction). An archived document
accepts no change that happened after it was archived: such events are logged
and skipped. Events of one type are consumed from their own queue, so an action
taken before (or with) the archiving may arrive after ``document.archived``: it
is still applied, judged by the action's own time against ``archived_at``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.events import EventEnvelope, emit
from services.common.inputs import id_list, instant, optional_id
from services.common.vocabulary import Direction, DocumentStatus, OpinionKind
from services.documents import instructions, outgoing, queries, rules
from services.documents.events import EVENTS
from services.documents.models import Document, Opinion
from services.documents.registry import load_visible
from services.documents.schemas import ProcessingSlipOut
from services.documents.trail import record
from services.documents.views import document_out, opinion_out, trace_out

log = logging.getLogger(__name__)

#: names of people as identity gave them (None: identity could not say)
NameBook = Mapping[uuid.UUID, str | None]
#: asks identity for the names of people
NameLookup = Callable[[list[uuid.UUID]], NameBook]
#: applies one event type to its (locked) document
Applier = Callable[[Session, CallContext, Document, EventEnvelope, NameBook], None]


def _actor(env: EventEnvelope, *keys: str) -> uuid.UUID | None:
    for key in keys:
        found = optional_id(env.data.get(key))
        if found is not None:
            return found
    return env.actor_id


def _at(env: EventEnvelope, *keys: str) -> dt.datetime:
    """When it happened: the first of ``keys`` the payload has, else when it was announced."""
    for key in keys:
        if env.data.get(key):
            return instant(env.data[key], env.occurred_at)
    return env.occurred_at


def _details(env: EventEnvelope) -> dict[str, Any]:
    """The event's payload as the trail keeps it (without the document id)."""
    return {k: v for k, v in env.data.items() if k != "document_id"}


def _opinion_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:5000] or None


#: events of a task acted on: where their time is, and whose action it was
ACTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "task.completed": (("completed_at",), ("actor_id",)),
    "task.returned": (("completed_at",), ("actor_id",)),
}


def _opinion_of(env: EventEnvelope) -> tuple[OpinionKind, str] | None:
    """The opinion an event puts on the slip, if any: a completed task's when it
    declares its kind, a return's reason."""
    data = env.data
    if env.type == "task.returned":
        kind = OpinionKind.return_reason
        text = _opinion_text(data.get("reason") or data.get("opinion"))
    elif env.type == "task.completed" and data.get("opinion_kind"):
        try:
            kind = OpinionKind(data["opinion_kind"])
        except ValueError:
            log.warning("unknown opinion kind %r in %s %s", data["opinion_kind"], env.type, env.id)
            return None
        text = _opinion_text(data.get("opinion"))
    else:
        return None
    return (kind, text) if text else None


def people_to_name(env: EventEnvelope) -> list[uuid.UUID]:
    """Whose names the opinion an event carries needs (fetched before it is applied)."""
    if env.type not in ACTED:
        return []
    recorded = env.data.get("action") in outgoing.RECORDED_ACTIONS  # 签发, 用印, 分发 keep names
    if _opinion_of(env) is None and not recorded:
        return []
    people = [_actor(env, *ACTED[env.type][1]), optional_id(env.data.get("on_behalf_of_id"))]
    return [p for p in people if p is not None]


def _name(names: NameBook, person: uuid.UUID | None) -> str | None:
    name = names.get(person) if person is not None else None
    return name[:100] if name else None


def _add_opinion(
    session: Session,
    doc: Document,
    env: EventEnvelope,
    *,
    kind: OpinionKind,
    text: str,
    author_id: uuid.UUID,
    on_behalf_of_id: uuid.UUID | None,
    at: dt.datetime,
    names: NameBook,
) -> Opinion:
    data = env.data
    opinion = Opinion(
        id=uuid.uuid4(),
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        seq=queries.next_opinion_seq(session, doc),
        kind=kind.value,
        text=text,
        author_id=author_id,
        author_name=_name(names, author_id),
        on_behalf_of_id=on_behalf_of_id,
        on_behalf_of_name=_name(names, on_behalf_of_id),
        org_unit_id=optional_id(data.get("unit_id")),
        step=str(data["step"])[:50] if data.get("step") else None,
        task_id=optional_id(data.get("task_id")),
        created_at=at,
    )
    session.add(opinion)
    session.flush()
    return opinion


def _skip_archived(doc: Document, env: EventEnvelope, at: dt.datetime) -> bool:
    """True when the document was archived before the action the event reports."""
    if doc.status == DocumentStatus.archived and (doc.archived_at is None or at > doc.archived_at):
        log.warning(
            "document %s is archived: %s %s not applied",
            doc.id,
            env.type,
            env.id,
        )
        return True
    return False


# -- one function per event type -----------------------------------------------------------------


def _distributed(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    data = env.data
    at = _at(env, "distributed_at")
    if _skip_archived(doc, env, at):
        return
    lead = optional_id(data.get("lead_unit_id"))
    assisting = [u for u in id_list(data.get("assisting_unit_ids")) if u != lead]
    new_status = rules.status_after(doc.status, DocumentStatus.distributed)
    if new_status:
        doc.status = new_status
    if lead is not None:
        doc.lead_unit_id = lead
    doc.assisting_unit_ids = list(dict.fromkeys([*(doc.assisting_unit_ids or []), *assisting]))
    doc.distributed_at = doc.distributed_at or at
    doc.updated_at = at
    grants = [("unit", u, "assisting") for u in assisting]
    if lead is not None:
        grants.insert(0, ("unit", lead, "lead"))
    queries.grant_access(session, doc.tenant_id, doc.id, grants, at)
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action="document.distribute",
        actor_id=_actor(env, "distributed_by"),
        after={**_details(env), "status": doc.status},
        occurred_at=at,
    )


def _task_created(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    data = env.data
    grants = []
    unit = optional_id(data.get("unit_id"))
    assignee = optional_id(data.get("assignee_id"))
    if unit is not None:
        grants.append(("unit", unit, "task"))
    if assignee is not None:
        grants.append(("user", assignee, "task"))
    at = _at(env, "created_at")
    queries.grant_access(session, doc.tenant_id, doc.id, grants, at)
    if doc.forwarded_at is None and doc.status != DocumentStatus.archived:
        queries.add_hold(
            session,
            {
                "task_id": optional_id(data.get("task_id")),
                "tenant_id": doc.tenant_id,
                "document_id": doc.id,
                "step": str(data.get("step_name") or data.get("step") or "")[:50] or None,
                "unit_id": unit,
                "assignee_id": assignee,
                "roles": [str(r)[:40] for r in data.get("roles") or []],
                "due_at": instant(data.get("due_at"), at) if data.get("due_at") else None,
                "created_at": at,
            },
        )
    _trace(session, ctx, doc, env, "task.create", (), "created_at")
    if doc.direction == Direction.outgoing:
        outgoing.on_task_created(session, doc, env)


def _task_closed(session: Session, env: EventEnvelope) -> None:
    task_id = optional_id(env.data.get("task_id"))
    if task_id is not None:
        queries.drop_hold(session, task_id)


def _task_acted(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    """A task completed (with its action) or returned: its opinion on the slip, if it
    has one, and its trace row."""
    data = env.data
    at_keys, actor_keys = ACTED[env.type]
    at = _at(env, *at_keys)
    if _skip_archived(doc, env, at):
        return
    actor = _actor(env, *actor_keys)
    on_behalf_of = optional_id(data.get("on_behalf_of_id"))
    _task_closed(session, env)
    people = [p for p in (actor, on_behalf_of) if p is not None]
    queries.grant_access(session, doc.tenant_id, doc.id, [("user", p, "task") for p in people], at)
    after = _details(env)
    opinion = _opinion_of(env)
    row: Opinion | None = None
    if opinion is not None and actor is not None:
        kind, text = opinion
        row = _add_opinion(
            session,
            doc,
            env,
            kind=kind,
            text=text,
            author_id=actor,
            on_behalf_of_id=on_behalf_of,
            at=at,
            names=names,
        )
        after["opinion_id"] = str(row.id)
    returned = env.type == "task.returned"
    action = "return" if returned else str(data.get("action") or "act")[:60]
    if action == "sign" and data.get("is_leader_instruction") is True:
        doc.is_leader_instruction = True  # the division declares a 领导批示件 when signing
    doc.updated_at = max(doc.updated_at, at)
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action=f"task.{action}",
        actor_id=actor,
        on_behalf_of=on_behalf_of,
        after=after,
        occurred_at=at,
    )
    if row is not None and row.kind == OpinionKind.instruction and env.type == "task.completed":
        instructions.record_instruction(session, ctx, doc, env, row, names)  # 领导批示编号
    if doc.direction == Direction.outgoing and env.type == "task.completed":
        outgoing.on_task_completed(session, ctx, doc, env, names)  # 签发, 编号, 用印, 分发


def _trace(
    session: Session,
    ctx: CallContext,
    doc: Document,
    env: EventEnvelope,
    action: str,
    actor_keys: tuple[str, ...],
    at_key: str,
) -> None:
    """A trace row that carries the event's payload."""
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action=action,
        actor_id=_actor(env, *actor_keys),
        after=_details(env),
        occurred_at=_at(env, at_key),
    )


def _trace_only(action: str, actor_keys: tuple[str, ...], at_key: str) -> Applier:
    def apply(
        session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
    ) -> None:
        _trace(session, ctx, doc, env, action, actor_keys, at_key)

    return apply


def _task_cancelled(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    _task_closed(session, env)
    _trace(session, ctx, doc, env, "task.cancel", (), "cancelled_at")


def _task_overdue(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    """The red flag, also on an archived document: routing marks a task overdue in the
    transaction that archives the document when an open task was past due then, and the
    two events may be applied in either order; that it was overdue stays in the history."""
    doc.overdue = True
    task_id = optional_id(env.data.get("task_id"))
    if task_id is not None:
        queries.mark_hold_overdue(session, task_id)
    _trace(session, ctx, doc, env, "task.overdue", (), "overdue_at")


def _circulated(
    session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
) -> None:
    at = _at(env, "sent_at")
    users = id_list(env.data.get("user_ids"))
    queries.grant_access(
        session, doc.tenant_id, doc.id, [("user", u, "circulation") for u in users], at
    )
    _trace(session, ctx, doc, env, "document.circulate", ("sent_by",), "sent_at")


def _state_change(state: DocumentStatus, at_key: str, actor_key: str, action: str) -> Applier:
    def apply(
        session: Session, ctx: CallContext, doc: Document, env: EventEnvelope, names: NameBook
    ) -> None:
        new_status = rules.status_after(doc.status, state)
        if new_status is None:
            log.info(
                "document %s is %s already: %s %s changes nothing",
                doc.id,
                doc.status,
                env.type,
                env.id,
            )
            return
        at = _at(env, at_key)
        before = {"status": doc.status}
        doc.status = new_status
        if new_status == DocumentStatus.archived:
            outgoing.on_archived(session, doc)
        setattr(doc, at_key, at)
        doc.updated_at = at
        record(
            session,
            ctx,
            tenant_id=doc.tenant_id,
            document_id=doc.id,
            action=action,
            actor_id=_actor(env, actor_key),
            before=before,
            after={"status": new_status, at_key: at.isoformat()},
            occurred_at=at,
        )
        emit(
            session,
            EVENTS,
            f"document.{new_status}",
            {"document_id": str(doc.id), at_key: at.isoformat()},
            tenant_id=doc.tenant_id,
            ctx=ctx,
        )

    return apply


APPLIERS: dict[str, Applier] = {
    "document.distributed": _distributed,
    "task.created": _task_created,
    "task.completed": _task_acted,
    "task.returned": _task_acted,
    "task.urged": _trace_only("task.urge", ("urged_by",), "urged_at"),
    "task.withdrawn": _trace_only("task.withdraw", ("actor_id",), "withdrawn_at"),
    "task.reassigned": _trace_only("task.reassign", ("reassigned_by",), "reassigned_at"),
    "task.cancelled": _task_cancelled,
    "task.overdue": _task_overdue,
    "document.circulated": _circulated,
    "read_item.read": _trace_only("document.read", ("user_id",), "read_at"),
    "document.completed": _state_change(
        DocumentStatus.completed, "completed_at", "completed_by", "document.complete"
    ),
    "document.archived": _state_change(
        DocumentStatus.archived, "archived_at", "archived_by", "document.archive"
    ),
}


def apply_routing_event(
    session: Session, ctx: CallContext, env: EventEnvelope, names: NameBook
) -> bool:
    """Apply one of routing's events to its document (the caller has scoped the
    session to the event's tenant and marked the event consumed). False when
    there is no such document in the tenant (logged and skipped)."""
    assert env.tenant_id is not None
    document_id = optional_id(env.data.get("document_id"))
    doc = (
        queries.document(session, env.tenant_id, document_id, for_update=True)
        if document_id is not None
        else None
    )
    if doc is None:
        log.warning(
            "%s %s: no document %s in tenant %s; skipped",
            env.type,
            env.id,
            env.data.get("document_id"),
            env.tenant_id,
        )
        return False
    APPLIERS[env.type](session, ctx, doc, env, names)
    return True


# -- reading the slip ----------------------------------------------------------------------------


def _fill_missing_names(opinions: list[Opinion], lookup: NameLookup) -> bool:
    """Complete the names identity could not give when the opinions were written;
    True when some were filled in."""
    people = [
        person
        for o in opinions
        for name, person in ((o.author_name, o.author_id), (o.on_behalf_of_name, o.on_behalf_of_id))
        if name is None and person is not None
    ]
    if not people:
        return False
    names = lookup(list(dict.fromkeys(people)))
    filled = False
    for o in opinions:
        for attr, person in (
            ("author_name", o.author_id),
            ("on_behalf_of_name", o.on_behalf_of_id),
        ):
            name = _name(names, person)
            if getattr(o, attr) is None and name:
                setattr(o, attr, name)
                filled = True
    return filled


def get_slip(
    session: Session, ctx: CallContext, document_id: uuid.UUID, lookup: NameLookup
) -> ProcessingSlipOut:
    """处理笺: the document, every opinion in order, and the whole trace."""
    doc = load_visible(session, ctx, document_id)
    opinions = queries.opinions_of(session, doc.id)
    if _fill_missing_names(opinions, lookup):
        session.commit()  # kept from now on, as if written at the time
    files = queries.files_of(session, [doc.id])[doc.id]
    numbered = queries.instructions_by_opinion(session, [o.id for o in opinions])
    return ProcessingSlipOut(
        document=document_out(doc, files),
        opinions=[
            opinion_out(o, seq, numbered.get(o.id)) for seq, o in enumerate(opinions, start=1)
        ],
        trace=trace_out(queries.trace_rows(session, doc.tenant_id, doc.id)),
    )
