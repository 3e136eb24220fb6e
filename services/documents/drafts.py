"""The draft of an outgoing document (发文): who may still change it (its body and
attachments too) and the version its next body upload gets. Kept apart from
:mod:`services.documents.outgoing` so that attaching files (``scans``) can ask it
without importing delivery."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden
from services.common.vocabulary import Direction
from services.documents import queries
from services.documents.models import Document, DocumentFile, OutgoingDocument
from services.documents.schemas import OutgoingStage

#: stages at which the draft may still be changed (its body and attachments too)
EDITABLE = frozenset({OutgoingStage.draft, OutgoingStage.check, OutgoingStage.countersign})


def not_outgoing() -> Conflict:
    return Conflict("not_outgoing", "this is not an outgoing document")


def outgoing_row(session: Session, doc: Document, *, lock: bool = False) -> OutgoingDocument:
    stmt = select(OutgoingDocument).where(OutgoingDocument.document_id == doc.id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        raise not_outgoing()
    return row


def holds_it(session: Session, ctx: CallContext, doc: Document) -> bool:
    """The caller holds an open task of the document: theirs, or pooled to their division
    at a step one of their roles may act on."""
    for hold in queries.holds_of(session, [doc.id])[doc.id]:
        if hold.assignee_id is not None and hold.assignee_id == ctx.user_id:
            return True
        if (
            hold.assignee_id is None
            and hold.unit_id is not None
            and hold.unit_id == ctx.org_unit_id
            and not set(hold.roles or []).isdisjoint(str(r) for r in ctx.roles)
        ):
            return True
    return False


def check_editable(
    session: Session, ctx: CallContext, doc: Document, row: OutgoingDocument
) -> None:
    """The draft is changed by its drafter, or by whoever holds it, until it is issued."""
    if OutgoingStage(row.stage) not in EDITABLE:
        raise Conflict("draft_closed", "the document is issued: its draft no longer changes")
    if ctx.user_id != row.drafter_id and not holds_it(session, ctx, doc):
        raise Forbidden("not_drafter", "only the drafter or the current holder changes the draft")


def next_body_version(session: Session, doc: Document) -> int:
    latest = session.scalar(
        select(func.max(DocumentFile.version)).where(
            DocumentFile.document_id == doc.id, DocumentFile.role == "body"
        )
    )
    return int(latest or 0) + 1


def check_locked_editable(session: Session, ctx: CallContext, doc: Document) -> None:
    """Again, under the document's lock, as the file is attached."""
    if doc.direction != Direction.outgoing.value:
        raise not_outgoing()
    check_editable(session, ctx, doc, outgoing_row(session, doc))
