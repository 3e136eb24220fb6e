"""收文登记 and finding documents: register, open one, search.

A document of another tenant, or one the caller may not see, is simply not
found: the caller learns nothing of it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any

from sqlalchemy import Text, cast, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Forbidden, NotFound
from services.common.events import emit
from services.common.vocabulary import DocumentStatus, Role, utcnow
from services.documents import queries, rules
from services.documents.events import EVENTS
from services.documents.models import Document
from services.documents.schemas import DocumentOut, DocumentPage, DocumentRegister, DocumentSearch
from services.documents.trail import record
from services.documents.views import document_out, document_snapshot

SOURCE = "documents"


def document_not_found() -> NotFound:
    return NotFound("document_not_found", "no such document")


def acting_for(session: Session, ctx: CallContext) -> list[uuid.UUID]:
    """The leaders a secretary enters instructions for now (valid delegations)."""
    if Role.secretary not in ctx.roles or ctx.user_id is None or ctx.tenant_id is None:
        return []
    return queries.leaders_acted_for(session, ctx.tenant_id, ctx.user_id, utcnow())


def visible_condition(session: Session, ctx: CallContext) -> Any:
    """The documents the caller may see, as a condition for a query (see rules.may_see)."""
    return queries.visible_documents(
        sees_all=rules.sees_all(ctx.roles),
        sees_restricted=rules.sees_restricted(ctx.roles),
        registrar=Role.registrar in ctx.roles,
        roles=[str(r) for r in ctx.roles],
        user_id=ctx.user_id,
        org_unit_id=ctx.org_unit_id,
        acting_for=acting_for(session, ctx),
    )


def may_see(session: Session, ctx: CallContext, doc: Document) -> bool:
    if doc.is_leader_instruction:
        if rules.sees_restricted(ctx.roles) or rules.in_registry(
            ctx.roles, ctx.org_unit_id, doc.registry_unit_id
        ):
            return True
    elif rules.sees_all(ctx.roles):
        return True  # no need to read the grants
    grants = queries.grants_of(session, doc.id)
    holding = (
        queries.holding_units(session, doc.id, [str(r) for r in ctx.roles])
        if doc.is_leader_instruction
        else []
    )
    see = functools.partial(
        rules.may_see,
        ctx.roles,
        ctx.user_id,
        ctx.org_unit_id,
        grants,
        restricted=doc.is_leader_instruction,
        holding_units=holding,
        registry_unit_id=doc.registry_unit_id,
    )
    if see():
        return True
    leaders = acting_for(session, ctx)
    return bool(leaders) and see(leaders)


def load_visible(session: Session, ctx: CallContext, document_id: uuid.UUID) -> Document:
    """The document if it is of the caller's tenant and the caller may see it; else
    404 — a 领导批示件 outside its scope (知悉范围) is not found either."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    doc = queries.document(session, tenant_id, document_id)
    if doc is None or not may_see(session, ctx, doc):
        raise document_not_found()
    return doc


def new_document(
    tenant_id: uuid.UUID,
    req: DocumentRegister,
    *,
    registry_unit_id: uuid.UUID,
    registered_by: uuid.UUID,
    now: dt.datetime,
) -> Document:
    """A registered document's row (not yet added to a session)."""
    return Document(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        title=req.title,
        title_search=rules.normalise_text(req.title),
        title_grams=func.array_to_tsvector(cast(rules.title_grams(req.title), ARRAY(Text))),
        source_org=req.source_org,
        doc_number=req.doc_number or None,
        received_date=req.received_date,
        urgency=req.urgency.value,
        secrecy=req.secrecy.value,
        page_count=req.page_count,
        note=req.note or None,
        status=DocumentStatus.registered.value,
        registry_unit_id=registry_unit_id,
        registered_by=registered_by,
        registered_at=now,
        assisting_unit_ids=[],
        updated_at=now,
    )


def announce_registered(session: Session, ctx: CallContext, doc: Document) -> None:
    """``document.registered`` through the outbox: routing gives the registry its 分办 task."""
    emit(
        session,
        EVENTS,
        "document.registered",
        {
            "document_id": str(doc.id),
            "title": doc.title,
            "doc_number": doc.doc_number,
            "urgency": doc.urgency,
            "registry_unit_id": str(doc.registry_unit_id),
            "registered_by": str(doc.registered_by),
            "received_date": doc.received_date.isoformat(),
        },
        tenant_id=doc.tenant_id,
        ctx=ctx,
    )


def register_document(session: Session, ctx: CallContext, req: DocumentRegister) -> DocumentOut:
    """收文登记: the registry records a received paper document (its scans follow)."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    rules.require_registrar(ctx.roles)
    rules.check_storable(req.secrecy)
    if ctx.org_unit_id is None:
        raise Forbidden("org_unit_required", "the registrar belongs to no registry unit")
    now = utcnow()
    doc = new_document(
        tenant_id, req, registry_unit_id=ctx.org_unit_id, registered_by=user_id, now=now
    )
    session.add(doc)
    session.flush()
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="document.register",
        after=document_snapshot(doc),
        occurred_at=now,
    )
    announce_registered(session, ctx, doc)
    session.commit()
    return document_out(doc)


def get_document(session: Session, ctx: CallContext, document_id: uuid.UUID) -> DocumentOut:
    doc = load_visible(session, ctx, document_id)
    return document_out(doc, queries.files_of(session, [doc.id])[doc.id])


def search_documents(session: Session, ctx: CallContext, query: DocumentSearch) -> DocumentPage:
    """Documents the caller may see, by title words, 文号, 来文单位, dates, status, division."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    grams = rules.query_grams(query.q or "")
    rows, total = queries.search(
        session,
        tenant_id,
        visible=visible_condition(session, ctx),
        tsquery=rules.tsquery_text(grams) if grams else None,
        terms=rules.query_terms(query.q or ""),
        doc_number=query.doc_number or None,
        source_org=query.source_org or None,
        received_from=query.received_from,
        received_to=query.received_to,
        status=query.status.value if query.status else None,
        unit_id=query.unit_id,
        limit=query.limit,
        offset=query.offset,
    )
    files = queries.files_of(session, [d.id for d in rows])
    return DocumentPage(
        items=[document_out(d, files[d.id]) for d in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
