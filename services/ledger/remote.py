"""What the ledger asks other services, over nameko RPC as the caller (the worker's
context travels with each call): identity for people (names, roles, a division's
active people), routing for the calendar's working days and the caller's done tasks.

Every call is bounded by the RPC timeout (:func:`services.common.remote.call`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from services.common.remote import call

#: identity's largest page of users; routing's largest page of tasks
PAGE = 200


class Directory(Protocol):
    def user(self, user_id: uuid.UUID) -> dict[str, Any] | None: ...

    def unit_people(self, unit_id: uuid.UUID) -> list[dict[str, Any]] | None: ...

    def working_days(self, month: str) -> dict[dt.date, bool]: ...

    def done_tasks(self) -> list[dict[str, Any]]: ...


class RemoteDirectory:
    """:class:`Directory` over identity's and routing's RPC proxies."""

    def __init__(self, identity: Any, routing: Any) -> None:
        self._identity = identity
        self._routing = routing
        self._users: dict[uuid.UUID, dict[str, Any] | None] = {}

    def user(self, user_id: uuid.UUID) -> dict[str, Any] | None:
        if user_id not in self._users:
            self._users[user_id] = call("identity", self._identity.get_user, user_id=str(user_id))
        return self._users[user_id]

    def unit_people(self, unit_id: uuid.UUID) -> list[dict[str, Any]] | None:
        """The active people of a unit and the units below it (None: no such unit)."""
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
            if page is None:
                return None
            people.extend(page["items"])
            offset += PAGE
            if offset >= int(page["total"]):
                return people

    def working_days(self, month: str) -> dict[dt.date, bool]:
        out = call("routing", self._routing.calendar_month, month=month) or {}
        return {dt.date.fromisoformat(d["date"]): bool(d["working"]) for d in out.get("days", [])}

    def done_tasks(self) -> list[dict[str, Any]]:
        """The caller's done tasks (已办), newest first, one page."""
        out = call("routing", self._routing.list_done, query={"limit": PAGE, "offset": 0}) or {}
        return list(out.get("items", []))
