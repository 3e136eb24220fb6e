"""The org tree of a tenant: units (单位), divisions (处室), sections (科室).

Stored as a materialised path of ids (``/root/…/unit/``): a subtree is one
prefix query on an index, and a move rewrites the subtree's paths in a single
UPDATE. Changes to the tree's shape are serialised per tenant with an advisory
lock so that two concurrent moves cannot build a cycle between them.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, NotFound
from services.common.vocabulary import utcnow
from services.identity import queries
from services.identity.access import require_tenant_admin, tenant_reader
from services.identity.models import OrgUnit
from services.identity.rules import (
    check_child_kind,
    check_move,
    check_org_depth,
    org_depth,
    org_path,
)
from services.identity.schemas import OrgUnitCreate, OrgUnitOut, OrgUnitUpdate
from services.identity.trail import record
from services.identity.views import changed, org_unit_out, org_unit_snapshot


def _lock_tree(session: Session, tenant_id: uuid.UUID) -> None:
    queries.advisory_lock(session, f"identity:org_tree:{tenant_id}")


def _name_taken() -> Conflict:
    return Conflict("org_unit_name_taken", "a sibling unit already has this name")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if "uq_org_units_code" in str(exc.orig):
            raise Conflict("org_unit_code_taken", "another unit has this code") from None
        raise _name_taken() from None


def get_unit(session: Session, tenant_id: uuid.UUID, unit_id: uuid.UUID, code: str) -> OrgUnit:
    unit = queries.org_unit(session, tenant_id, unit_id)
    if unit is None:
        raise NotFound(code, "no such org unit in this tenant")
    return unit


def create_org_unit(session: Session, ctx: CallContext, req: OrgUnitCreate) -> OrgUnitOut:
    tenant_id = require_tenant_admin(ctx)
    _lock_tree(session, tenant_id)
    parent = None
    if req.parent_id is not None:
        parent = get_unit(session, tenant_id, req.parent_id, "parent_not_found")
    check_child_kind(parent.kind if parent else None, req.kind)
    unit_id = uuid.uuid4()
    path = org_path(parent.path if parent else None, unit_id)
    check_org_depth(path)
    if queries.sibling_name_taken(session, tenant_id, req.parent_id, req.name):
        raise _name_taken()
    if req.code and queries.org_code_taken(session, tenant_id, req.code):
        raise Conflict("org_unit_code_taken", "another unit has this code")
    unit = OrgUnit(
        id=unit_id,
        tenant_id=tenant_id,
        name=req.name,
        kind=req.kind.value,
        code=req.code or None,
        parent_id=req.parent_id,
        path=path,
        depth=org_depth(path),
    )
    session.add(unit)
    _flush(session)
    after = org_unit_snapshot(unit)
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action="org_unit.created",
        target_type="org_unit",
        target_id=unit.id,
        after=after,
        event="org_unit.created",
    )
    session.commit()
    return org_unit_out(unit)


def get_org_unit(session: Session, ctx: CallContext, unit_id: uuid.UUID) -> OrgUnitOut:
    tenant_id = tenant_reader(ctx)
    return org_unit_out(get_unit(session, tenant_id, unit_id, "org_unit_not_found"))


def list_org_units(
    session: Session, ctx: CallContext, root_id: uuid.UUID | None
) -> list[OrgUnitOut]:
    tenant_id = tenant_reader(ctx)
    path = None
    if root_id is not None:
        path = get_unit(session, tenant_id, root_id, "org_unit_not_found").path
    return [org_unit_out(u) for u in queries.org_subtree(session, tenant_id, path)]


def _check_activation(
    session: Session,
    tenant_id: uuid.UUID,
    unit: OrgUnit,
    active: bool,
    parent_id: uuid.UUID | None,
) -> None:
    """A unit is deactivated (撤销) only when nothing active is under it, and reactivated
    only under an active parent."""
    if active:
        if (
            parent_id is not None
            and not get_unit(session, tenant_id, parent_id, "parent_not_found").active
        ):
            raise Conflict("parent_inactive", "reactivate the unit above it first")
        return
    units, users = queries.active_under(session, tenant_id, unit.id)
    if units or users:
        raise Conflict(
            "org_unit_in_use",
            f"{units} active unit(s) and {users} active user(s) are still in this unit:"
            " move or deactivate them first",
        )


def update_org_unit(
    session: Session, ctx: CallContext, unit_id: uuid.UUID, changes: OrgUnitUpdate
) -> OrgUnitOut:
    """Rename and/or move a unit (with its whole subtree) under another parent, and/or
    deactivate (撤销) or reactivate it."""
    tenant_id = require_tenant_admin(ctx)
    _lock_tree(session, tenant_id)
    unit = get_unit(session, tenant_id, unit_id, "org_unit_not_found")
    before = org_unit_snapshot(unit)
    new_name = changes.name if changes.name is not None else unit.name
    new_parent_id = unit.parent_id

    if changes.parent_id is not None and changes.parent_id != unit.parent_id:
        parent = get_unit(session, tenant_id, changes.parent_id, "parent_not_found")
        check_move(unit.path, parent.path)
        check_child_kind(parent.kind, unit.kind)
        new_path = org_path(parent.path, unit.id)
        check_org_depth(new_path, queries.org_subtree_height(session, tenant_id, unit))
        new_parent_id = parent.id
    else:
        new_path = unit.path

    if (new_name, new_parent_id) != (unit.name, unit.parent_id) and queries.sibling_name_taken(
        session, tenant_id, new_parent_id, new_name, exclude_id=unit.id
    ):
        raise _name_taken()

    new_active = unit.active if changes.active is None else changes.active
    if new_active != unit.active:
        _check_activation(session, tenant_id, unit, new_active, new_parent_id)

    if (new_name, new_path, new_active) == (unit.name, unit.path, unit.active):
        return org_unit_out(unit)
    if new_path != unit.path:
        queries.move_subtree(
            session, tenant_id, unit.path, new_path, org_depth(new_path) - unit.depth
        )
        session.expire(unit)  # path and depth were rewritten by the UPDATE
    unit.name = new_name
    unit.parent_id = new_parent_id
    unit.active = new_active
    unit.updated_at = utcnow()
    _flush(session)
    session.refresh(unit)
    after = org_unit_snapshot(unit)
    old, new = changed(before, after)
    moved = "parent_id" in new
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action=(
            "org_unit.moved"
            if moved
            else "org_unit.deactivated"
            if new.get("active") is False
            else "org_unit.reactivated"
            if new.get("active") is True
            else "org_unit.updated"
        ),
        target_type="org_unit",
        target_id=unit.id,
        before=old,
        after=new,
        event="org_unit.updated",
        event_data={**after, "moved": moved},
    )
    session.commit()
    return org_unit_out(unit)
