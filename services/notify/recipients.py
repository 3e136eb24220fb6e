"""Who is notified of one of routing's task events (pure, over a directory port).

A task is held by a person (its assignee) or pooled to a division (处室) at a
step that some roles may act on: a pooled task's notification goes to every
active user of that very unit (not the units below it: routing's to-do list
matches the unit exactly) holding one of the step's roles — the people who see
the task in their to-do list (待办).

* ``task.created``, ``task.urged``, ``task.reminded``: the assignee, else the pool
  (``unit_id`` and the step's ``roles``, which these events carry);
* ``task.overdue``: the person who held it when it became overdue, else the pool —
  when the scanner marked it (the task is open: its event has no actor). A task
  closed or cancelled after its deadline before any scan saw it is marked in the
  closing transaction, with the closer as the event's actor: nobody has anything
  left to do on it, and nobody is notified;
* ``task.returned``: the holder of the task the return opened
  (``returned_to_user_id``). A return to a pool (rare: only when routing cannot
  tell who held the step before) is not notified as a return — the event does
  not carry the step's roles — but the pool is notified of the task it opened
  (``task.created``), as of every new to-do.

documents' ``inbox.item_urged`` (催签) is about no task: it goes to whoever may sign for
the document in the recipient registry's 收文箱 — the active registrars of exactly the
recipient unit, in the recipient's tenant (the event's), as documents lets sign for it
(:func:`inbox_signers`).

Nobody is notified of their own action (the event's actor: who distributed,
urged or returned it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.common.inputs import optional_id
from services.common.vocabulary import TENANT_ROLES, Role
from services.notify.schemas import NotificationKind


class Directory(Protocol):
    """identity, as notify needs it: the members of a unit within one tenant."""

    def unit_members(self, unit_id: uuid.UUID, roles: Sequence[str]) -> list[uuid.UUID]:
        """Active users of exactly ``unit_id`` holding one of ``roles`` (none if the
        unit is not found)."""
        ...

    def contacts(self, people: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Each person's e-mail address and mobile number (``outbound.Contact``)."""
        ...


@dataclass(frozen=True)
class Holder:
    """Who holds a task: a person, or a unit's pool at a step of some roles."""

    user_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    roles: tuple[str, ...] = ()

    @property
    def pooled(self) -> bool:
        return self.user_id is None and self.unit_id is not None and bool(self.roles)


def _roles(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        return ()
    return tuple(dict.fromkeys(str(v) for v in values if str(v) in TENANT_ROLES))


def holder(kind: NotificationKind, data: dict[str, Any]) -> Holder:
    """The holder an event of ``kind`` is about (see the module's docstring)."""
    if kind is NotificationKind.returned:
        return Holder(
            user_id=optional_id(data.get("returned_to_user_id")),
            unit_id=optional_id(data.get("returned_to_unit_id")),
        )
    return Holder(
        user_id=optional_id(data.get("assignee_id")),
        unit_id=optional_id(data.get("unit_id")),
        roles=_roles(data.get("roles")) if "roles" in data else (),
    )


#: who signs for (签收) a document in a registry's 收文箱: a registrar of that very unit
INBOX_SIGNING_ROLES = (Role.registrar.value,)


def inbox_signers(data: dict[str, Any]) -> Holder:
    """Who may sign for the inbox item of documents' ``inbox.item_urged``: the pool of
    the recipient unit's registrars (none when the event names no unit)."""
    return Holder(
        user_id=None,
        unit_id=optional_id(data.get("recipient_unit_id")),
        roles=INBOX_SIGNING_ROLES,
    )


def to_notify(kind: NotificationKind, actor_id: uuid.UUID | None) -> bool:
    """Whether an event of ``kind`` by ``actor_id`` is notified at all (see above)."""
    return not (kind is NotificationKind.overdue and actor_id is not None)


def resolve(
    held_by: Holder, directory: Directory, *, exclude: Iterable[uuid.UUID | None] = ()
) -> list[uuid.UUID]:
    """The people to notify, each once, in a stable order; ``exclude``: the actor."""
    if held_by.user_id is not None:
        people = [held_by.user_id]
    elif held_by.pooled:
        assert held_by.unit_id is not None
        people = directory.unit_members(held_by.unit_id, held_by.roles)
    else:
        people = []
    left_out = {e for e in exclude if e is not None}
    return [p for p in dict.fromkeys(people) if p not in left_out]
