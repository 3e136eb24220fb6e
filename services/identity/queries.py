"""Every database query of the identity service.

Row-level security already limits what a session sees to its tenant; the
queries filter on the tenant as well, so that they say what they mean and
stay right in a session that bypasses row-level security.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, text, update
from sqlalchemy.orm import Session

from services.identity.models import Delegation, OrgUnit, Tenant, User
from services.identity.rules import TENANT_PATH_SEPARATOR, like_pattern
from services.identity.schemas import AsRole


def advisory_lock(session: Session, key: str) -> None:
    """Serialise with other transactions that take the same key, until this one ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


# -- tenants ---------------------------------------------------------------------------------------


def tenant_by_code(session: Session, code: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.code == code)).one_or_none()


def tenant_by_id(session: Session, tenant_id: uuid.UUID) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def tenants_within(session: Session, path: str | None) -> list[Tenant]:
    """All tenants (``path`` None), or the tenant at ``path`` and its descendants; by path."""
    stmt = select(Tenant).order_by(Tenant.path)
    if path is not None:
        stmt = stmt.where(
            or_(Tenant.path == path, Tenant.path.startswith(path + TENANT_PATH_SEPARATOR))
        )
    return list(session.scalars(stmt).all())


# -- org units ----------------------------------------------------------------------------------------


def org_unit(session: Session, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> OrgUnit | None:
    return session.scalars(
        select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.id == unit_id)
    ).one_or_none()


def org_subtree(session: Session, tenant_id: uuid.UUID, path: str | None) -> list[OrgUnit]:
    """The unit at ``path`` and everything below it (the whole tenant if None), by path."""
    stmt = select(OrgUnit).where(OrgUnit.tenant_id == tenant_id).order_by(OrgUnit.path)
    if path is not None:
        stmt = stmt.where(OrgUnit.path.startswith(path))
    return list(session.scalars(stmt).all())


def org_subtree_height(session: Session, tenant_id: uuid.UUID, unit: OrgUnit) -> int:
    """How many levels the subtree of ``unit`` has below it."""
    deepest = session.execute(
        select(func.max(OrgUnit.depth)).where(
            OrgUnit.tenant_id == tenant_id, OrgUnit.path.startswith(unit.path)
        )
    ).scalar_one()
    return int(deepest or unit.depth) - unit.depth


def sibling_name_taken(
    session: Session,
    tenant_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    name: str,
    exclude_id: uuid.UUID | None = None,
) -> bool:
    parent_filter = (
        OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id
    )
    stmt = select(OrgUnit.id).where(
        OrgUnit.tenant_id == tenant_id, parent_filter, OrgUnit.name == name
    )
    if exclude_id is not None:
        stmt = stmt.where(OrgUnit.id != exclude_id)
    return session.execute(stmt.limit(1)).first() is not None


def org_code_taken(session: Session, tenant_id: uuid.UUID, code: str) -> bool:
    stmt = select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id, OrgUnit.code == code)
    return session.execute(stmt.limit(1)).first() is not None


def move_subtree(
    session: Session, tenant_id: uuid.UUID, old_prefix: str, new_prefix: str, depth_delta: int
) -> int:
    """Rewrite the paths and depths of a whole subtree in one statement."""
    result = session.execute(
        update(OrgUnit)
        .where(OrgUnit.tenant_id == tenant_id, OrgUnit.path.startswith(old_prefix))
        .values(
            path=new_prefix + func.substr(OrgUnit.path, len(old_prefix) + 1),
            depth=OrgUnit.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- users ----------------------------------------------------------------------------------------------


def _tenant_filter(column: Any, tenant_id: uuid.UUID | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if tenant_id is None else column == tenant_id
    return result


def user_by_id(session: Session, tenant_id: uuid.UUID | None, user_id: uuid.UUID) -> User | None:
    return session.scalars(
        select(User).where(_tenant_filter(User.tenant_id, tenant_id), User.id == user_id)
    ).one_or_none()


def user_by_username(session: Session, tenant_id: uuid.UUID | None, username: str) -> User | None:
    return session.scalars(
        select(User).where(_tenant_filter(User.tenant_id, tenant_id), User.username == username)
    ).one_or_none()


def search_users(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    org_unit_id: uuid.UUID | None,
    subtree_path: str | None,
    role: str | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    """Users of a tenant matching every given filter, by username; and how many match."""
    conditions: list[ColumnElement[bool]] = [User.tenant_id == tenant_id]
    if q:
        pattern = like_pattern(q)
        conditions.append(
            or_(
                User.full_name.ilike(pattern, escape="\\"),
                User.username.ilike(pattern, escape="\\"),
            )
        )
    if subtree_path is not None:
        units_below = select(OrgUnit.id).where(
            OrgUnit.tenant_id == tenant_id, OrgUnit.path.startswith(subtree_path)
        )
        conditions.append(User.org_unit_id.in_(units_below))
    elif org_unit_id is not None:
        conditions.append(User.org_unit_id == org_unit_id)
    if role is not None:
        conditions.append(User.roles.contains([role]))
    if active is not None:
        conditions.append(User.active.is_(active))
    total = session.execute(select(func.count()).select_from(User).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(User).where(*conditions).order_by(User.username, User.id).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


# -- delegations (授权) ----------------------------------------------------------------------------------


def delegation_by_id(
    session: Session, tenant_id: uuid.UUID, delegation_id: uuid.UUID, *, for_update: bool = False
) -> Delegation | None:
    stmt = select(Delegation).where(
        Delegation.tenant_id == tenant_id, Delegation.id == delegation_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def delegations_of(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, as_role: str | None
) -> list[Delegation]:
    """Delegations granted by (``leader``), to (``secretary``) or both (None); newest first."""
    if as_role == AsRole.leader:
        who: ColumnElement[bool] = Delegation.leader_id == user_id
    elif as_role == AsRole.secretary:
        who = Delegation.secretary_id == user_id
    else:
        who = or_(Delegation.leader_id == user_id, Delegation.secretary_id == user_id)
    return list(
        session.scalars(
            select(Delegation)
            .where(Delegation.tenant_id == tenant_id, who)
            .order_by(Delegation.created_at.desc(), Delegation.id)
        ).all()
    )


def delegations_valid_at(
    session: Session,
    tenant_id: uuid.UUID,
    at: dt.datetime,
    *,
    secretary_id: uuid.UUID,
    leader_id: uuid.UUID | None = None,
) -> list[Delegation]:
    """Delegations to a secretary (from one leader, or any) valid at ``at``; latest ending first."""
    stmt = select(Delegation).where(
        Delegation.tenant_id == tenant_id,
        Delegation.secretary_id == secretary_id,
        Delegation.starts_at <= at,
        Delegation.ends_at > at,
        or_(Delegation.revoked_at.is_(None), Delegation.revoked_at > at),
    )
    if leader_id is not None:
        stmt = stmt.where(Delegation.leader_id == leader_id)
    return list(session.scalars(stmt.order_by(Delegation.ends_at.desc())).all())


def active_under(session: Session, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> tuple[int, int]:
    """How many active units and active users are directly in ``unit_id``."""
    units = session.scalar(
        select(func.count())
        .select_from(OrgUnit)
        .where(
            OrgUnit.tenant_id == tenant_id,
            OrgUnit.parent_id == unit_id,
            OrgUnit.active.is_(True),
        )
    )
    users = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.tenant_id == tenant_id, User.org_unit_id == unit_id, User.active.is_(True))
    )
    return int(units or 0), int(users or 0)
