"""What routing asks of other services, as plain interfaces.

The service wires them to nameko RPC proxies (:mod:`services.routing.remote`);
the domain code sees only these methods, each answering ``None`` for "no such
thing in the caller's tenant".
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from services.documents.schemas import DocumentOut
from services.identity.schemas import DelegationOut, OrgUnitOut, TenantOut, UserOut


class Directory(Protocol):
    """identity: the org tree, users and delegations of the caller's tenant."""

    def org_unit(self, unit_id: uuid.UUID) -> OrgUnitOut | None: ...

    def user(self, user_id: uuid.UUID) -> UserOut | None: ...

    def delegation(
        self, leader_id: uuid.UUID, secretary_id: uuid.UUID, at: dt.datetime
    ) -> DelegationOut | None: ...

    def tenant(self, tenant_id: uuid.UUID) -> TenantOut | None: ...

    def my_delegations(self) -> list[DelegationOut]:
        """The delegations the caller holds as a secretary (as identity lists them)."""
        ...

    def org_units(self) -> list[OrgUnitOut]: ...


class Documents(Protocol):
    """documents: the records routing keeps a summary of."""

    def document(self, document_id: uuid.UUID) -> DocumentOut | None: ...
