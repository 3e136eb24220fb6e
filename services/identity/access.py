"""Who may call what: checks on the caller's context (roles come from the verified token)."""

from __future__ import annotations

import uuid

from services.common.context import CallContext
from services.common.errors import Forbidden
from services.common.vocabulary import Role


def require_platform_admin(ctx: CallContext) -> None:
    ctx.require_user()
    if not ctx.is_platform_admin:
        raise Forbidden("platform_admin_required", "only the platform administrator does this")


def require_tenant_admin(ctx: CallContext) -> uuid.UUID:
    """The caller administers their tenant; returns the tenant's id."""
    ctx.require_user()
    tenant_id = ctx.require_tenant()
    if Role.tenant_admin.value not in ctx.roles:
        raise Forbidden("tenant_admin_required", "only the tenant administrator does this")
    return tenant_id


def tenant_reader(ctx: CallContext) -> uuid.UUID:
    """Any signed-in user of a tenant may read its directory; returns the tenant's id."""
    ctx.require_user()
    return ctx.require_tenant()
