"""Delegations (授权): a leader (厅领导 / 省政府领导) lets a secretary enter instructions on
the leader's behalf, for a time window; revocable; every step audited.

``check_delegation`` is what the documents service asks before accepting a
proxy instruction (代领导批示).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.vocabulary import Role, utcnow
from services.identity import queries
from services.identity.access import tenant_reader
from services.identity.models import Delegation
from services.identity.rules import check_delegation_window, is_leader
from services.identity.schemas import AsRole, DelegationCreate, DelegationOut
from services.identity.trail import record
from services.identity.views import delegation_out, delegation_snapshot

AS_ROLES = frozenset(AsRole)


def create_delegation(session: Session, ctx: CallContext, req: DelegationCreate) -> DelegationOut:
    tenant_id = tenant_reader(ctx)
    leader_id = ctx.require_user()
    if not is_leader(ctx.roles):
        raise Forbidden("leader_role_required", "only an office or government leader delegates")
    now = utcnow()
    starts_at, ends_at = check_delegation_window(req.starts_at, req.ends_at, now)
    if req.secretary_id == leader_id:
        raise InvalidInput("not_a_secretary", "a leader cannot delegate to themself")
    secretary = queries.user_by_id(session, tenant_id, req.secretary_id)
    if secretary is None:
        raise NotFound("user_not_found", "no such user in this tenant")
    if not secretary.active or Role.secretary.value not in secretary.roles:
        raise InvalidInput("not_a_secretary", "the delegate must be an active secretary (秘书)")
    delegation = Delegation(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        leader_id=leader_id,
        secretary_id=secretary.id,
        scope=req.scope,
        starts_at=starts_at,
        ends_at=ends_at,
        note=req.note,
        created_at=now,
    )
    session.add(delegation)
    session.flush()
    after = delegation_snapshot(delegation)
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action="delegation.created",
        target_type="delegation",
        target_id=delegation.id,
        after=after,
        event="delegation.created",
    )
    session.commit()
    return delegation_out(delegation, now)


def revoke_delegation(
    session: Session, ctx: CallContext, delegation_id: uuid.UUID
) -> DelegationOut:
    """Only the leader who granted it, or the tenant administrator, revokes; once."""
    tenant_id = tenant_reader(ctx)
    user_id = ctx.require_user()
    delegation = queries.delegation_by_id(session, tenant_id, delegation_id, for_update=True)
    if delegation is None:
        raise NotFound("delegation_not_found", "no such delegation in this tenant")
    if delegation.leader_id != user_id and Role.tenant_admin.value not in ctx.roles:
        raise Forbidden("not_delegation_owner", "only the granting leader or the tenant admin")
    if delegation.revoked_at is not None:
        raise Conflict("already_revoked", "this delegation was revoked before")
    now = utcnow()
    delegation.revoked_at = now
    delegation.revoked_by = user_id
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action="delegation.revoked",
        target_type="delegation",
        target_id=delegation.id,
        before={"revoked_at": None},
        after={"revoked_at": now.isoformat()},
        event="delegation.revoked",
        event_data=delegation_snapshot(delegation),
    )
    session.commit()
    return delegation_out(delegation, now)


def list_delegations(
    session: Session, ctx: CallContext, as_role: str | None
) -> list[DelegationOut]:
    tenant_id = tenant_reader(ctx)
    if as_role is not None and as_role not in AS_ROLES:
        raise InvalidInput("invalid_input", "as_role is 'leader', 'secretary' or omitted")
    now = utcnow()
    rows = queries.delegations_of(session, tenant_id, ctx.require_user(), as_role)
    return [delegation_out(d, now) for d in rows]


def check_delegation(
    session: Session,
    ctx: CallContext,
    leader_id: uuid.UUID,
    secretary_id: uuid.UUID,
    at: dt.datetime | None,
) -> DelegationOut | None:
    """The delegation from this leader to this secretary valid at ``at`` (now), if any."""
    tenant_id = tenant_reader(ctx)
    now = utcnow()
    valid = queries.delegations_valid_at(
        session, tenant_id, at or now, secretary_id=secretary_id, leader_id=leader_id
    )
    return delegation_out(valid[0], now) if valid else None
