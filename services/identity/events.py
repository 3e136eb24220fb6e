"""The events identity publishes (DESIGN 10): one model per event type, declared once
here; consumers in other services import this module and validate with it."""

from __future__ import annotations

import datetime as dt
import uuid

from services.common.contracts import EventCatalog, EventData

SOURCE = "identity"


class TenantCreated(EventData):
    """A tenant was onboarded (a city or county under its parent)."""

    event_type = "tenant.created"
    id: uuid.UUID
    code: str
    name: str
    parent_id: uuid.UUID | None = None
    path: str
    created_at: dt.datetime


class _OrgUnit(EventData):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    kind: str
    code: str | None = None
    parent_id: uuid.UUID | None = None
    path: str
    depth: int
    active: bool


class OrgUnitCreated(_OrgUnit):
    event_type = "org_unit.created"


class OrgUnitUpdated(_OrgUnit):
    """Renamed, moved, (de)activated: the unit as it is now."""

    event_type = "org_unit.updated"
    moved: bool = False


class _User(EventData):
    id: uuid.UUID
    tenant_id: uuid.UUID | None = None
    username: str
    full_name: str
    org_unit_id: uuid.UUID | None = None
    roles: list[str]
    phone: str | None = None
    email: str | None = None
    active: bool


class UserCreated(_User):
    event_type = "user.created"


class UserUpdated(_User):
    """Renamed, moved to another unit, roles or contact changed: the user as now."""

    event_type = "user.updated"
    changed: list[str] = []


class UserDeactivated(_User):
    event_type = "user.deactivated"


class UserLoggedIn(EventData):
    """A successful sign-in (for the monthly active users)."""

    event_type = "user.logged_in"
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None = None
    org_unit_id: uuid.UUID | None = None
    at: dt.datetime


class UserPasswordChanged(EventData):
    event_type = "user.password_changed"
    user_id: uuid.UUID


class _Delegation(EventData):
    id: uuid.UUID
    tenant_id: uuid.UUID
    leader_id: uuid.UUID
    secretary_id: uuid.UUID
    scope: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    revoked_at: dt.datetime | None = None
    note: str | None = None


class DelegationCreated(_Delegation):
    """授权: a leader lets a secretary enter instructions on their behalf."""

    event_type = "delegation.created"


class DelegationRevoked(_Delegation):
    event_type = "delegation.revoked"


EVENTS = EventCatalog(
    SOURCE,
    [
        TenantCreated,
        OrgUnitCreated,
        OrgUnitUpdated,
        UserCreated,
        UserUpdated,
        UserDeactivated,
        UserLoggedIn,
        UserPasswordChanged,
        DelegationCreated,
        DelegationRevoked,
    ],
)
