"""nameko entrypoints of the identity service (tenants, org tree, users, roles,
delegations (授权), login and tokens, the audit trail).

Entrypoints are thin: they validate the arguments against the contract
(schemas.py), call the domain modules with the caller's context (from the nameko
call context, never from an argument) and return JSON-ready dicts.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id, parse_instant, parse_over
from services.common.observability import Observability
from services.identity import (
    auditing,
    auth,
    delegations,
    org_units,
    tenants,
    users,
)
from services.identity.dependencies import IdentityRuntime
from services.identity.schemas import (
    AuditFilter,
    DelegationCreate,
    LoginRequest,
    OrgUnitCreate,
    OrgUnitUpdate,
    PasswordChange,
    RefreshRequest,
    TenantCreate,
    UserCreate,
    UserSearch,
    UserUpdate,
)

JSON = dict[str, Any]


class IdentityService(CommonEntrypoints):
    name = "identity"

    db: Session = DatabaseSession("identity")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    runtime: auth.Runtime = IdentityRuntime()  # type: ignore[assignment]

    # -- keys and sign-in ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def jwks(self) -> JSON:
        """Public keys (JWK set, OKP/Ed25519) that verify access tokens."""
        return self.runtime.keys.jwks()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, username: Any, password: Any, tenant: Any = None) -> JSON:
        req = parse(LoginRequest, {"tenant": tenant, "username": username, "password": password})
        return auth.login(self.db, self.runtime, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, refresh_token: Any) -> JSON:
        req = parse(RefreshRequest, {"refresh_token": refresh_token})
        return auth.refresh(self.db, self.runtime, self.ctx, req.refresh_token).model_dump(
            mode="json"
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, refresh_token: Any) -> JSON:
        req = parse(RefreshRequest, {"refresh_token": refresh_token})
        return auth.logout(self.db, self.runtime, self.ctx, req.refresh_token)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def me(self) -> JSON:
        return auth.me(self.db, self.ctx).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def change_password(self, current_password: Any, new_password: Any) -> JSON:
        req = parse(
            PasswordChange, {"current_password": current_password, "new_password": new_password}
        )
        return auth.change_password(self.db, self.runtime, self.ctx, req)

    # -- tenants -------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_tenant(self, tenant: Any) -> JSON:
        req = parse(TenantCreate, tenant)
        return tenants.create_tenant(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_tenants(self) -> list[JSON]:
        return [t.model_dump(mode="json") for t in tenants.list_tenants(self.db, self.ctx)]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_tenant(self, tenant_id: Any) -> JSON:
        tid = parse_id(tenant_id, "tenant_id")
        return tenants.get_tenant(self.db, self.ctx, tid).model_dump(mode="json")

    # -- org units --------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_org_unit(self, unit: Any) -> JSON:
        req = parse(OrgUnitCreate, unit)
        return org_units.create_org_unit(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_org_unit(self, unit_id: Any) -> JSON:
        uid = parse_id(unit_id, "unit_id")
        return org_units.get_org_unit(self.db, self.ctx, uid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_org_unit(self, unit_id: Any, changes: Any) -> JSON:
        uid = parse_id(unit_id, "unit_id")
        req = parse(OrgUnitUpdate, changes)
        return org_units.update_org_unit(self.db, self.ctx, uid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_org_units(self, root_id: Any = None) -> list[JSON]:
        rid = parse_id(root_id, "root_id") if root_id is not None else None
        units = org_units.list_org_units(self.db, self.ctx, rid)
        return [u.model_dump(mode="json") for u in units]

    # -- users ---------------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_user(self, user: Any) -> JSON:
        req = parse(UserCreate, user)
        return users.create_user(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id: Any) -> JSON:
        uid = parse_id(user_id, "user_id")
        return users.get_user(self.db, self.ctx, uid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def search_users(self, query: Any = None) -> JSON:
        req = parse(UserSearch, query)
        return users.search_users(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_user(self, user_id: Any, changes: Any) -> JSON:
        uid = parse_id(user_id, "user_id")
        req = parse(UserUpdate, changes)
        return users.update_user(self.db, self.ctx, uid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def deactivate_user(self, user_id: Any) -> JSON:
        uid = parse_id(user_id, "user_id")
        out = users.deactivate_user(self.db, self.ctx, self.runtime.families, uid)
        return out.model_dump(mode="json")

    # -- delegations (授权) ------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_delegation(self, delegation: Any) -> JSON:
        req = parse(DelegationCreate, delegation)
        return delegations.create_delegation(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def revoke_delegation(self, delegation_id: Any) -> JSON:
        did = parse_id(delegation_id, "delegation_id")
        return delegations.revoke_delegation(self.db, self.ctx, did).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_delegations(self, as_role: Any = None) -> list[JSON]:
        found = delegations.list_delegations(self.db, self.ctx, as_role)
        return [d.model_dump(mode="json") for d in found]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_delegation(self, leader_id: Any, secretary_id: Any, at: Any = None) -> JSON | None:
        found = delegations.check_delegation(
            self.db,
            self.ctx,
            parse_id(leader_id, "leader_id"),
            parse_id(secretary_id, "secretary_id"),
            parse_instant(at) if at is not None else None,
        )
        return found.model_dump(mode="json") if found else None

    # -- audit trail (全程留痕) -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_audit(self, limit: Any = 50, offset: Any = 0, query: Any = None) -> JSON:
        """The tenant's identity trail, newest first (``query``: AuditFilter)."""
        req = parse_over(AuditFilter, query, limit=limit, offset=offset)
        return auditing.list_audit(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def verify_audit_chain(self) -> JSON:
        return auditing.verify_audit_chain(self.db, self.ctx)


SERVICE = IdentityService
