"""Reading and verifying the audit trail (全程留痕) of the caller's tenant.

Tenant auditors and administrators read their tenant's trail; the platform
administrator reads the platform's own chain (onboarding, platform sign-ins).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.common import audit
from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.vocabulary import Role
from services.identity.schemas import AuditEntryOut, AuditFilter, Page


def _chain_of(session: Session, ctx: CallContext, *roles: Role) -> uuid.UUID | None:
    """Whose chain the caller may read: their tenant's, or the platform's (None)."""
    ctx.require_user()
    if ctx.is_platform_admin:
        scope_session(session, bypass_rls=True)
        return None
    tenant_id = ctx.require_tenant()
    if ctx.roles.isdisjoint(r.value for r in roles):
        raise Forbidden("auditor_required", "needs one of the roles: " + ", ".join(roles))
    return tenant_id


def list_audit(session: Session, ctx: CallContext, query: AuditFilter) -> Page[AuditEntryOut]:
    """Newest first, narrowed by the query's filters."""
    tenant_id = _chain_of(session, ctx, Role.auditor, Role.tenant_admin)
    filters = query.filters()
    rows = audit.list_entries(session, tenant_id, limit=query.limit, offset=query.offset, **filters)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=audit.count_entries(session, tenant_id, **filters),
        limit=query.limit,
        offset=query.offset,
    )


def verify_audit_chain(session: Session, ctx: CallContext) -> dict[str, Any]:
    tenant_id = _chain_of(session, ctx, Role.auditor)
    return audit.verify_chain(session, tenant_id).as_dict()
