"""Leader instructions (领导批示, DESIGN 4.4): the record of each instruction with its
number (领导批示编号), finding and exporting them, 我的批示.

An instruction is a leader's ``instruct`` action on a task of routing; documents
records it when it applies routing's ``task.completed`` — the opinion on the slip
and the instruction row in one transaction. A 厅领导's (office_leader) instruction
gets the next serial of that leader's year there (``queries.next_serial`` locks the
counter row: no gaps, no duplicates; a transaction that fails gives its number
back). A 省政府领导's (gov_leader) is numbered by hand by the secretary, when entering
it (checked before the action: 409 ``instruction_number_taken``) or afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Text, cast, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope, emit
from services.common.inputs import optional_id
from services.common.vocabulary import LEADER_ROLES, SHANGHAI, DocumentStatus, Role, utcnow
from services.documents import queries, rules
from services.documents.events import EVENTS
from services.documents.models import (
    Document,
    DocumentHold,
    Instruction,
    InstructionCounter,
    LeaderNumbering,
    Opinion,
)
from services.documents.registry import acting_for, load_visible, may_see, visible_condition
from services.documents.schemas import (
    DivisionCount,
    DocumentProgressOut,
    InstructionExportOut,
    InstructionExportQuery,
    InstructionNumberCheck,
    InstructionNumbering,
    InstructionOut,
    InstructionPage,
    InstructionSearch,
    LeaderNumberingOut,
    MonthCount,
    OpenTaskOut,
    ProgressPage,
    ProgressQuery,
    SerialFormat,
)
from services.documents.trail import record

log = logging.getLogger(__name__)

DEFAULT_FORMAT = "{n}"
#: a search counts its matches up to this many (a common word would count half the table)
COUNT_CAP = 10_000
GOV, OFFICE = Role.gov_leader.value, Role.office_leader.value

#: names of people as identity gave them (None: identity could not say)
NameBook = Mapping[uuid.UUID, str | None]
NameLookup = Callable[[list[uuid.UUID]], NameBook]


def shanghai_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def taken() -> Conflict:
    return Conflict(
        "instruction_number_taken", "this leader has an instruction with that number this year"
    )


def by_system() -> InvalidInput:
    return InvalidInput(
        "instruction_number_by_system",
        "an office leader's (厅领导) instructions are numbered by the system",
    )


# -- recording (from routing's task.completed) -----------------------------------------------------


def record_instruction(
    session: Session,
    ctx: CallContext,
    doc: Document,
    env: EventEnvelope,
    opinion: Opinion,
    names: NameBook,
) -> Instruction:
    """The instruction of an ``instruct`` action, numbered, in the caller's transaction."""
    data = env.data
    entered_by = opinion.author_id
    leader_id = optional_id(data.get("leader_id")) or opinion.on_behalf_of_id or entered_by
    kind = str(data.get("leader_kind") or OFFICE)
    if kind not in (GOV, OFFICE):
        kind = OFFICE
    at = opinion.created_at
    day = shanghai_day(at)
    row = Instruction(
        id=uuid.uuid4(),
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        opinion_id=opinion.id,
        task_id=opinion.task_id,
        leader_id=leader_id,
        leader_name=(names.get(leader_id) or None),
        leader_kind=kind,
        entered_by=entered_by,
        entered_by_name=(names.get(entered_by) or None),
        unit_id=opinion.org_unit_id,
        instructed_at=at,
        year=day.year,
        instructed_on=day,
        content=opinion.text,
        search_text=rules.normalise_text(f"{doc.title}\n{opinion.text}"),
        search_grams=func.array_to_tsvector(
            cast(rules.search_grams(doc.title, opinion.text), ARRAY(Text))
        ),
    )
    if kind == OFFICE:
        row.serial = queries.next_serial(session, doc.tenant_id, leader_id, day.year)
        fmt = queries.serial_format(session, doc.tenant_id, leader_id) or DEFAULT_FORMAT
        row.number = rules.format_serial(fmt, row.serial, day.year)[:100]
        row.number_key = rules.number_key(row.number)
        session.add(row)
        session.flush()
    else:
        hand = data.get("instruction_number")
        session.add(row)
        session.flush()
        if hand:
            _give_hand_number(session, row, str(hand)[:100], entered_by, at)
    after = {
        "instruction_id": str(row.id),
        "leader_id": str(leader_id),
        "leader_kind": kind,
        "number": row.number,
        "entered_by": str(entered_by),
        "attribution": rules.attribution(row.entered_by_name, entered_by != leader_id),
    }
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action="instruction.record",
        actor_id=entered_by,
        on_behalf_of=leader_id if entered_by != leader_id else None,
        after=after,
        occurred_at=at,
    )
    emit(
        session,
        EVENTS,
        "instruction.recorded",
        {
            "instruction_id": str(row.id),
            "document_id": str(doc.id),
            "leader_id": str(leader_id),
            "entered_by": str(entered_by),
            "number": row.number,
            "instructed_at": at.isoformat(),
        },
        tenant_id=doc.tenant_id,
        ctx=ctx,
    )
    return row


def _give_hand_number(
    session: Session, row: Instruction, number: str, by: uuid.UUID, at: dt.datetime
) -> bool:
    """Set a hand number (in a savepoint): False when the leader has it this year
    already — two secretaries racing for one number; the second instruction stays
    unnumbered (待编号) rather than be lost."""
    key = rules.number_key(number)
    try:
        with session.begin_nested():
            row.number, row.number_key = number, key
            row.numbered_by, row.numbered_at = by, at
            session.flush()
    except IntegrityError:
        session.refresh(row)
        log.warning("instruction %s: number %r is taken; left unnumbered", row.id, number)
        return False
    return True


# -- numbers ------------------------------------------------------------------------------------


def check_number(session: Session, ctx: CallContext, req: InstructionNumberCheck) -> None:
    """Before an ``instruct`` with a hand number: 409 when the leader has it this year."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    year = shanghai_day(req.at or utcnow()).year
    if queries.number_taken(session, tenant_id, req.leader_id, year, rules.number_key(req.number)):
        raise taken()


def _may_number(session: Session, ctx: CallContext, row: Instruction) -> bool:
    """The leader themself, or a secretary with a valid delegation from them now."""
    if ctx.user_id == row.leader_id:
        return True
    return row.leader_id in acting_for(session, ctx)


def number_instruction(
    session: Session, ctx: CallContext, instruction_id: uuid.UUID, req: InstructionNumbering
) -> InstructionOut:
    """编号 afterwards: a secretary (or the leader) numbers a 省政府领导's instruction."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    row = queries.instruction(session, tenant_id, instruction_id, for_update=True)
    if row is None:
        raise instruction_not_found()
    doc = load_visible(session, ctx, row.document_id)
    if not _may_number(session, ctx, row):
        raise Forbidden(
            "not_your_instruction", "only the leader or their secretary numbers an instruction"
        )
    if row.leader_kind != GOV:
        raise by_system()
    key = rules.number_key(req.number)
    if row.number_key == key:
        session.rollback()
        return instruction_out(session, row, doc)
    clash = queries.number_taken(session, tenant_id, row.leader_id, row.year, key)
    if clash is not None:
        raise taken()
    before = {"number": row.number}
    now = utcnow()
    if not _give_hand_number(session, row, req.number, user_id, now):
        session.rollback()
        raise taken()
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=row.document_id,
        action="instruction.number",
        before=before,
        after={"instruction_id": str(row.id), "number": row.number},
        on_behalf_of=row.leader_id if user_id != row.leader_id else None,
        occurred_at=now,
    )
    emit(
        session,
        EVENTS,
        "instruction.numbered",
        {
            "instruction_id": str(row.id),
            "document_id": str(row.document_id),
            "leader_id": str(row.leader_id),
            "number": row.number,
            "numbered_by": str(user_id),
        },
        tenant_id=tenant_id,
        ctx=ctx,
    )
    session.commit()
    return instruction_out(session, row, doc)


def instruction_not_found() -> NotFound:
    return NotFound("instruction_not_found", "no such instruction")


def get_instruction(
    session: Session, ctx: CallContext, instruction_id: uuid.UUID
) -> InstructionOut:
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    row = queries.instruction(session, tenant_id, instruction_id)
    if row is None:
        raise instruction_not_found()
    doc = queries.document(session, tenant_id, row.document_id)
    if doc is None or not may_see(session, ctx, doc):
        raise instruction_not_found()  # not even its existence leaks
    return instruction_out(session, row, doc)


def _leader_ok(session: Session, ctx: CallContext, leader_id: uuid.UUID) -> None:
    if ctx.user_id == leader_id or Role.tenant_admin in ctx.roles:
        return
    raise Forbidden("not_allowed", "the leader or the tenant administrator sets this")


def get_numbering(session: Session, ctx: CallContext, leader_id: uuid.UUID) -> LeaderNumberingOut:
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    fmt = queries.serial_format(session, tenant_id, leader_id) or DEFAULT_FORMAT
    return _numbering_out(session, tenant_id, leader_id, fmt)


def _numbering_out(
    session: Session, tenant_id: uuid.UUID, leader_id: uuid.UUID, fmt: str
) -> LeaderNumberingOut:
    year = shanghai_day(utcnow()).year
    counter = session.get(InstructionCounter, (tenant_id, leader_id, year))
    nxt = (counter.last_serial if counter else 0) + 1
    return LeaderNumberingOut(
        leader_id=leader_id, serial_format=fmt, example=rules.format_serial(fmt, nxt, year)
    )


def set_numbering(
    session: Session, ctx: CallContext, leader_id: uuid.UUID, req: SerialFormat
) -> LeaderNumberingOut:
    """The format of a 厅领导's serials from now on (numbers given keep theirs)."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    _leader_ok(session, ctx, leader_id)
    if ctx.user_id == leader_id and Role.office_leader not in ctx.roles:
        raise InvalidInput("not_office_leader", "only a 厅领导's instructions have serials")
    now = utcnow()
    values = {
        "tenant_id": tenant_id,
        "leader_id": leader_id,
        "serial_format": req.serial_format,
        "updated_by": user_id,
        "updated_at": now,
    }
    session.execute(
        pg_insert(LeaderNumbering)
        .values(values)
        .on_conflict_do_update(
            index_elements=["tenant_id", "leader_id"],
            set_={k: values[k] for k in ("serial_format", "updated_by", "updated_at")},
        )
    )
    session.commit()
    return _numbering_out(session, tenant_id, leader_id, req.serial_format)


# -- views --------------------------------------------------------------------------------------

STATUS_LABELS = {
    DocumentStatus.registered.value: "待分办",
    DocumentStatus.distributed.value: "办理中",
    DocumentStatus.completed.value: "已办结",
    DocumentStatus.archived.value: "已归档",
}


def stands(
    doc: Document, holds: Sequence[DocumentHold], unit_names: Mapping[uuid.UUID, str]
) -> str:
    """Where a document now stands, in words: 已转办 (to whom), 已办结, or 办理中 with its
    open steps and divisions (超期 marked)."""
    if doc.forwarded_at is not None:
        to = "、".join(str(t.get("unit_name")) for t in doc.forwarded_to or [])
        return f"已转办：{to}" if to else "已转办"
    label = STATUS_LABELS.get(doc.status, doc.status)
    if not holds:
        return label
    parts = []
    for hold in holds:
        where = unit_names.get(hold.unit_id, "") if hold.unit_id else ""
        part = f"{where}{hold.step or ''}".strip() or "办理中"
        parts.append(part + ("（超期）" if hold.overdue else ""))
    return f"{label}：" + "；".join(dict.fromkeys(parts))


def _unit_names(
    session: Session, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = [u for u in dict.fromkeys(ids) if u is not None]
    if not wanted:
        return {}
    return {k: u.name for k, u in queries.directory_units(session, wanted).items()}


def instruction_out(
    session: Session,
    row: Instruction,
    doc: Document,
    *,
    holds: Sequence[DocumentHold] | None = None,
    unit_names: Mapping[uuid.UUID, str] | None = None,
) -> InstructionOut:
    if holds is None:
        holds = queries.holds_of(session, [doc.id])[doc.id]
    if unit_names is None:
        unit_names = _unit_names(session, doc.tenant_id, [row.unit_id, *(h.unit_id for h in holds)])
    on_behalf = row.entered_by != row.leader_id
    return InstructionOut(
        id=row.id,
        document_id=doc.id,
        document_title=doc.title,
        doc_number=doc.doc_number,
        document_status=DocumentStatus(doc.status),
        forwarded=doc.forwarded_at is not None,
        leader_id=row.leader_id,
        leader_name=row.leader_name,
        leader_kind=row.leader_kind,
        year=row.year,
        serial=row.serial,
        number=row.number,
        text=row.content,
        instructed_at=row.instructed_at,
        entered_by_id=row.entered_by,
        entered_by_name=row.entered_by_name,
        on_behalf=on_behalf,
        attribution=rules.attribution(row.entered_by_name, on_behalf),
        unit_id=row.unit_id,
        unit_name=unit_names.get(row.unit_id) if row.unit_id else None,
        task_id=row.task_id,
        stands=stands(doc, holds, unit_names),
    )


def _outs(
    session: Session, tenant_id: uuid.UUID, rows: Sequence[tuple[Instruction, Document]]
) -> list[InstructionOut]:
    holds = queries.holds_of(session, list(dict.fromkeys(d.id for _, d in rows)))
    names = _unit_names(
        session,
        tenant_id,
        [
            *(i.unit_id for i, _ in rows),
            *(h.unit_id for hs in holds.values() for h in hs),
        ],
    )
    return [instruction_out(session, i, d, holds=holds[d.id], unit_names=names) for i, d in rows]


# -- finding ------------------------------------------------------------------------------------


def search(session: Session, ctx: CallContext, query: InstructionSearch) -> InstructionPage:
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    grams = rules.query_grams(query.q or "")
    rows, total = queries.search_instructions(
        session,
        tenant_id,
        visible=visible_condition(session, ctx),
        number_key=rules.number_key(query.number) if query.number else None,
        leader_id=query.leader_id,
        year=query.year,
        since=query.since,
        until=query.until,
        tsquery=rules.tsquery_text(grams) if grams else None,
        terms=rules.query_terms(query.q or ""),
        on_behalf=query.on_behalf,
        limit=query.limit,
        offset=query.offset,
        count_cap=COUNT_CAP,
    )
    return InstructionPage(
        items=_outs(session, tenant_id, rows),
        total=total,
        total_capped=total >= COUNT_CAP,
        limit=query.limit,
        offset=query.offset,
    )


def export(
    session: Session, ctx: CallContext, query: InstructionExportQuery, names: NameLookup
) -> InstructionExportOut:
    """All of one leader's instructions in the period (default: this year), oldest
    first, with the counts per month and per division."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    today = shanghai_day(utcnow())
    year = query.year or (query.since or query.until or today).year
    since = query.since or dt.date(year, 1, 1)
    until = query.until or dt.date(year, 12, 31)
    if since > until:
        raise InvalidInput("invalid_range", "the period ends before it starts")
    if (until - since).days > 366:
        raise InvalidInput("range_too_long", "export at most one year at a time")
    rows, _ = queries.search_instructions(
        session,
        tenant_id,
        visible=visible_condition(session, ctx),
        number_key=None,
        leader_id=query.leader_id,
        year=None,
        since=since,
        until=until,
        tsquery=None,
        terms=[],
        on_behalf=None,
        limit=None,
        offset=0,
        oldest_first=True,
    )
    items = _outs(session, tenant_id, rows)
    months = Counter(i.instructed_at.astimezone(SHANGHAI).strftime("%Y-%m") for i in items)
    divisions = Counter((i.unit_id, i.unit_name or "（未分处室）") for i in items)
    leader_name = next((i.leader_name for i in items if i.leader_name), None)
    if leader_name is None:
        leader_name = names([query.leader_id]).get(query.leader_id)
    return InstructionExportOut(
        leader_id=query.leader_id,
        leader_name=leader_name,
        since=since,
        until=until,
        items=items,
        by_month=[MonthCount(month=m, count=c) for m, c in sorted(months.items())],
        by_division=[
            DivisionCount(unit_id=u, unit_name=n, count=c)
            for (u, n), c in sorted(divisions.items(), key=lambda kv: (-kv[1], kv[0][1]))
        ],
    )


def mine(session: Session, ctx: CallContext, query: ProgressQuery) -> ProgressPage:
    """我的批示: every document I instructed on and how far its handling has got."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    if not any(role in LEADER_ROLES for role in ctx.roles):
        raise Forbidden("role_required", "for office and provincial leaders")
    docs, total = queries.my_instructed_documents(
        session,
        tenant_id,
        user_id,
        open_only=query.open_only,
        limit=query.limit,
        offset=query.offset,
    )
    ids = [d.id for d in docs]
    holds = queries.holds_of(session, ids)
    mine_on = queries.instructions_on(session, ids, user_id)
    names = _unit_names(
        session,
        tenant_id,
        [
            *(i.unit_id for rows in mine_on.values() for i in rows),
            *(h.unit_id for hs in holds.values() for h in hs),
        ],
    )
    items = [
        DocumentProgressOut(
            document_id=d.id,
            title=d.title,
            doc_number=d.doc_number,
            status=DocumentStatus(d.status),
            forwarded=d.forwarded_at is not None,
            overdue=d.overdue or any(h.overdue for h in holds[d.id]),
            instructions=[
                instruction_out(session, i, d, holds=holds[d.id], unit_names=names)
                for i in mine_on[d.id]
            ],
            open_tasks=[
                OpenTaskOut(
                    task_id=h.task_id,
                    step=h.step,
                    unit_id=h.unit_id,
                    assignee_id=h.assignee_id,
                    due_at=h.due_at,
                    overdue=h.overdue,
                )
                for h in holds[d.id]
            ],
        )
        for d in docs
    ]
    return ProgressPage(items=items, total=total, limit=query.limit, offset=query.offset)
