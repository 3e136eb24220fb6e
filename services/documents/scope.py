"""The scope of knowledge (知悉范围) of a leader-instruction document (领导批示件,
DESIGN 4.5): who sees it, and adding people to it.

Provincial leaders, office leaders and the registry see every 领导批示件; besides them
only the people on its route (their tasks, circulations) and those added here by the
registry or the lead division — each addition in the trail. Everyone else is told
the document does not exist (registry.load_visible)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import emit
from services.common.vocabulary import utcnow
from services.documents import queries, rules
from services.documents.events import EVENTS
from services.documents.models import DocumentAccess
from services.documents.registry import load_visible
from services.documents.schemas import ScopeAddition, ScopeOut, ScopePersonOut
from services.documents.trail import record

#: a user of identity by id (None: no such user)
UserLookup = Callable[[uuid.UUID], Mapping[str, Any] | None]

REASONS = {"task": "route", "circulation": "circulation", "scope": "scope"}


def _out(session: Session, doc_id: uuid.UUID, restricted: bool) -> ScopeOut:
    rows = session.query(DocumentAccess).filter(
        DocumentAccess.document_id == doc_id, DocumentAccess.principal_kind == "user"
    )
    people = [
        ScopePersonOut(
            user_id=row.principal_id,
            reason=REASONS.get(row.reason, row.reason),
            added_at=row.granted_at if row.reason == "scope" else None,
        )
        for row in rows.order_by(DocumentAccess.granted_at)
    ]
    return ScopeOut(
        document_id=doc_id,
        restricted=restricted,
        default_roles=sorted([*(str(r) for r in rules.SEES_RESTRICTED_ROLES), "registrar"]),
        people=people,
    )


def get_scope(session: Session, ctx: CallContext, document_id: uuid.UUID) -> ScopeOut:
    doc = load_visible(session, ctx, document_id)
    return _out(session, doc.id, doc.is_leader_instruction)


def extend_scope(
    session: Session,
    ctx: CallContext,
    users: UserLookup,
    document_id: uuid.UUID,
    req: ScopeAddition,
) -> ScopeOut:
    """The registry or the lead division adds people to a 领导批示件's scope."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    doc = load_visible(session, ctx, document_id)
    if not doc.is_leader_instruction:
        raise Conflict("not_leader_instruction", "only a 领导批示件 has a restricted scope")
    lead = doc.lead_unit_id is not None and ctx.org_unit_id == doc.lead_unit_id
    if not rules.in_registry(ctx.roles, ctx.org_unit_id, doc.registry_unit_id) and not lead:
        raise Forbidden(
            "not_allowed_to_extend_scope", "the registry or the lead division extends the scope"
        )
    wanted = list(dict.fromkeys(req.user_ids))
    session.rollback()  # no transaction stays open while identity is asked
    for person in wanted:
        found = users(person)
        if found is None or str(found.get("tenant_id")) != str(tenant_id):
            raise NotFound("user_not_found", f"no such user: {person}")
    doc = load_visible(session, ctx, document_id)
    now = utcnow()
    queries.grant_access(
        session, tenant_id, doc.id, [("user", person, "scope") for person in wanted], now
    )
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        document_id=doc.id,
        action="document.scope_extend",
        after={"user_ids": [str(p) for p in wanted]},
        occurred_at=now,
    )
    emit(
        session,
        EVENTS,
        "document.scope_extended",
        {
            "document_id": str(doc.id),
            "user_ids": [str(p) for p in wanted],
            "added_by": str(user_id),
            "added_at": now.isoformat(),
        },
        tenant_id=tenant_id,
        ctx=ctx,
    )
    session.commit()
    return _out(session, doc.id, True)
