"""Outgoing documents (发文, DESIGN 4.2): drafting, the record of each step of their
route, dispatch to the recipient units with receipts, and the register (发文登记簿).

Routing decides the route (拟稿 → 核稿 → 会签 → 签发 → 编号 → 用印 → 分发 → 归档, as
the drafting division's template says); documents records what each step means for
the document when it applies routing's events, in the same transaction as the slip:

* ``task.created`` moves ``stage`` to the step that is open;
* 签发 records the signing leader (and the secretary who entered it on the leader's
  behalf), 编号 gives the next number of the series (gap-free: the counter row is
  advanced in this transaction), 用印 records who applied the seal, 分发 delivers the
  issued document — body as issued, attachments, number — to each recipient unit's
  收文箱 (in the recipient's tenant).

Before any of those actions is taken the gateway asks :func:`check_step`, so that a
refusal (``not_checked``, ``not_issued``, ``already_numbered``, ``not_own_series``, …)
comes back at once with nothing changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope, emit
from services.common.inputs import instant, optional_id
from services.common.vocabulary import SHANGHAI, Direction, DocumentStatus, Role, utcnow
from services.documents import drafts, numbering, queries, rules
from services.documents.delivery import (
    IdentityDirectory,
    _Book,
    _deliver,
    _file_ref,
    _sender,
    _targets,
    lock_chains,
    source_org_of,
)
from services.documents.events import EVENTS
from services.documents.models import (
    DirectoryTenant,
    DirectoryUnit,
    Document,
    DocumentNumber,
    InboxItem,
    NumberSeries,
    OutgoingDocument,
)
from services.documents.registry import load_visible, visible_condition
from services.documents.schemas import (
    OUTGOING_STAGES,
    BodyVersionOut,
    InboxStatus,
    NumberState,
    OutgoingCreate,
    OutgoingOut,
    OutgoingPage,
    OutgoingQuery,
    OutgoingStage,
    OutgoingStepCheck,
    OutgoingStepOut,
    OutgoingSummaryOut,
    OutgoingUpdate,
    ReceiptOut,
    ReceiptsOut,
    ReceiptUrge,
    Recipient,
    RecipientOut,
    RegisterOut,
    RegisterQuery,
    RegisterRowOut,
    Secrecy,
)
from services.documents.trail import record
from services.documents.views import file_out

log = logging.getLogger(__name__)

NameBook = Mapping[uuid.UUID, str | None]

#: routing's actions whose record documents keeps (签发, 编号, 用印, 分发)
RECORDED_ACTIONS = frozenset({"issue", "number", "seal", "dispatch"})
STAGE_LABELS = {
    OutgoingStage.draft: "拟稿",
    OutgoingStage.check: "核稿",
    OutgoingStage.countersign: "会签",
    OutgoingStage.issue: "待签发",
    OutgoingStage.number: "待编号",
    OutgoingStage.seal: "待用印",
    OutgoingStage.dispatch: "待分发",
    OutgoingStage.archive: "已分发",
    OutgoingStage.archived: "已归档",
}


def _rank(stage: str) -> int:
    return OUTGOING_STAGES.index(OutgoingStage(stage))


def _passed(row: OutgoingDocument, stage: OutgoingStage) -> bool:
    """The document is past ``stage`` (the step was done)."""
    return _rank(row.stage) > _rank(stage)


not_outgoing = drafts.not_outgoing


# -- loading ---------------------------------------------------------------------------------------


_outgoing_row = drafts.outgoing_row


def _load(
    session: Session, ctx: CallContext, document_id: uuid.UUID, *, lock: bool = False
) -> tuple[Document, OutgoingDocument]:
    doc = load_visible(session, ctx, document_id)
    if doc.direction != Direction.outgoing.value:
        raise not_outgoing()
    if lock:
        doc = queries.document(session, doc.tenant_id, doc.id, for_update=True) or doc
    return doc, _outgoing_row(session, doc, lock=lock)


# -- recipients ------------------------------------------------------------------------------------


def _recipient_out(tenant: DirectoryTenant, unit: DirectoryUnit) -> dict[str, Any]:
    return RecipientOut(
        tenant_id=tenant.id,
        tenant_code=tenant.code,
        tenant_name=tenant.name,
        unit_id=unit.id,
        unit_name=unit.name,
    ).model_dump(mode="json")


def _resolve(
    book: _Book,
    sender_unit: DirectoryUnit,
    main_to: Sequence[Recipient],
    copy_to: Sequence[Recipient],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """主送 and 抄送 as snapshots; a unit on both lists, or twice, is refused."""
    main = _targets(book, main_to, sender_unit)
    copies = _targets(book, copy_to, sender_unit)
    if len(main) != len(main_to) or len(copies) != len(copy_to):
        raise InvalidInput("duplicate_recipient", "a recipient unit is listed twice")
    if {u.id for _, u in main} & {u.id for _, u in copies}:
        raise InvalidInput("duplicate_recipient", "a unit is both 主送 and 抄送")
    return [_recipient_out(t, u) for t, u in main], [_recipient_out(t, u) for t, u in copies]


def _series_of_unit(
    session: Session, ctx: CallContext, series_id: uuid.UUID, unit_id: uuid.UUID | None
) -> NumberSeries:
    series = session.get(NumberSeries, series_id)
    if series is None or series.tenant_id != ctx.require_tenant():
        raise numbering.series_not_found()
    if unit_id is None or series.unit_id != unit_id:
        raise Forbidden("not_own_series", "this series is another unit's")
    if not series.active:
        raise Conflict("series_inactive", "the series is no longer used")
    return series


# -- drafting (拟稿) ---------------------------------------------------------------------------------


def create_outgoing(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    names: Any,
    req: OutgoingCreate,
) -> OutgoingOut:
    """拟稿: a handler starts an outgoing document of their division; routing opens its
    route (``outgoing.drafted``) with the 拟稿 task held by the drafter."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    if Role.handler not in ctx.roles:
        raise Forbidden("role_required", "needs the role: handler (承办人)")
    rules.check_storable(req.secrecy)
    if ctx.org_unit_id is None:
        raise Forbidden("org_unit_required", "the drafter belongs to no division")
    unit_of_drafter = numbering.owning_unit(session, identity, ctx.org_unit_id)
    registry_unit_id = registry_of(session, identity, unit_of_drafter)
    if registry_unit_id is None:
        raise Conflict("no_registry", "the unit has no registry (文书处) with a registrar")
    book = _Book(session, ctx, identity)
    sender = _sender(book, tenant_id, registry_unit_id)
    main_to, copy_to = _resolve(book, sender[1], req.main_to, req.copy_to)
    if req.series_id is not None:
        _series_of_unit(session, ctx, req.series_id, unit_of_drafter)
    drafting = book.unit(tenant_id, ctx.org_unit_id)
    now = utcnow()
    doc = Document(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        title=req.title,
        title_search=rules.normalise_text(req.title),
        title_grams=func.array_to_tsvector(cast(rules.title_grams(req.title), ARRAY(Text))),
        source_org=source_org_of(sender[0].name, book.chain(sender[1])),
        doc_number=None,
        received_date=now.astimezone(SHANGHAI).date(),
        urgency=req.urgency.value,
        secrecy=req.secrecy.value,
        page_count=1,
        note=req.note or None,
        status=DocumentStatus.registered.value,
        registry_unit_id=registry_unit_id,
        registered_by=user_id,
        registered_at=now,
        lead_unit_id=ctx.org_unit_id,
        assisting_unit_ids=[],
        updated_at=now,
        direction=Direction.outgoing.value,
    )
    session.add(doc)
    session.flush()
    row = OutgoingDocument(
        document_id=doc.id,
        tenant_id=tenant_id,
        drafting_unit_id=ctx.org_unit_id,
        drafter_id=user_id,
        drafter_name=names([user_id]).get(user_id),
        drafted_at=now,
        main_to=main_to,
        copy_to=copy_to,
        series_id=req.series_id,
        stage=OutgoingStage.draft.value,
    )
    session.add(row)
    session.flush()
    queries.grant_access(
        session,
        tenant_id,
        doc.id,
        [("user", user_id, "task"), ("unit", ctx.org_unit_id, "lead")],
        now,
    )
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="outgoing.draft",
        after=_snapshot(doc, row),
        occurred_at=now,
    )
    emit(
        session,
        EVENTS,
        "outgoing.drafted",
        {
            "document_id": str(doc.id),
            "title": doc.title,
            "urgency": doc.urgency,
            "drafting_unit_id": str(ctx.org_unit_id),
            "drafter_id": str(user_id),
            "registry_unit_id": str(registry_unit_id),
            "drafted_at": now.isoformat(),
        },
        tenant_id=tenant_id,
        ctx=ctx,
    )
    session.commit()
    return _out(session, doc, row, drafting.name if drafting else None)


def registry_of(
    session: Session, identity: IdentityDirectory, unit_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The registry (文书处) of a unit: the division of the unit itself — not of a unit
    below it with a registry of its own — where most of its registrars are."""
    if unit_id is None:
        return None
    counts = Counter(
        found
        for found in identity.registrar_units(unit_id)
        if numbering.owning_unit(session, identity, found) == unit_id
    )
    return min(counts, key=lambda u: (-counts[u], str(u))) if counts else None


def _snapshot(doc: Document, row: OutgoingDocument) -> dict[str, Any]:
    return {
        "title": doc.title,
        "urgency": doc.urgency,
        "secrecy": doc.secrecy,
        "note": doc.note,
        "main_to": [r["unit_name"] for r in row.main_to],
        "copy_to": [r["unit_name"] for r in row.copy_to],
        "series_id": str(row.series_id) if row.series_id else None,
    }


def update_outgoing(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    document_id: uuid.UUID,
    req: OutgoingUpdate,
) -> OutgoingOut:
    tenant_id = ctx.require_tenant()
    doc, row = _load(session, ctx, document_id, lock=True)
    drafts.check_editable(session, ctx, doc, row)
    before = _snapshot(doc, row)
    if req.secrecy is not None:
        rules.check_storable(req.secrecy)
        doc.secrecy = req.secrecy.value
    if req.main_to is not None or req.copy_to is not None:
        book = _Book(session, ctx, identity)
        sender = _sender(book, tenant_id, doc.registry_unit_id)
        main = req.main_to if req.main_to is not None else [_as_recipient(r) for r in row.main_to]
        copies = req.copy_to if req.copy_to is not None else [_as_recipient(r) for r in row.copy_to]
        row.main_to, row.copy_to = _resolve(book, sender[1], main, copies)
    if req.series_id is not None:
        unit = numbering.owning_unit(session, identity, row.drafting_unit_id)
        _series_of_unit(session, ctx, req.series_id, unit)
        row.series_id = req.series_id
    if req.title is not None:
        doc.title = req.title
        doc.title_search = rules.normalise_text(req.title)
        doc.title_grams = func.array_to_tsvector(cast(rules.title_grams(req.title), ARRAY(Text)))
    if req.urgency is not None:
        doc.urgency = req.urgency.value
    if req.note is not None:
        doc.note = req.note or None
    now = utcnow()
    doc.updated_at = now
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="outgoing.update",
        before=before,
        after=_snapshot(doc, row),
        occurred_at=now,
    )
    if req.title is not None or req.urgency is not None:
        emit(
            session,
            EVENTS,
            "outgoing.updated",
            {"document_id": str(doc.id), "title": doc.title, "urgency": doc.urgency},
            tenant_id=tenant_id,
            ctx=ctx,
        )
    session.commit()
    return get_outgoing(session, ctx, doc.id)


def _as_recipient(snapshot: Mapping[str, Any]) -> Recipient:
    return Recipient(tenant_id=snapshot["tenant_id"], unit_id=snapshot["unit_id"])


def check_file_upload(
    session: Session, ctx: CallContext, document_id: uuid.UUID, role: str
) -> None:
    """Before a body or an attachment is read: may the caller add it (404, 409, 403)?"""
    doc, row = _load(session, ctx, document_id)
    drafts.check_editable(session, ctx, doc, row)
    session.rollback()


# -- reading -------------------------------------------------------------------------------------


def _out(
    session: Session, doc: Document, row: OutgoingDocument, unit_name: str | None = None
) -> OutgoingOut:
    files = queries.files_of(session, [doc.id])[doc.id]
    bodies = sorted((f for f in files if f.role == "body"), key=lambda f: -(f.version or 0))
    series = session.get(NumberSeries, row.series_id) if row.series_id else None
    number = session.get(DocumentNumber, row.number_id) if row.number_id else None
    if unit_name is None:
        unit = queries.directory_units(session, [row.drafting_unit_id]).get(row.drafting_unit_id)
        unit_name = unit.name if unit else None
    return OutgoingOut(
        id=doc.id,
        tenant_id=doc.tenant_id,
        title=doc.title,
        urgency=doc.urgency,  # type: ignore[arg-type]
        secrecy=Secrecy(doc.secrecy),
        note=doc.note,
        stage=OutgoingStage(row.stage),
        drafting_unit_id=row.drafting_unit_id,
        drafting_unit_name=unit_name,
        drafter_id=row.drafter_id,
        drafter_name=row.drafter_name,
        drafted_at=row.drafted_at,
        registry_unit_id=doc.registry_unit_id,
        main_to=[RecipientOut.model_validate(r) for r in row.main_to],
        copy_to=[RecipientOut.model_validate(r) for r in row.copy_to],
        series_id=row.series_id,
        series_prefix=series.prefix if series else None,
        number=number.number if number is not None and number.state != "voided" else None,
        number_id=row.number_id,
        signer_id=row.signer_id,
        signer_name=row.signer_name,
        issued_at=row.issued_at,
        issue_entered_by=row.issue_entered_by,
        issue_entered_by_name=row.issue_entered_by_name,
        sealed_at=row.sealed_at,
        sealed_by=row.sealed_by,
        sealed_by_name=row.sealed_by_name,
        seal_note=row.seal_note,
        dispatched_at=row.dispatched_at,
        dispatched_by=row.dispatched_by,
        archived_at=doc.archived_at,
        body_versions=[
            BodyVersionOut(
                file_id=f.id,
                version=f.version or 0,
                filename=f.filename,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                uploaded_by=f.uploaded_by,
                uploaded_at=f.uploaded_at,
            )
            for f in bodies
        ],
        attachments=[file_out(f) for f in files if f.role == "attachment"],
    )


def get_outgoing(session: Session, ctx: CallContext, document_id: uuid.UUID) -> OutgoingOut:
    doc, row = _load(session, ctx, document_id)
    return _out(session, doc, row)


def list_outgoing(session: Session, ctx: CallContext, query: OutgoingQuery) -> OutgoingPage:
    """发文 the caller may see, newest first."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    stmt = (
        select(Document, OutgoingDocument, DocumentNumber.number)
        .join(OutgoingDocument, OutgoingDocument.document_id == Document.id)
        .outerjoin(DocumentNumber, DocumentNumber.id == OutgoingDocument.number_id)
        .where(Document.tenant_id == tenant_id, visible_condition(session, ctx))
    )
    if query.stage is not None:
        stmt = stmt.where(OutgoingDocument.stage == query.stage.value)
    if query.q:
        words = f"%{query.q}%"
        stmt = stmt.where(or_(Document.title.ilike(words), DocumentNumber.number.ilike(words)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(OutgoingDocument.drafted_at.desc(), Document.id)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    units = queries.directory_units(session, [r[1].drafting_unit_id for r in rows])
    return OutgoingPage(
        items=[
            OutgoingSummaryOut(
                id=doc.id,
                title=doc.title,
                urgency=doc.urgency,  # type: ignore[arg-type]
                stage=OutgoingStage(row.stage),
                number=number,
                drafting_unit_name=(u.name if (u := units.get(row.drafting_unit_id)) else None),
                drafter_name=row.drafter_name,
                drafted_at=row.drafted_at,
                issued_at=row.issued_at,
            )
            for doc, row, number in rows
        ],
        total=int(total),
        limit=query.limit,
        offset=query.offset,
    )


# -- before a step's action (the gateway asks) -----------------------------------------------------


def _open_hold(session: Session, doc: Document, step: str) -> uuid.UUID | None:
    for hold in queries.holds_of(session, [doc.id])[doc.id]:
        if hold.step == step or hold.step == STEP_NAMES.get(step):
            return hold.task_id
    return None


#: what routing's default template calls the steps (holds keep the step's name)
STEP_NAMES = {
    "issue": "签发",
    "number": "编号",
    "seal": "用印",
    "dispatch": "分发",
}


def check_step(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    document_id: uuid.UUID,
    req: OutgoingStepCheck,
) -> OutgoingStepOut:
    """Refuse an outgoing step's action the document is not ready for, with its own
    code and nothing changed: 签发 of an unchecked document (``not_checked``), 编号 of
    an unissued one (``not_issued``) or a second time (``already_numbered``), in
    another unit's series (``not_own_series``), 分发 before 签发/编号/用印
    (``not_issued``/``not_numbered``/``not_sealed``) or again (``already_dispatched``).
    Answers the open task of the step (the caller then acts on it through routing)."""
    doc, row = _load(session, ctx, document_id)
    action = OutgoingStage(req.action)
    stage = OutgoingStage(row.stage)
    has_number = _live_number(session, row) is not None
    if action is OutgoingStage.issue:
        if _rank(stage) < _rank(OutgoingStage.issue):
            raise Conflict("not_checked", "the draft is not checked (核稿) and countersigned yet")
        if _passed(row, OutgoingStage.issue):
            raise Conflict("already_issued", "the document is issued already")
        if not any(f.role == "body" for f in queries.files_of(session, [doc.id])[doc.id]):
            raise Conflict("body_missing", "upload the body (正文) before it is issued")
    elif action is OutgoingStage.number:
        if row.issued_at is None and not _passed(row, OutgoingStage.issue):
            raise Conflict("not_issued", "the document is not issued (签发) yet")
        if has_number:
            raise Conflict("already_numbered", "the document has its number already")
        unit = numbering.owning_unit(session, identity, row.drafting_unit_id)
        series_id = req.series_id or row.series_id
        if series_id is None:
            raise InvalidInput("series_required", "choose the series to number it in")
        series = _series_of_unit(session, ctx, series_id, unit)
        if (
            ctx.org_unit_id is None
            or numbering.owning_unit(session, identity, ctx.org_unit_id) != series.unit_id
        ):
            raise Forbidden("not_own_series", "this series is another unit's")
        if _passed(row, OutgoingStage.number):  # numbered before, then the number was voided
            return _renumber(session, ctx, doc, row, series)
        if series_id != row.series_id:
            locked = _outgoing_row(session, doc, lock=True)
            locked.series_id = series_id
            session.commit()
    elif action is OutgoingStage.seal:
        if row.issued_at is None and not _passed(row, OutgoingStage.issue):
            raise Conflict("not_issued", "the document is not issued (签发) yet")
        if not has_number and _rank(stage) <= _rank(OutgoingStage.number):
            raise Conflict("not_numbered", "the document has no number yet")
        if row.sealed_at is not None:
            raise Conflict("already_sealed", "the seal is recorded already")
    else:  # dispatch
        if row.dispatched_at is not None:
            raise Conflict("already_dispatched", "the document is dispatched already")
        if row.issued_at is None and not _passed(row, OutgoingStage.issue):
            raise Conflict("not_issued", "the document is not issued (签发) yet")
        if not has_number:
            raise Conflict("not_numbered", "the document has no number")
        if row.sealed_at is None and _rank(stage) <= _rank(OutgoingStage.seal):
            raise Conflict("not_sealed", "the seal is not recorded yet")
        _dispatch_targets(session, row)  # every recipient still known and active
    task_id = _open_hold(session, doc, action.value)
    if task_id is None:
        raise Conflict("step_not_open", "the step has no open task (yet)")
    return OutgoingStepOut(document_id=doc.id, task_id=task_id)


def _live_number(session: Session, row: OutgoingDocument) -> DocumentNumber | None:
    if row.number_id is None:
        return None
    number = session.get(DocumentNumber, row.number_id)
    if number is None or number.state == NumberState.voided.value:
        return None
    return number


def _renumber(
    session: Session,
    ctx: CallContext,
    doc: Document,
    row: OutgoingDocument,
    series: NumberSeries,
) -> OutgoingStepOut:
    """Its number was voided before dispatch: the registry gives the next one directly
    (the 编号 step is behind it)."""
    doc = queries.document(session, doc.tenant_id, doc.id, for_update=True) or doc
    row = _outgoing_row(session, doc, lock=True)
    if _live_number(session, row) is not None:
        raise Conflict("already_numbered", "the document has its number already")
    now = utcnow()
    _give(session, ctx, doc, row, series, now)
    session.commit()
    return OutgoingStepOut(document_id=doc.id, task_id=None, done=True)


def _give(
    session: Session,
    ctx: CallContext,
    doc: Document,
    row: OutgoingDocument,
    series: NumberSeries,
    at: dt.datetime,
) -> DocumentNumber:
    number = numbering.give_number(
        session,
        ctx,
        series,
        state=NumberState.assigned,
        document_id=doc.id,
        purpose=doc.title[:300],
        now=at,
    )
    row.number_id, row.series_id = number.id, series.id
    doc.doc_number = number.number
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action="outgoing.number",
        after={"number": number.number, "series_id": str(series.id)},
        occurred_at=at,
    )
    return number


# -- routing's events ------------------------------------------------------------------------------


def on_task_created(session: Session, doc: Document, env: EventEnvelope) -> None:
    """The step that is open is where the document stands."""
    step = str(env.data.get("step") or "")
    if step not in OutgoingStage.__members__:
        return
    row = _outgoing_row(session, doc, lock=True)
    if row.stage != OutgoingStage.archived.value:
        row.stage = step


def _event_ctx(ctx: CallContext, env: EventEnvelope, actor: uuid.UUID | None) -> CallContext:
    return dataclasses.replace(
        ctx,
        tenant_id=env.tenant_id,
        user_id=actor or ctx.user_id,
        request_id=ctx.request_id or str(env.id),
    )


def on_task_completed(
    session: Session,
    ctx: CallContext,
    doc: Document,
    env: EventEnvelope,
    names: NameBook,
) -> None:
    """What 签发, 编号, 用印 and 分发 mean for the document (the slip has its opinion)."""
    data = env.data
    action = str(data.get("action") or "")
    if action not in RECORDED_ACTIONS:
        return
    row = _outgoing_row(session, doc, lock=True)
    actor = optional_id(data.get("actor_id")) or env.actor_id
    on_behalf_of = optional_id(data.get("on_behalf_of_id"))
    at = instant(data.get("completed_at"), env.occurred_at)
    acting = _event_ctx(ctx, env, actor)
    if action == "issue":
        signer = on_behalf_of or actor
        row.signer_id, row.issued_at = signer, at
        row.signer_name = names.get(signer) if signer else None
        if on_behalf_of is not None and actor != on_behalf_of:
            row.issue_entered_by = actor
            row.issue_entered_by_name = names.get(actor) if actor else None
    elif action == "number":
        if _live_number(session, row) is None and row.series_id is not None:
            series = session.get(NumberSeries, row.series_id)
            assert series is not None
            _give(session, acting, doc, row, series, at)
        else:
            log.warning("outgoing %s: numbered already or no series; nothing given", doc.id)
    elif action == "seal":
        row.sealed_at, row.sealed_by = at, actor
        row.sealed_by_name = names.get(actor) if actor else None
        row.seal_note = str(data.get("opinion") or "").strip()[:500] or None
    else:
        _dispatch(session, acting, doc, row, at, names.get(actor) if actor else None)


def on_archived(session: Session, doc: Document) -> None:
    if doc.direction == Direction.outgoing.value:
        _outgoing_row(session, doc, lock=True).stage = OutgoingStage.archived.value


# -- dispatch (分发) and receipts (签收回执) ---------------------------------------------------------


def _dispatch_targets(
    session: Session, row: OutgoingDocument, only: uuid.UUID | None = None
) -> list[tuple[DirectoryTenant, DirectoryUnit]]:
    targets: list[tuple[DirectoryTenant, DirectoryUnit]] = []
    for snapshot in [*row.main_to, *row.copy_to]:
        unit_id = uuid.UUID(str(snapshot["unit_id"]))
        if only is not None and unit_id != only:
            continue
        tenant = queries.directory_tenant(session, tenant_id=uuid.UUID(str(snapshot["tenant_id"])))
        unit = queries.directory_units(session, [unit_id]).get(unit_id)
        if tenant is None or unit is None or not unit.active or unit.tenant_id != tenant.id:
            raise Conflict(
                "recipient_unavailable",
                f"{snapshot.get('unit_name')} no longer receives documents: change the recipients",
            )
        targets.append((tenant, unit))
    return targets


def _dispatch_files(session: Session, doc: Document) -> list[dict[str, Any]]:
    """The body as issued (its latest version) and the attachments."""
    files = queries.files_of(session, [doc.id])[doc.id]
    bodies = sorted((f for f in files if f.role == "body"), key=lambda f: f.version or 0)
    return [_file_ref(f) for f in [*bodies[-1:], *(f for f in files if f.role == "attachment")]]


def _dispatch(
    session: Session,
    ctx: CallContext,
    doc: Document,
    row: OutgoingDocument,
    at: dt.datetime,
    sender_name: str | None,
    only: uuid.UUID | None = None,
) -> list[Any]:
    tenant_id = doc.tenant_id
    sender_tenant = queries.directory_tenant(session, tenant_id=tenant_id)
    sender_unit = queries.directory_units(session, [doc.registry_unit_id]).get(doc.registry_unit_id)
    if sender_tenant is None or sender_unit is None:
        raise NotFound("sender_unit_not_found", "the sender's registry is not in the directory")
    targets = _dispatch_targets(session, row, only)
    copies = frozenset(uuid.UUID(str(r["unit_id"])) for r in row.copy_to)
    lock_chains(session, [tenant_id, *(t.id for t, _ in targets)])
    try:
        deliveries = _deliver(
            session,
            ctx,
            doc,
            targets,
            sender=(sender_tenant, sender_unit),
            source_org=doc.source_org,
            sent_by_name=sender_name,
            now=at,
            note=doc.note,
            title=doc.title,
            files=_dispatch_files(session, doc),
            copy_unit_ids=copies,
        )
    finally:
        scope_session(session, tenant_id=tenant_id)
    sent = [d.model_dump(mode="json") for d in deliveries]
    if only is None:
        row.dispatched_at, row.dispatched_by = at, ctx.user_id
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="outgoing.resend" if only is not None else "outgoing.dispatch",
        after={"number": doc.doc_number, "deliveries": sent},
        occurred_at=at,
    )
    emit(
        session,
        EVENTS,
        "outgoing.dispatched",
        {
            "document_id": str(doc.id),
            "number": doc.doc_number,
            "dispatched_by": str(ctx.user_id) if ctx.user_id else None,
            "dispatched_at": at.isoformat(),
            "deliveries": sent,
        },
        tenant_id=tenant_id,
        ctx=ctx,
    )
    return deliveries


def _items(session: Session, doc: Document) -> list[InboxItem]:
    """Every copy sent of the document, in every recipient tenant (oldest first)."""
    tenant_id = doc.tenant_id
    scope_session(session, bypass_rls=True)
    try:
        return list(
            session.scalars(
                select(InboxItem)
                .where(
                    InboxItem.source_document_id == doc.id, InboxItem.sender_tenant_id == tenant_id
                )
                .order_by(InboxItem.sent_at, InboxItem.id)
            )
        )
    finally:
        scope_session(session, tenant_id=tenant_id)


def receipts(session: Session, ctx: CallContext, names: Any, document_id: uuid.UUID) -> ReceiptsOut:
    """签收回执: per recipient unit, 待签收 / 已签收 (when, by whom) / 已拒收 (when, by
    whom, why); a refused copy sent again shows as superseded by the newer one."""
    doc, row = _load(session, ctx, document_id)
    items = _items(session, doc)
    tenants = {
        t.id: t
        for t in (
            queries.directory_tenant(session, tenant_id=tid) for tid in {i.tenant_id for i in items}
        )
        if t is not None
    }
    units = queries.directory_units(session, [i.recipient_unit_id for i in items])
    latest: dict[uuid.UUID, InboxItem] = {}
    for item in items:
        latest[item.recipient_unit_id] = item
    out = []
    for item in items:
        tenant = tenants.get(item.tenant_id)
        unit = units.get(item.recipient_unit_id)
        out.append(
            ReceiptOut(
                inbox_item_id=item.id,
                tenant_id=item.tenant_id,
                tenant_code=tenant.code if tenant else "",
                tenant_name=tenant.name if tenant else "",
                unit_id=item.recipient_unit_id,
                unit_name=unit.name if unit else "",
                is_copy=item.is_copy,
                status=InboxStatus(item.status),
                sent_at=item.sent_at,
                signed_at=item.signed_at,
                signed_by_name=item.signed_by_name,
                refused_at=item.refused_at,
                refused_by_name=item.refused_by_name,
                refusal_reason=item.refusal_reason,
                urged_at=item.urged_at,
                urge_count=item.urge_count or 0,
                superseded=latest[item.recipient_unit_id].id != item.id,
            )
        )
    current = Counter(r.status.value for r in out if not r.superseded)
    return ReceiptsOut(
        document_id=doc.id,
        number=doc.doc_number,
        dispatched_at=row.dispatched_at,
        counts={s.value: current.get(s.value, 0) for s in InboxStatus},
        receipts=out,
    )


def _sender_registrar(ctx: CallContext, doc: Document) -> None:
    if Role.registrar not in ctx.roles or ctx.org_unit_id != doc.registry_unit_id:
        raise Forbidden("not_sender_registry", "the registry that dispatched it does this")


def _receipt_item(session: Session, doc: Document, item_id: uuid.UUID) -> InboxItem:
    for item in _items(session, doc):
        if item.id == item_id:
            return item
    raise NotFound("receipt_not_found", "no such copy of this document")


def urge_receipt(
    session: Session,
    ctx: CallContext,
    names: Any,
    document_id: uuid.UUID,
    item_id: uuid.UUID,
    req: ReceiptUrge,
) -> ReceiptsOut:
    """催签: remind a recipient registry that has not signed for it yet."""
    doc, _row = _load(session, ctx, document_id)
    _sender_registrar(ctx, doc)
    item = _receipt_item(session, doc, item_id)
    if item.status != InboxStatus.pending.value:
        raise Conflict("not_pending", "this copy was signed for or refused already")
    now = utcnow()
    tenant_id = doc.tenant_id
    scope_session(session, tenant_id=item.tenant_id)
    try:
        locked = session.get(InboxItem, item.id, with_for_update=True, populate_existing=True)
        assert locked is not None
        locked.urged_at, locked.urge_count = now, (locked.urge_count or 0) + 1
        session.flush()  # while the session sees the recipient's tenant
        emit(
            session,
            EVENTS,
            "inbox.item_urged",
            {
                "inbox_item_id": str(locked.id),
                "recipient_unit_id": str(locked.recipient_unit_id),
                "title": locked.title,
                "doc_number": locked.doc_number,
                "urgency": locked.urgency,
                "sender_tenant_id": str(tenant_id),
                "message": req.message,
                "urged_at": now.isoformat(),
                "sender_tenant_name": locked.sender_tenant_name,
                "sender_unit_name": locked.sender_unit_name,
                "urge_count": locked.urge_count,
            },
            tenant_id=locked.tenant_id,
            ctx=ctx,
        )
    finally:
        scope_session(session, tenant_id=tenant_id)
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="outgoing.urge_receipt",
        after={"inbox_item_id": str(item.id), "message": req.message},
        occurred_at=now,
    )
    session.commit()
    return receipts(session, ctx, names, doc.id)


def resend_receipt(
    session: Session, ctx: CallContext, names: Any, document_id: uuid.UUID, item_id: uuid.UUID
) -> ReceiptsOut:
    """重新发送: a recipient that refused gets a new copy."""
    doc, row = _load(session, ctx, document_id, lock=True)
    _sender_registrar(ctx, doc)
    item = _receipt_item(session, doc, item_id)
    if item.status != InboxStatus.refused.value:
        raise Conflict("not_refused", "only a refused copy is sent again")
    later = [i for i in _items(session, doc) if i.recipient_unit_id == item.recipient_unit_id]
    if later[-1].id != item.id:
        raise Conflict("already_resent", "this copy was sent again already")
    user_id = ctx.require_user()
    _dispatch(
        session,
        ctx,
        doc,
        row,
        utcnow(),
        names([user_id]).get(user_id),
        only=item.recipient_unit_id,
    )
    session.commit()
    return receipts(session, ctx, names, doc.id)


# -- the register (发文登记簿) ----------------------------------------------------------------------


def register(
    session: Session, ctx: CallContext, series_id: uuid.UUID, query: RegisterQuery
) -> RegisterOut:
    """Every number of a series in a year, 1…last: the document it went to (title,
    day issued, signer, recipients, where it stands), or what it was reserved for, or
    why it was voided. ``q`` keeps the rows whose number, title, signer or a
    recipient contains the words."""
    year = query.year or numbering.this_year()
    year_out = numbering.series_year(session, ctx, series_id, year)
    ids = [n.document_id for n in year_out.numbers if n.document_id is not None]
    docs = (
        {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        if ids
        else {}
    )
    rows = (
        {
            r.document_id: r
            for r in session.scalars(
                select(OutgoingDocument).where(OutgoingDocument.document_id.in_(ids))
            )
        }
        if ids
        else {}
    )
    out: list[RegisterRowOut] = []
    for number in year_out.numbers:
        doc = docs.get(number.document_id) if number.document_id else None
        row = rows.get(number.document_id) if number.document_id else None
        recipients = [
            recipient_name(r, row.tenant_id if row else None)
            for r in [*(row.main_to if row else []), *(row.copy_to if row else [])]
        ]
        if number.state is NumberState.voided:
            status = "已作废"
        elif number.state is NumberState.reserved:
            status = "已预留"
        elif row is not None:
            status = STAGE_LABELS[OutgoingStage(row.stage)]
        else:
            status = "已使用"
        issued = row.issued_at if row else None
        out.append(
            RegisterRowOut(
                n=number.n,
                number=number.number,
                state=number.state,
                document_id=number.document_id,
                title=doc.title if doc else number.purpose,
                issued_at=issued,
                issued_on=issued.astimezone(SHANGHAI).date() if issued else None,
                signer_name=row.signer_name if row else None,
                recipients=recipients,
                status=status,
                void_reason=number.void_reason,
            )
        )
    if query.q:
        words = rules.normalise_text(query.q)
        out = [
            r
            for r in out
            if words
            in rules.normalise_text(
                " ".join([r.number, r.title or "", r.signer_name or "", *r.recipients])
            )
        ]
    return RegisterOut(series=year_out.series, year=year, total=len(out), rows=out)


def recipient_name(snapshot: Mapping[str, Any], own_tenant: Any) -> str:
    """文书处 of one's own tenant; 贵阳市 · 文书处 of another."""
    if str(snapshot.get("tenant_id")) == str(own_tenant):
        return str(snapshot["unit_name"])
    return f"{snapshot['tenant_name']} · {snapshot['unit_name']}"


def dispatched(session: Session, number: DocumentNumber) -> bool:
    """The number went out on a dispatched document (it can no longer be voided)."""
    if number.document_id is None:
        return False
    row = session.get(OutgoingDocument, number.document_id)
    return row is not None and row.dispatched_at is not None
