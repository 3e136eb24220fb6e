"""Rows → contract models (schemas.py), and the snapshots written to the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.common.vocabulary import OrgUnitKind, Role
from services.identity.models import Delegation, OrgUnit, Tenant, User
from services.identity.rules import delegation_valid_at
from services.identity.schemas import DelegationOut, OrgUnitOut, TenantOut, UserOut


def tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        code=tenant.code,
        name=tenant.name,
        parent_id=tenant.parent_id,
        path=tenant.path,
        created_at=tenant.created_at,
    )


def org_unit_out(unit: OrgUnit) -> OrgUnitOut:
    return OrgUnitOut(
        id=unit.id,
        tenant_id=unit.tenant_id,
        name=unit.name,
        kind=OrgUnitKind(unit.kind),
        code=unit.code,
        parent_id=unit.parent_id,
        path=unit.path,
        depth=unit.depth,
        active=unit.active,
    )


def user_fields(user: User) -> dict[str, Any]:
    """The public fields of a user (never the password hash)."""
    return {
        "id": user.id,
        "tenant_id": user.tenant_id,
        "username": user.username,
        "full_name": user.full_name,
        "org_unit_id": user.org_unit_id,
        "roles": [Role(r) for r in sorted(user.roles)],
        "phone": user.phone,
        "email": user.email,
        "active": user.active,
        "created_at": user.created_at,
    }


def user_out(user: User) -> UserOut:
    return UserOut(**user_fields(user))


def delegation_out(delegation: Delegation, now: dt.datetime) -> DelegationOut:
    return DelegationOut(
        id=delegation.id,
        tenant_id=delegation.tenant_id,
        leader_id=delegation.leader_id,
        secretary_id=delegation.secretary_id,
        scope=delegation.scope,
        starts_at=delegation.starts_at,
        ends_at=delegation.ends_at,
        revoked_at=delegation.revoked_at,
        note=delegation.note,
        active=delegation_valid_at(
            delegation.starts_at, delegation.ends_at, delegation.revoked_at, now
        ),
    )


# -- audit snapshots (JSON, what changed and what it became) -------------------------------------


def tenant_snapshot(tenant: Tenant) -> dict[str, Any]:
    return tenant_out(tenant).model_dump(mode="json")


def org_unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return org_unit_out(unit).model_dump(mode="json")


def user_snapshot(user: User) -> dict[str, Any]:
    return user_out(user).model_dump(mode="json", exclude={"created_at"})


def delegation_snapshot(delegation: Delegation) -> dict[str, Any]:
    return delegation_out(delegation, delegation.created_at).model_dump(
        mode="json", exclude={"active"}
    )


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, from each side."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
