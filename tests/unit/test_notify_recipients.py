"""Who notify notifies of a task event (pure rules over a directory stand-in): the
assignee, else the pooled unit's members with the step's roles; the actor never."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.notify.recipients import Holder, holder, inbox_signers, resolve, to_notify
from services.notify.schemas import NotificationKind

UNIT = uuid.uuid4()
HANDLERS = [uuid.uuid4(), uuid.uuid4()]
HEAD = uuid.uuid4()


class Directory:
    """A unit with two handlers and a head; one of the handlers is also a head."""

    def __init__(self) -> None:
        self.asked: list[tuple[uuid.UUID, tuple[str, ...]]] = []
        self.members = {
            "handler": HANDLERS,
            "division_head": [HEAD, HANDLERS[0]],
        }

    def unit_members(self, unit_id: uuid.UUID, roles: Sequence[str]) -> list[uuid.UUID]:
        self.asked.append((unit_id, tuple(roles)))
        if unit_id != UNIT:
            return []
        return [m for role in roles for m in self.members.get(role, [])]


def test_an_assigned_task_goes_to_its_assignee_without_asking_identity():
    person = uuid.uuid4()
    directory = Directory()
    data = {"assignee_id": str(person), "unit_id": str(UNIT), "roles": ["handler"]}
    for kind in (NotificationKind.todo, NotificationKind.urge, NotificationKind.overdue):
        assert resolve(holder(kind, data), directory) == [person]
    assert directory.asked == []


def test_a_pooled_task_goes_to_each_member_with_a_role_of_the_step_once():
    directory = Directory()
    data = {"assignee_id": None, "unit_id": str(UNIT), "roles": ["division_head", "handler"]}
    held = holder(NotificationKind.reminder, data)
    assert held == Holder(None, UNIT, ("division_head", "handler")) and held.pooled
    assert resolve(held, directory) == [HEAD, HANDLERS[0], HANDLERS[1]]
    assert directory.asked == [(UNIT, ("division_head", "handler"))]


def test_the_actor_is_not_notified_of_their_own_action():
    data = {"unit_id": str(UNIT), "roles": ["handler"]}
    held = holder(NotificationKind.todo, data)
    assert resolve(held, Directory(), exclude=[HANDLERS[0], None]) == [HANDLERS[1]]
    mine = holder(NotificationKind.urge, {"assignee_id": str(HEAD)})
    assert resolve(mine, Directory(), exclude=[HEAD]) == []


def test_unknown_roles_and_a_pool_without_roles_reach_nobody():
    directory = Directory()
    held = holder(NotificationKind.todo, {"unit_id": str(UNIT), "roles": ["hacker", 7]})
    assert held.roles == () and not held.pooled
    assert resolve(held, directory) == []
    assert resolve(holder(NotificationKind.todo, {}), directory) == []
    assert directory.asked == []


def test_a_return_goes_to_whom_it_was_returned_to():
    back_to = uuid.uuid4()
    data = {
        "assignee_id": str(uuid.uuid4()),  # not in task.returned; ignored if it were
        "unit_id": str(UNIT),
        "returned_to_unit_id": str(UNIT),
        "returned_to_user_id": str(back_to),
    }
    assert resolve(holder(NotificationKind.returned, data), Directory()) == [back_to]
    # returned to a pool: the event has no roles; the pool hears of the new task instead
    pooled = holder(NotificationKind.returned, {"returned_to_unit_id": str(UNIT)})
    assert pooled == Holder(None, UNIT) and resolve(pooled, Directory()) == []


def test_an_overdue_mark_made_as_the_task_was_closed_is_not_notified():
    closer = uuid.uuid4()
    # the scanner's mark: no actor, the task is open
    assert to_notify(NotificationKind.overdue, None)
    # marked in the transaction that closed or cancelled it: nothing left to do
    assert not to_notify(NotificationKind.overdue, closer)
    assert all(to_notify(k, closer) for k in NotificationKind if k is not NotificationKind.overdue)


def test_an_urge_to_sign_goes_to_the_registrars_of_exactly_the_recipient_unit():
    directory = Directory()
    directory.members["registrar"] = [HEAD]
    held = inbox_signers({"recipient_unit_id": str(UNIT)})
    assert held == Holder(None, UNIT, ("registrar",)) and held.pooled
    assert resolve(held, directory, exclude=[uuid.uuid4()]) == [HEAD]
    assert directory.asked == [(UNIT, ("registrar",))]
    assert resolve(inbox_signers({"recipient_unit_id": None}), directory) == []
