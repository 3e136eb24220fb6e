"""Users of a tenant: created, changed and deactivated by the tenant administrator,
looked up and searched by any signed-in user of the same tenant."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, NotFound
from services.common.vocabulary import Role, utcnow
from services.identity import passwords, queries
from services.identity.access import require_tenant_admin, tenant_reader
from services.identity.models import User
from services.identity.org_units import get_unit
from services.identity.rules import check_grantable
from services.identity.schemas import Page, UserCreate, UserOut, UserSearch, UserUpdate
from services.identity.tokens import RefreshFamilies
from services.identity.trail import record
from services.identity.views import changed, user_out, user_snapshot


def _username_taken(username: str) -> Conflict:
    return Conflict("username_taken", f"username {username!r} is taken in this tenant")


def get_tenant_user(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = queries.user_by_id(session, tenant_id, user_id)
    if user is None:
        raise NotFound("user_not_found", "no such user in this tenant")
    return user


def create_user(session: Session, ctx: CallContext, req: UserCreate) -> UserOut:
    roles = check_grantable(ctx.roles, req.roles)
    tenant_id = require_tenant_admin(ctx)
    get_unit(session, tenant_id, req.org_unit_id, "org_unit_not_found")
    if queries.user_by_username(session, tenant_id, req.username) is not None:
        raise _username_taken(req.username)
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        username=req.username,
        full_name=req.full_name,
        password_hash=passwords.hash_password(req.password),
        org_unit_id=req.org_unit_id,
        roles=roles,
        phone=req.phone or None,
        email=req.email or None,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create of the same username
        session.rollback()
        raise _username_taken(req.username) from None
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action="user.created",
        target_type="user",
        target_id=user.id,
        after=user_snapshot(user),
        event="user.created",
    )
    session.commit()
    return user_out(user)


def get_user(session: Session, ctx: CallContext, user_id: uuid.UUID) -> UserOut:
    return user_out(get_tenant_user(session, tenant_reader(ctx), user_id))


def search_users(session: Session, ctx: CallContext, query: UserSearch) -> Page[UserOut]:
    tenant_id = tenant_reader(ctx)
    subtree_path = None
    if query.org_unit_id is not None:
        unit = get_unit(session, tenant_id, query.org_unit_id, "org_unit_not_found")
        subtree_path = unit.path if query.include_subtree else None
    rows, total = queries.search_users(
        session,
        tenant_id,
        q=query.q or None,
        org_unit_id=query.org_unit_id,
        subtree_path=subtree_path,
        role=query.role.value if query.role else None,
        active=query.active,
        limit=query.limit,
        offset=query.offset,
    )
    return Page[UserOut](
        items=[user_out(u) for u in rows], total=total, limit=query.limit, offset=query.offset
    )


def update_user(
    session: Session, ctx: CallContext, user_id: uuid.UUID, changes: UserUpdate
) -> UserOut:
    """Change a user's name, contact details, roles, or move them to another org unit."""
    if changes.roles is not None:
        new_roles = check_grantable(ctx.roles, changes.roles)
    tenant_id = require_tenant_admin(ctx)
    user = get_tenant_user(session, tenant_id, user_id)
    before = user_snapshot(user)

    if changes.full_name is not None:
        user.full_name = changes.full_name
    if changes.org_unit_id is not None and changes.org_unit_id != user.org_unit_id:
        get_unit(session, tenant_id, changes.org_unit_id, "org_unit_not_found")
        user.org_unit_id = changes.org_unit_id
    if changes.roles is not None:
        if user.id == ctx.user_id and Role.tenant_admin.value not in new_roles:
            raise Conflict(
                "cannot_demote_self", "a tenant administrator cannot drop their own role"
            )
        user.roles = new_roles
    for field in ("phone", "email"):
        if field in changes.model_fields_set:
            setattr(user, field, getattr(changes, field) or None)

    after = user_snapshot(user)
    old, new = changed(before, after)
    if not new:
        return user_out(user)
    user.updated_at = utcnow()
    action = "user.moved" if "org_unit_id" in new else "user.updated"
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action=action,
        target_type="user",
        target_id=user.id,
        before=old,
        after=new,
        event="user.updated",
        event_data={**after, "changed": sorted(new)},
    )
    session.commit()
    return user_out(user)


def deactivate_user(
    session: Session, ctx: CallContext, families: RefreshFamilies, user_id: uuid.UUID
) -> UserOut:
    """Deactivate a user and sign out every session of theirs (refresh-token families)."""
    tenant_id = require_tenant_admin(ctx)
    if user_id == ctx.user_id:
        raise Conflict(
            "cannot_deactivate_self", "a tenant administrator cannot deactivate themself"
        )
    user = get_tenant_user(session, tenant_id, user_id)
    if user.active:
        user.active = False
        user.updated_at = utcnow()
        record(
            session,
            ctx,
            tenant_id=tenant_id,
            action="user.deactivated",
            target_type="user",
            target_id=user.id,
            before={"active": True},
            after={"active": False},
            event="user.deactivated",
            event_data=user_snapshot(user),
        )
        session.commit()
    families.revoke_user(user.id)
    return user_out(user)
