"""The trace of a document (全程留痕): its rows of the tenant's hash-chained audit trail.

Every action on a document is appended in the transaction of the change it
records, with ``target_type = "document"`` and the document's id, so that the
processing slip can show the document's whole route from the trail itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.common.audit import append_audit, count_entries, list_entries, verify_chain
from services.common.context import CallContext
from services.common.vocabulary import Role
from services.documents.schemas import AuditVerification
from services.identity.schemas import AuditEntryOut, AuditFilter, Page

TARGET = "document"


def record(
    session: Session,
    ctx: CallContext,
    *,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    action: str,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    actor_id: uuid.UUID | None = None,
    on_behalf_of: uuid.UUID | None = None,
    occurred_at: dt.datetime | None = None,
) -> None:
    """Append one trace row of a document to the tenant's chain."""
    append_audit(
        session,
        tenant_id=tenant_id,
        action=action,
        target_type=TARGET,
        target_id=document_id,
        actor_id=actor_id,
        on_behalf_of=on_behalf_of,
        before=before,
        after=after,
        ctx=ctx,
        occurred_at=occurred_at,
    )


def verify(session: Session, ctx: CallContext) -> AuditVerification:
    """Recompute the caller's tenant chain; report the first row that was altered."""
    ctx.require_any_role(Role.auditor)
    tenant_id = ctx.require_tenant()
    report = verify_chain(session, tenant_id)
    return AuditVerification(**report.as_dict())


def list_trail(session: Session, ctx: CallContext, query: AuditFilter) -> Page[AuditEntryOut]:
    """The tenant's documents trail (every action on documents), newest first, narrowed
    by the query (auditor)."""
    ctx.require_any_role(Role.auditor)
    tenant_id = ctx.require_tenant()
    filters = query.filters()
    rows = list_entries(session, tenant_id, limit=query.limit, offset=query.offset, **filters)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=count_entries(session, tenant_id, **filters),
        limit=query.limit,
        offset=query.offset,
    )
