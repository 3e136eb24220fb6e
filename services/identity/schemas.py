"""The contract of the identity service: pydantic models of its RPC methods.

Shared by the service (validation of what arrives) and the gateway (request and
response bodies). Imports nothing but pydantic and the shared vocabulary
(``services.common.vocabulary``), so the gateway can use it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.common.text import TEXT_CHECK, Text
from services.common.vocabulary import OrgUnitKind, Role, Strict

# A unit may contain units and divisions; a division sections; a section sections.
ALLOWED_CHILD_KINDS: dict[OrgUnitKind, frozenset[OrgUnitKind]] = {
    OrgUnitKind.unit: frozenset({OrgUnitKind.unit, OrgUnitKind.division}),
    OrgUnitKind.division: frozenset({OrgUnitKind.section}),
    OrgUnitKind.section: frozenset({OrgUnitKind.section}),
}

_TENANT_CODE_RE = re.compile(r"^[a-z][a-z0-9]{0,15}(-[a-z0-9]{1,16}){0,4}$")


def _tenant_code(value: str) -> str:
    if not _TENANT_CODE_RE.match(value):
        raise ValueError("tenant code: lower-case letters and digits in parts joined by '-'")
    return value


TenantCode = Annotated[
    Text, StringConstraints(min_length=2, max_length=64), AfterValidator(_tenant_code)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TEXT_CHECK
]
Username = Annotated[
    Text,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256), TEXT_CHECK]


T = TypeVar("T")


# -- auth ---------------------------------------------------------------------------------


class LoginRequest(Strict):
    tenant: TenantCode | None = Field(
        default=None, description="tenant code (omit for the platform administrator)"
    )
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=256), TEXT_CHECK]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"tenant": "gz", "username": "wenshu1", "password": "…"}]},
    )


class RefreshRequest(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=512), TEXT_CHECK]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="seconds until the access token expires")


# -- tenants ------------------------------------------------------------------------------


class TenantAdminSpec(Strict):
    username: Username
    full_name: Name
    password: Password


class TenantCreate(Strict):
    code: TenantCode
    name: Name
    parent_code: TenantCode | None = Field(default=None, description="parent tenant's code")
    admin: TenantAdminSpec

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "gz-gy",
                    "name": "贵阳市",
                    "parent_code": "gz",
                    "admin": {"username": "gy-admin", "full_name": "贵阳管理员", "password": "…"},
                }
            ]
        },
    )


class TenantOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    parent_id: uuid.UUID | None
    path: str = Field(description="materialised path of tenant codes, e.g. gz/gz-gy")
    created_at: dt.datetime


# -- org units ----------------------------------------------------------------------------


class OrgUnitCreate(Strict):
    name: Name
    kind: OrgUnitKind
    parent_id: uuid.UUID | None = None
    code: (
        Annotated[str, StringConstraints(max_length=32, pattern=r"^[A-Za-z0-9_\-]*$"), TEXT_CHECK]
        | None
    ) = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "文书处", "kind": "division", "parent_id": "…"}]},
    )


class OrgUnitUpdate(Strict):
    name: Name | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="move under this unit")
    active: bool | None = Field(
        default=None,
        description=(
            "false: deactivate (撤销) — refused with 409 org_unit_in_use while active units "
            "or active users are under it; true: reactivate (its parent must be active)"
        ),
    )


class OrgUnitOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    kind: OrgUnitKind
    code: str | None
    parent_id: uuid.UUID | None
    path: str = Field(description="materialised path of ids from the root")
    depth: int
    active: bool


# -- users --------------------------------------------------------------------------------


class UserCreate(Strict):
    username: Username
    full_name: Name
    password: Password
    org_unit_id: uuid.UUID
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    phone: (
        Annotated[str, StringConstraints(max_length=32, pattern=r"^[0-9+\- ]*$"), TEXT_CHECK] | None
    ) = None
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), TEXT_CHECK]
        | None
    ) = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "wenshu1",
                    "full_name": "张文书",
                    "password": "…",
                    "org_unit_id": "…",
                    "roles": ["registrar"],
                }
            ]
        },
    )


class UserUpdate(Strict):
    full_name: Name | None = None
    org_unit_id: uuid.UUID | None = Field(default=None, description="move to this org unit")
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=len(Role))
    phone: (
        Annotated[str, StringConstraints(max_length=32, pattern=r"^[0-9+\- ]*$"), TEXT_CHECK] | None
    ) = None
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), TEXT_CHECK]
        | None
    ) = None


class PasswordChange(Strict):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256), TEXT_CHECK]
    new_password: Password


class UserOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    username: str
    full_name: str
    org_unit_id: uuid.UUID | None
    roles: list[Role]
    phone: str | None = None
    email: str | None = None
    active: bool
    created_at: dt.datetime


class UserSearch(Strict):
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="part of the full name or username")
    org_unit_id: uuid.UUID | None = None
    include_subtree: bool = True
    role: Role | None = None
    active: bool | None = True
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# -- delegations (授权) ------------------------------------------------------------------


class AsRole(StrEnum):
    """Which side of their delegations a user lists: as the leader or as the secretary."""

    leader = "leader"
    secretary = "secretary"


class DelegationCreate(Strict):
    secretary_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    scope: Annotated[str, StringConstraints(pattern=r"^instructions$"), TEXT_CHECK] = "instructions"
    note: Annotated[str, StringConstraints(max_length=500), TEXT_CHECK] | None = None


class DelegationOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    leader_id: uuid.UUID
    secretary_id: uuid.UUID
    scope: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    revoked_at: dt.datetime | None
    note: str | None
    active: bool = Field(description="valid now: started, not ended, not revoked")


class MeOut(UserOut):
    tenant_code: str | None
    tenant_name: str | None
    tenant_parent_id: uuid.UUID | None = Field(
        default=None,
        description="the tenant above mine (a city's province); none for the province",
    )
    org_unit_name: str | None
    delegations_received: list[DelegationOut] = Field(
        default_factory=list, description="active delegations held as a secretary"
    )


class AuditFilter(Strict):
    """Which entries of a trail (全程留痕) to list: newest first, narrowed by action
    (prefix: ``task.`` finds every task action), actor (who acted or on whose behalf),
    target, and time (``since`` ≤ occurred_at < ``until``)."""

    limit: StrictInt = Field(default=50, ge=1, le=200)
    offset: StrictInt = Field(default=0, ge=0)
    action: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK] | None = None
    actor_id: uuid.UUID | None = None
    target_id: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def filters(self) -> dict[str, Any]:
        """The narrowing, as services.common.audit's list and count take it."""
        return {
            "action": self.action or None,
            "actor_id": self.actor_id,
            "target_id": self.target_id or None,
            "since": self.since,
            "until": self.until,
        }


class AuditEntryOut(BaseModel):
    id: int
    tenant_id: uuid.UUID | None
    occurred_at: dt.datetime
    actor_id: uuid.UUID | None
    on_behalf_of: uuid.UUID | None
    action: str
    target_type: str
    target_id: str | None
    client_ip: str | None
    request_id: str | None
    before: dict | None
    after: dict | None
