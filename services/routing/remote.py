"""The ports of :mod:`services.routing.ports` over nameko RPC (identity, documents).

Calls made from a worker carry the caller's context (nameko forwards it), so
the other service answers within the caller's tenant and rights. Each call is
bounded by the RPC timeout; "not found" comes back as ``None``; the typed
errors of the other service come back as the same typed errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.common.remote import call
from services.documents.schemas import DocumentOut
from services.identity.schemas import DelegationOut, OrgUnitOut, TenantOut, UserOut


class RemoteDirectory:
    """:class:`~services.routing.ports.Directory` over identity's RPC methods."""

    def __init__(self, identity: Any) -> None:
        self._identity = identity

    def org_unit(self, unit_id: uuid.UUID) -> OrgUnitOut | None:
        data = call("identity", self._identity.get_org_unit, unit_id=str(unit_id))
        return OrgUnitOut.model_validate(data) if data else None

    def user(self, user_id: uuid.UUID) -> UserOut | None:
        data = call("identity", self._identity.get_user, user_id=str(user_id))
        return UserOut.model_validate(data) if data else None

    def delegation(
        self, leader_id: uuid.UUID, secretary_id: uuid.UUID, at: dt.datetime
    ) -> DelegationOut | None:
        data = call(
            "identity",
            self._identity.check_delegation,
            leader_id=str(leader_id),
            secretary_id=str(secretary_id),
            at=at.isoformat(),
        )
        return DelegationOut.model_validate(data) if data else None

    def my_delegations(self) -> list[DelegationOut]:
        data = call("identity", self._identity.list_delegations, as_role="secretary")
        return [DelegationOut.model_validate(d) for d in data or []]

    def tenant(self, tenant_id: uuid.UUID) -> TenantOut | None:
        data = call("identity", self._identity.get_tenant, tenant_id=str(tenant_id))
        return TenantOut.model_validate(data) if data else None

    def org_units(self) -> list[OrgUnitOut]:
        data = call("identity", self._identity.list_org_units)
        return [OrgUnitOut.model_validate(u) for u in data or []]


class RemoteDocuments:
    """:class:`~services.routing.ports.Documents` over the documents service."""

    def __init__(self, documents: Any) -> None:
        self._documents = documents

    def document(self, document_id: uuid.UUID) -> DocumentOut | None:
        data = call("documents", self._documents.get_document, document_id=str(document_id))
        return DocumentOut.model_validate(data) if data else None
