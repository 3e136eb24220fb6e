"""identity over nameko RPC, asked by notify as itself within one tenant.

An event handler's worker inherits the context of whoever caused the event
(nameko forwards it from the event's headers): a registrar for ``task.created``,
nobody at all for the scanner's ``task.reminded`` / ``task.overdue``. Looking up
who holds a task must not depend on that, so notify calls identity with a
context of its own: the event's tenant, the **service principal** of notify
(a fixed id, :data:`NOTIFY_PRINCIPAL_ID`, username ``service:notify``, no
roles) and the event's request id. identity's directory reads
(``search_users``: ``tenant_reader``) need a caller with a user id in the
tenant and no role, so this context is enough, and having no role it passes
none of identity's role checks. identity does not know this id as a user: it
trusts the context headers of whatever is on the broker (the gateway sets
them from verified tokens). An explicit notion of service principals in the
shared kernel and identity is a follow-up.

Each call is bounded by the RPC timeout, and its request expires in identity's
queue after it. A timeout or an unreachable identity
is :class:`ServiceTimeout` / :class:`ServiceUnavailable` (the event is retried);
identity's typed errors come back as the same typed errors; "not found" is an
empty answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from nameko.constants import CALL_ID_STACK_CONTEXT_KEY
from nameko.rpc import RpcProxy, ServiceProxy

from services.common.context import CallContext
from services.common.remote import call
from services.common.settings import get_settings
from services.notify.outbound import Contact

#: who notify is when it asks another service on its own account
NOTIFY_PRINCIPAL_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:gongwen:service:notify")
NOTIFY_PRINCIPAL_NAME = "service:notify"

#: identity's largest page of users
PAGE = 200


def service_context(tenant_id: uuid.UUID, request_id: str | None = None) -> CallContext:
    """The context notify calls identity with, for work in ``tenant_id``."""
    return CallContext(
        tenant_id=tenant_id,
        user_id=NOTIFY_PRINCIPAL_ID,
        username=NOTIFY_PRINCIPAL_NAME,
        request_id=request_id,
    )


class IdentityDirectory:
    """:class:`~services.notify.recipients.Directory` over identity's ``search_users``."""

    def __init__(self, identity: Any) -> None:
        self._identity = identity

    def unit_members(self, unit_id: uuid.UUID, roles: Sequence[str]) -> list[uuid.UUID]:
        members: list[uuid.UUID] = []
        for role in dict.fromkeys(roles):
            offset = 0
            while True:
                page = call(
                    "identity",
                    self._identity.search_users,
                    query={
                        "org_unit_id": str(unit_id),
                        "include_subtree": False,
                        "role": role,
                        "active": True,
                        "limit": PAGE,
                        "offset": offset,
                    },
                )
                if page is None:  # no such unit (any more) in this tenant
                    return []
                items = page.get("items") or []
                members.extend(uuid.UUID(str(u["id"])) for u in items)
                offset += len(items)
                if not items or offset >= int(page.get("total") or 0):
                    break
        return list(dict.fromkeys(members))

    def contacts(self, people: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Each person's e-mail and mobile number, as identity has them (none: not found)."""
        found: dict[uuid.UUID, Any] = {}
        for person in dict.fromkeys(people):
            user = call("identity", self._identity.get_user, user_id=str(person))
            if user and user.get("active", True):
                found[person] = Contact(
                    email=(user.get("email") or "").strip() or None,
                    mobile=(user.get("phone") or "").strip() or None,
                )
        return found

    # -- what a notice's recipients need (a notice names units and people) --------------------

    def tenants(self) -> list[dict[str, Any]]:
        """This tenant and the tenants below it (TenantOut of identity)."""
        return list(call("identity", self._identity.list_tenants) or [])

    def user(self, user_id: uuid.UUID) -> dict[str, Any] | None:
        return call("identity", self._identity.get_user, user_id=str(user_id))

    def unit_tree(self, unit_id: uuid.UUID) -> list[dict[str, Any]]:
        """The unit and the units below it (OrgUnitOut); none if it is not found."""
        return list(call("identity", self._identity.list_org_units, root_id=str(unit_id)) or [])

    def unit_people(self, unit_id: uuid.UUID) -> list[dict[str, Any]]:
        """Active users of the unit and of the units below it (UserOut)."""
        people: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = call(
                "identity",
                self._identity.search_users,
                query={
                    "org_unit_id": str(unit_id),
                    "include_subtree": True,
                    "active": True,
                    "limit": PAGE,
                    "offset": offset,
                },
            )
            items = (page or {}).get("items") or []
            people.extend(items)
            offset += len(items)
            if not items or offset >= int((page or {}).get("total") or 0):
                return people

    def unit_names(self) -> dict[uuid.UUID, str]:
        """Every unit of the tenant by id (the names a recipient list shows)."""
        return {
            uuid.UUID(str(u["id"])): str(u["name"])
            for u in call("identity", self._identity.list_org_units) or []
        }


class _CallingAs:
    """What nameko's proxies need of a worker context (its container and the context
    data to send), with a context of our choosing and the worker's call chain."""

    def __init__(self, worker_ctx: Any, context: CallContext) -> None:
        self.container = worker_ctx.container
        self.call_id_stack = worker_ctx.call_id_stack
        self._data = context.to_context_data()

    @property
    def context_data(self) -> dict[str, Any]:
        return {**self._data, CALL_ID_STACK_CONTEXT_KEY: self.call_id_stack}


DirectoryFor = Callable[[uuid.UUID, str | None], IdentityDirectory]


class IdentityAsNotify(RpcProxy):
    """A dependency giving ``directory_for(tenant_id, request_id)``: identity's directory
    of that tenant, asked as notify's service principal (see the module docstring)."""

    def __init__(self, **options: Any) -> None:
        # a request nobody took within the timeout expires in identity's queue, as the
        # gateway's do: identity coming back does not answer a caller long gone
        options.setdefault("expiration", get_settings().rpc_timeout)
        super().__init__("identity", **options)

    def get_dependency(self, worker_ctx: Any) -> DirectoryFor:
        def directory_for(tenant_id: uuid.UUID, request_id: str | None = None) -> IdentityDirectory:
            calling_as = _CallingAs(worker_ctx, service_context(tenant_id, request_id))
            proxy = ServiceProxy(
                calling_as, self.target_service, self.rpc_reply_listener, **self.options
            )
            return IdentityDirectory(proxy)

        return directory_for
