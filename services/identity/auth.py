"""Sign-in (登录), token refresh, sign-out, the caller's own profile and password.

Login and refresh run before the caller has a tenant in the call context, so
their look-ups bypass row-level security (``scope_session(bypass_rls=True)``);
what they write is filed under the user's own tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import InvalidInput, NotFound, TooManyRequests, Unauthenticated
from services.common.settings import Settings
from services.common.vocabulary import utcnow
from services.identity import passwords, queries
from services.identity.models import Tenant, User
from services.identity.schemas import LoginRequest, MeOut, PasswordChange, TokenPair
from services.identity.throttle import LoginThrottle
from services.identity.tokens import (
    AccessClaims,
    InvalidRefreshToken,
    KeyRing,
    RefreshFamilies,
    RefreshToken,
    RotationResult,
    access_token_payload,
    parse_refresh_token,
    sign_access_token,
)
from services.identity.trail import record
from services.identity.views import delegation_out, user_fields


@dataclass
class Runtime:
    """What the auth flows need beside the database session."""

    settings: Settings
    keys: KeyRing
    throttle: LoginThrottle
    families: RefreshFamilies


INVALID_CREDENTIALS = "invalid_credentials"
INVALID_REFRESH = "invalid_refresh_token"


def _token_pair(rt: Runtime, user: User, tenant: Tenant | None, refresh: RefreshToken) -> TokenPair:
    claims = AccessClaims(
        user_id=user.id,
        tenant_id=user.tenant_id,
        tenant_code=tenant.code if tenant else None,
        username=user.username,
        roles=list(user.roles),
        org_unit_id=user.org_unit_id,
    )
    payload = access_token_payload(
        claims, issuer=rt.settings.jwt_issuer, ttl=rt.settings.access_token_ttl
    )
    return TokenPair(
        access_token=sign_access_token(rt.keys, payload),
        refresh_token=str(refresh),
        expires_in=rt.settings.access_token_ttl,
    )


def login(session: Session, rt: Runtime, ctx: CallContext, req: LoginRequest) -> TokenPair:
    """Check the throttle, then the password; the same answer for every kind of failure."""
    scope_session(session, bypass_rls=True)
    tenant = queries.tenant_by_code(session, req.tenant) if req.tenant else None
    chain = tenant.id if tenant else None
    attempt = {"tenant": req.tenant, "username": req.username}

    state = rt.throttle.state(req.tenant, req.username, ctx.client_ip)
    if state.blocked_by:
        record(
            session,
            ctx,
            tenant_id=chain,
            action="login.throttled",
            target_type="user",
            after={**attempt, "blocked_by": state.blocked_by},
        )
        session.commit()
        raise TooManyRequests("login_throttled", "too many failed logins; try again later")

    user = None
    if req.tenant is None or tenant is not None:
        user = queries.user_by_username(session, chain, req.username)
    password_ok = passwords.verify_password(
        user.password_hash if user else passwords.DUMMY_HASH, req.password
    )
    tenant_ok = tenant is None or tenant.active
    if user is None or not password_ok or not user.active or not tenant_ok:
        if req.tenant is not None and tenant is None:
            reason = "unknown_tenant"
        elif user is None:
            reason = "unknown_user"
        elif not password_ok:
            reason = "wrong_password"
        else:
            reason = "inactive"
        rt.throttle.record_failure(req.tenant, req.username, ctx.client_ip)
        record(
            session,
            ctx,
            tenant_id=chain,
            action="login.failed",
            target_type="user",
            target_id=user.id if user else None,
            after={**attempt, "reason": reason},
        )
        session.commit()
        raise Unauthenticated(INVALID_CREDENTIALS, "wrong tenant, username or password")

    rt.throttle.clear_account(req.tenant, req.username)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(req.password)
    record(
        session,
        ctx,
        tenant_id=chain,
        actor_id=user.id,
        action="login.succeeded",
        target_type="user",
        target_id=user.id,
        after=attempt,
        event="user.logged_in",
        event_data={
            "user_id": str(user.id),
            "tenant_id": str(chain) if chain else None,
            "org_unit_id": str(user.org_unit_id) if user.org_unit_id else None,
            "at": utcnow().isoformat(),
        },
    )
    session.commit()
    return _token_pair(rt, user, tenant, rt.families.start(user.id, user.tenant_id))


def _parse_refresh(token: str) -> RefreshToken:
    try:
        return parse_refresh_token(token)
    except InvalidRefreshToken:
        raise Unauthenticated(INVALID_REFRESH, "invalid or expired refresh token") from None


def refresh(session: Session, rt: Runtime, ctx: CallContext, token: str) -> TokenPair:
    """Rotate: the presented token must be its family's current one, and is replaced."""
    presented = _parse_refresh(token)
    family = rt.families.get(presented.family_id)
    if family is None:
        raise Unauthenticated(INVALID_REFRESH, "invalid or expired refresh token")
    scope_session(session, bypass_rls=True)
    if not family.holds(presented):
        rt.families.revoke(family.family_id, family.user_id)
        _record_reuse(session, ctx, family.tenant_id, family.user_id, family.family_id)
        raise Unauthenticated("refresh_token_reused", "refresh token reused; sign in again")

    user = queries.user_by_id(session, family.tenant_id, family.user_id)
    tenant = queries.tenant_by_id(session, family.tenant_id) if family.tenant_id else None
    if user is None or not user.active or (tenant is not None and not tenant.active):
        rt.families.revoke(family.family_id, family.user_id)
        raise Unauthenticated(INVALID_REFRESH, "invalid or expired refresh token")

    outcome, successor = rt.families.rotate(presented, user.id)
    if outcome == RotationResult.REUSED:  # another refresh of the same token won the race
        _record_reuse(session, ctx, family.tenant_id, family.user_id, family.family_id)
        raise Unauthenticated("refresh_token_reused", "refresh token reused; sign in again")
    if outcome != RotationResult.ROTATED:
        raise Unauthenticated(INVALID_REFRESH, "invalid or expired refresh token")
    return _token_pair(rt, user, tenant, successor)


def _record_reuse(
    session: Session,
    ctx: CallContext,
    tenant_id: uuid.UUID | None,
    user_id: uuid.UUID,
    family_id: str,
) -> None:
    record(
        session,
        ctx,
        tenant_id=tenant_id,
        action="refresh_token.reused",
        target_type="user",
        target_id=user_id,
        after={"family": family_id, "revoked": True},
    )
    session.commit()


def logout(session: Session, rt: Runtime, ctx: CallContext, token: str) -> dict[str, Any]:
    """Revoke the family of the presented token (any token of it; unknown ones are a no-op)."""
    presented = _parse_refresh(token)
    family = rt.families.get(presented.family_id)
    if family is not None:
        rt.families.revoke(family.family_id, family.user_id)
        scope_session(session, bypass_rls=True)
        record(
            session,
            ctx,
            tenant_id=family.tenant_id,
            actor_id=family.user_id,
            action="logout",
            target_type="user",
            target_id=family.user_id,
            after={"family": family.family_id},
        )
        session.commit()
    return {"revoked": True}


# -- the caller's own account ------------------------------------------------------------------


def _own_user(session: Session, ctx: CallContext) -> User:
    user_id = ctx.require_user()
    if ctx.tenant_id is None:  # the platform administrator's row has no tenant
        scope_session(session, bypass_rls=True)
    user = queries.user_by_id(session, ctx.tenant_id, user_id)
    if user is None:
        raise NotFound("user_not_found", "the signed-in user no longer exists")
    return user


def me(session: Session, ctx: CallContext) -> MeOut:
    user = _own_user(session, ctx)
    tenant = queries.tenant_by_id(session, user.tenant_id) if user.tenant_id else None
    unit = (
        queries.org_unit(session, user.tenant_id, user.org_unit_id)
        if user.tenant_id and user.org_unit_id
        else None
    )
    now = utcnow()
    received = (
        queries.delegations_valid_at(session, user.tenant_id, now, secretary_id=user.id)
        if user.tenant_id
        else []
    )
    return MeOut(
        **user_fields(user),
        tenant_code=tenant.code if tenant else None,
        tenant_name=tenant.name if tenant else None,
        tenant_parent_id=tenant.parent_id if tenant else None,
        org_unit_name=unit.name if unit else None,
        delegations_received=[delegation_out(d, now) for d in received],
    )


def change_password(
    session: Session, rt: Runtime, ctx: CallContext, req: PasswordChange
) -> dict[str, Any]:
    """Check the current password (throttled like a login), set the new one and sign out
    every session of the user (their refresh-token families)."""
    user = _own_user(session, ctx)
    tenant = queries.tenant_by_id(session, user.tenant_id) if user.tenant_id else None
    tenant_code = tenant.code if tenant else None
    if rt.throttle.state(tenant_code, user.username, ctx.client_ip).blocked_by:
        raise TooManyRequests("login_throttled", "too many failed attempts; try again later")
    if not passwords.verify_password(user.password_hash, req.current_password):
        rt.throttle.record_failure(tenant_code, user.username, ctx.client_ip)
        record(
            session,
            ctx,
            tenant_id=user.tenant_id,
            action="password.change_failed",
            target_type="user",
            target_id=user.id,
        )
        session.commit()
        raise InvalidInput("current_password_wrong", "the current password is not right")
    if req.new_password == req.current_password:
        raise InvalidInput("password_unchanged", "the new password must differ from the current")
    user.password_hash = passwords.hash_password(req.new_password)
    user.password_changed_at = utcnow()
    record(
        session,
        ctx,
        tenant_id=user.tenant_id,
        action="user.password_changed",
        target_type="user",
        target_id=user.id,
        event="user.password_changed",
        event_data={"user_id": str(user.id)},
    )
    session.commit()
    rt.families.revoke_user(user.id)
    return {"changed": True}
