"""Reading and verifying the audit trail (全程留痕) of the caller's tenant.

Tenant auditors and administrators read their tenant's trail; the platform
administrator reads the platform's own chain (onboarding, platform sign-ins).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from services.common import audit
from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.vocabulary import Role, Strict
from services.identity.schemas import AuditEntryOut, Page


class AuditQuery(Strict):
    limit: StrictInt = Field(default=50, ge=1, le=200)
    offset: StrictInt = Field(default=0, ge=0)


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


def list_audit(session: Session, ctx: CallContext, query: AuditQuery) -> Page[AuditEntryOut]:
    """Newest first."""
    tenant_id = _chain_of(session, ctx, Role.auditor, Role.tenant_admin)
    rows = audit.list_entries(session, tenant_id, limit=query.limit, offset=query.offset)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=audit.count_entries(session, tenant_id),
        limit=query.limit,
        offset=query.offset,
    )


def verify_audit_chain(session: Session, ctx: CallContext) -> dict[str, Any]:
    tenant_id = _chain_of(session, ctx, Role.auditor)
    return audit.verify_chain(session, tenant_id).as_dict()
