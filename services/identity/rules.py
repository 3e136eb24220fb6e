"""Pure rules of identity: tenant tree, org tree, role grants, delegation windows.

Nothing here touches the database, Redis or the broker; the service calls these
with values it has loaded and raises what they raise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from services.common.errors import Forbidden, InvalidInput
from services.common.inputs import require_aware
from services.common.vocabulary import LEADER_ROLES, TENANT_ROLES, OrgUnitKind, Role
from services.identity.schemas import ALLOWED_CHILD_KINDS

# -- tenants (province → city → county) ---------------------------------------------------------

MAX_TENANT_DEPTH = 3
TENANT_PATH_SEPARATOR = "/"


def tenant_path(parent_path: str | None, code: str) -> tuple[str, int]:
    """Materialised path of tenant codes (``gz/gz-gy``) and depth (root = 1) of a new tenant.

    Three levels at most: province, city, county.
    """
    path = code if parent_path is None else f"{parent_path}{TENANT_PATH_SEPARATOR}{code}"
    depth = path.count(TENANT_PATH_SEPARATOR) + 1
    if depth > MAX_TENANT_DEPTH:
        raise InvalidInput(
            "tenant_too_deep",
            f"tenants nest at most {MAX_TENANT_DEPTH} levels (province, city, county)",
        )
    return path, depth


def tenant_within(path: str, ancestor_path: str) -> bool:
    """Whether the tenant at ``path`` is ``ancestor_path`` itself or below it."""
    return path == ancestor_path or path.startswith(ancestor_path + TENANT_PATH_SEPARATOR)


# -- org units (单位 / 处室 / 科室) --------------------------------------------------------------

MAX_ORG_DEPTH = 12


def org_path(parent_path: str | None, unit_id: uuid.UUID) -> str:
    """Materialised path of ids from the root, each followed by ``/``: ``/id1/id2/``."""
    return f"{parent_path or '/'}{unit_id}/"


def org_depth(path: str) -> int:
    """Depth of a unit from its path (a root unit has depth 0)."""
    return path.strip("/").count("/")


def check_child_kind(parent_kind: OrgUnitKind | str | None, child_kind: OrgUnitKind | str) -> None:
    """A root is a unit; a unit holds units and divisions; a division or section holds sections."""
    child = OrgUnitKind(child_kind)
    if parent_kind is None:
        allowed: frozenset[OrgUnitKind] = frozenset({OrgUnitKind.unit})
    else:
        allowed = ALLOWED_CHILD_KINDS[OrgUnitKind(parent_kind)]
    if child not in allowed:
        where = f"under a {OrgUnitKind(parent_kind).value}" if parent_kind else "at the root"
        raise InvalidInput("org_kind_not_allowed", f"a {child.value} cannot be placed {where}")


def check_org_depth(path: str, subtree_height: int = 0) -> None:
    if org_depth(path) + subtree_height > MAX_ORG_DEPTH:
        raise InvalidInput("org_too_deep", f"org units nest at most {MAX_ORG_DEPTH + 1} levels")


def check_move(unit_path: str, new_parent_path: str) -> None:
    """Moving a unit under itself or one of its descendants would make a cycle."""
    if new_parent_path.startswith(unit_path):
        raise InvalidInput("org_cycle", "a unit cannot be moved under itself or its descendants")


# -- roles -------------------------------------------------------------------------------------


def check_grantable(caller_roles: Iterable[str], requested: Iterable[Role | str]) -> list[str]:
    """Only a tenant administrator grants roles, and never ``platform_admin``.

    Returns the requested roles, de-duplicated, in a stable order.
    """
    wanted = {Role(r) for r in requested}
    if Role.tenant_admin not in set(caller_roles):
        raise Forbidden("role_not_grantable", "only a tenant administrator grants roles")
    refused = wanted - TENANT_ROLES
    if refused:
        raise Forbidden(
            "role_not_grantable", "not grantable: " + ", ".join(sorted(r.value for r in refused))
        )
    return sorted(r.value for r in wanted)


def is_leader(roles: Iterable[str]) -> bool:
    return any(role in LEADER_ROLES for role in roles)


# -- delegations (授权) --------------------------------------------------------------------------

MAX_DELEGATION_DAYS = 366


def check_delegation_window(
    starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """A window that ends after it starts, ends in the future and lasts at most 366 days."""
    starts = require_aware(starts_at, "starts_at")
    ends = require_aware(ends_at, "ends_at")
    if ends <= starts:
        raise InvalidInput("bad_delegation_window", "ends_at must be after starts_at")
    if ends <= now:
        raise InvalidInput("bad_delegation_window", "ends_at must be in the future")
    if ends - starts > dt.timedelta(days=MAX_DELEGATION_DAYS):
        raise InvalidInput(
            "bad_delegation_window", f"a delegation lasts at most {MAX_DELEGATION_DAYS} days"
        )
    return starts, ends


def delegation_valid_at(
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    revoked_at: dt.datetime | None,
    at: dt.datetime,
) -> bool:
    """Valid at ``at``: started, not yet ended, and not revoked by then."""
    return starts_at <= at < ends_at and (revoked_at is None or revoked_at > at)


# -- search --------------------------------------------------------------------------------------


def like_pattern(fragment: str) -> str:
    """A LIKE pattern (escape character ``\\``) that matches ``fragment`` anywhere."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
