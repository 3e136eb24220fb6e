"""Tenants (租户): onboarding by the platform administrator, and who may see which.

A tenant sees its own record and those of the tenants below it (a province its
cities and counties); asking for any other gives "not found", never the record.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, NotFound
from services.common.vocabulary import OrgUnitKind, Role
from services.identity import passwords, queries
from services.identity.access import require_platform_admin
from services.identity.models import OrgUnit, Tenant, User
from services.identity.rules import org_path, tenant_path, tenant_within
from services.identity.schemas import TenantCreate, TenantOut
from services.identity.trail import record
from services.identity.views import org_unit_snapshot, tenant_out, tenant_snapshot, user_snapshot


def create_tenant(session: Session, ctx: CallContext, req: TenantCreate) -> TenantOut:
    """Onboard a tenant with its root org unit (named after it) and its administrator."""
    require_platform_admin(ctx)
    scope_session(session, bypass_rls=True)
    parent = None
    if req.parent_code is not None:
        parent = queries.tenant_by_code(session, req.parent_code)
        if parent is None:
            raise NotFound("parent_tenant_not_found", f"no tenant with code {req.parent_code!r}")
    path, depth = tenant_path(parent.path if parent else None, req.code)
    if queries.tenant_by_code(session, req.code) is not None:
        raise Conflict("tenant_code_taken", f"tenant code {req.code!r} is taken")

    tenant = Tenant(
        id=uuid.uuid4(),
        code=req.code,
        name=req.name,
        parent_id=parent.id if parent else None,
        path=path,
        depth=depth,
    )
    unit_id = uuid.uuid4()
    root = OrgUnit(
        id=unit_id,
        tenant_id=tenant.id,
        name=req.name,
        kind=OrgUnitKind.unit.value,
        parent_id=None,
        path=org_path(None, unit_id),
        depth=0,
    )
    admin = User(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        username=req.admin.username,
        full_name=req.admin.full_name,
        password_hash=passwords.hash_password(req.admin.password),
        org_unit_id=root.id,
        roles=[Role.tenant_admin.value],
    )
    session.add(tenant)
    try:
        session.flush()
    except IntegrityError:  # another onboarding of the same code won the race
        session.rollback()
        raise Conflict("tenant_code_taken", f"tenant code {req.code!r} is taken") from None
    session.add(root)
    session.flush()
    session.add(admin)
    session.flush()

    snapshot = tenant_snapshot(tenant)
    # On the platform's chain (the platform administrator's act) and as the first
    # entry of the new tenant's own chain.
    record(
        session,
        ctx,
        tenant_id=None,
        action="tenant.created",
        target_type="tenant",
        target_id=tenant.id,
        after=snapshot,
    )
    record(
        session,
        ctx,
        tenant_id=tenant.id,
        action="tenant.created",
        target_type="tenant",
        target_id=tenant.id,
        after=snapshot,
        event="tenant.created",
    )
    record(
        session,
        ctx,
        tenant_id=tenant.id,
        action="org_unit.created",
        target_type="org_unit",
        target_id=root.id,
        after=org_unit_snapshot(root),
        event="org_unit.created",
    )
    record(
        session,
        ctx,
        tenant_id=tenant.id,
        action="user.created",
        target_type="user",
        target_id=admin.id,
        after=user_snapshot(admin),
        event="user.created",
    )
    session.commit()
    return tenant_out(tenant)


def _visible_path(session: Session, ctx: CallContext) -> str | None:
    """The tenant path under which the caller sees tenants (None: everything)."""
    ctx.require_user()
    if ctx.is_platform_admin:
        return None
    tenant_id = ctx.require_tenant()
    own = queries.tenant_by_id(session, tenant_id)
    if own is None:
        raise NotFound("tenant_not_found", "the caller's tenant does not exist")
    return own.path


def list_tenants(session: Session, ctx: CallContext) -> list[TenantOut]:
    path = _visible_path(session, ctx)
    scope_session(session, bypass_rls=True)
    return [tenant_out(t) for t in queries.tenants_within(session, path)]


def get_tenant(session: Session, ctx: CallContext, tenant_id: uuid.UUID) -> TenantOut:
    path = _visible_path(session, ctx)
    scope_session(session, bypass_rls=True)
    tenant = queries.tenant_by_id(session, tenant_id)
    if tenant is None or (path is not None and not tenant_within(tenant.path, path)):
        raise NotFound("tenant_not_found", "no such tenant")
    return tenant_out(tenant)
