"""The caller's identity, carried in nameko context data.

The gateway puts it into the AMQP headers of every RPC (``nameko.<key>``);
nameko hands it to the worker as ``worker_ctx.context_data`` and forwards it on
every further RPC and event the worker makes. Services read who is calling
from here, never from a method argument a client could forge.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from nameko.extensions import DependencyProvider

from services.common.errors import Forbidden, Unauthenticated
from services.common.vocabulary import Role

# context-data keys (sent as AMQP headers "nameko.<key>")
TENANT_ID = "tenant_id"
TENANT_CODE = "tenant_code"
USER_ID = "user_id"
USERNAME = "username"
ROLES = "roles"
ORG_UNIT_ID = "org_unit_id"
REQUEST_ID = "request_id"
CLIENT_IP = "client_ip"

#: the longest request id and client address stored (the trails' columns: request_id
#: varchar(100), client_ip varchar(64)); the gateway accepts no longer request id
REQUEST_ID_MAX = 100
CLIENT_IP_MAX = 64

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def stored_text(value: Any, limit: int) -> str | None:
    """A context field as it may be stored: text without control characters (a NUL
    cannot be stored at all) and lone surrogates, cut to ``limit`` characters; None
    when nothing is left."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value)).encode("utf-8", "replace").decode("utf-8")
    text = text.strip()[:limit]
    return text or None


@dataclass(frozen=True)
class CallContext:
    """Who is calling, on behalf of which tenant, under which request id."""

    tenant_id: uuid.UUID | None = None
    tenant_code: str | None = None
    user_id: uuid.UUID | None = None
    username: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    org_unit_id: uuid.UUID | None = None
    request_id: str | None = None
    client_ip: str | None = None

    # -- construction -------------------------------------------------------
    @classmethod
    def from_context_data(cls, data: dict[str, Any]) -> CallContext:
        def _uuid(key: str) -> uuid.UUID | None:
            raw = data.get(key)
            if not raw:
                return None
            try:
                return uuid.UUID(str(raw))
            except ValueError:
                return None

        raw_roles = data.get(ROLES) or ""
        if isinstance(raw_roles, list | tuple):
            roles = frozenset(str(r) for r in raw_roles if r)
        else:
            roles = frozenset(r for r in str(raw_roles).split(",") if r)
        return cls(
            tenant_id=_uuid(TENANT_ID),
            tenant_code=data.get(TENANT_CODE) or None,
            user_id=_uuid(USER_ID),
            username=data.get(USERNAME) or None,
            roles=roles,
            org_unit_id=_uuid(ORG_UNIT_ID),
            # whoever sent them (the gateway bounds them, a script or another producer
            # may not): never longer than what the trails store
            request_id=stored_text(data.get(REQUEST_ID), REQUEST_ID_MAX),
            client_ip=stored_text(data.get(CLIENT_IP), CLIENT_IP_MAX),
        )

    def to_context_data(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.tenant_id:
            out[TENANT_ID] = str(self.tenant_id)
        if self.tenant_code:
            out[TENANT_CODE] = self.tenant_code
        if self.user_id:
            out[USER_ID] = str(self.user_id)
        if self.username:
            out[USERNAME] = self.username
        if self.roles:
            out[ROLES] = ",".join(sorted(self.roles))
        if self.org_unit_id:
            out[ORG_UNIT_ID] = str(self.org_unit_id)
        if self.request_id:
            out[REQUEST_ID] = self.request_id
        if self.client_ip:
            out[CLIENT_IP] = self.client_ip
        return out

    # -- checks ---------------------------------------------------------------
    @property
    def is_platform_admin(self) -> bool:
        return Role.platform_admin in self.roles

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def require_user(self) -> uuid.UUID:
        if self.user_id is None:
            raise Unauthenticated("not_authenticated", "this call needs a signed-in user")
        return self.user_id

    def require_tenant(self) -> uuid.UUID:
        if self.tenant_id is None:
            raise Forbidden("tenant_required", "this call needs a tenant user")
        return self.tenant_id

    def require_any_role(self, *roles: str) -> None:
        self.require_user()
        if not self.roles.intersection(roles):
            raise Forbidden("role_required", "needs one of the roles: " + ", ".join(roles))


class Caller(DependencyProvider):
    """Injects the :class:`CallContext` of the current worker."""

    def get_dependency(self, worker_ctx: Any) -> CallContext:
        return CallContext.from_context_data(worker_ctx.context_data or {})
