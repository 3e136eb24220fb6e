"""Reminders (催办提醒) and overdue marks (超期), DESIGN 4.3.

One pass of the scanner, run by every routing instance's timer (and on demand by
the ``scan_now`` RPC), with the service's clock:

1. every open task whose deadline has passed is marked overdue — ``overdue_at``
   is its deadline (the moment it became overdue, not the time of the pass, so a
   pass after routing was down over a deadline records the right time), with the
   overdue division and person (the assignee; none while pooled to a division) —
   and ``task.overdue`` is published;
2. every open task whose reminder time has come (09:00 Shanghai on the last
   working day, by default) and whose deadline has not passed gets
   ``reminded_at`` and ``task.reminded``.

Rows are claimed in batches with ``FOR UPDATE SKIP LOCKED`` under a condition
the claim itself falsifies (``overdue_at IS NULL`` / ``reminded_at IS NULL``),
and the event goes to the outbox in the transaction that marks the row: however
many instances scan at once, each task is reminded once and marked once. The
claims read the partial indexes ``ix_tasks_overdue_scan`` and
``ix_tasks_reminder_scan`` (open tasks not yet marked, by time), so a pass reads
only the tasks it marks.

A task closed after its deadline before any pass saw it is marked in the
closing transaction (:func:`mark_closed_late`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.events import EventEnvelope, emit, utcnow
from services.routing import clock, queries
from services.routing.config import routing_settings
from services.routing.schemas import ClockOut, ScanCounts

SOURCE = "routing"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def overdue_payload(row: queries.ClaimedRow) -> dict[str, Any]:
    """``task.overdue``: which task, of which document, who was late and since when."""
    return {
        "task_id": str(row.id),
        "document_id": str(row.document_id),
        "instance_id": str(row.instance_id),
        "step": row.step,
        "step_name": row.step_name,
        "unit_id": _str(row.overdue_unit_id),
        "assignee_id": _str(row.overdue_user_id),
        "roles": list(row.roles or []),
        "due_at": _iso(row.due_at),
        "overdue_at": _iso(row.overdue_at),
        "title": row.title,
        "urgency": row.urgency,
    }


def reminder_payload(row: queries.ClaimedRow) -> dict[str, Any]:
    """``task.reminded``: the holder of a task is reminded of its deadline."""
    return {
        "task_id": str(row.id),
        "document_id": str(row.document_id),
        "instance_id": str(row.instance_id),
        "step": row.step,
        "step_name": row.step_name,
        "unit_id": _str(row.unit_id),
        "assignee_id": _str(row.assignee_id),
        "roles": list(row.roles or []),
        "due_at": _iso(row.due_at),
        "remind_at": _iso(row.remind_at),
        "reminded_at": _iso(row.reminded_at),
        "title": row.title,
        "urgency": row.urgency,
    }


def announce(
    session: Session, event_type: str, events: list[tuple[uuid.UUID, dict[str, Any]]]
) -> None:
    """Many events of one type into the outbox in one statement (what :func:`emit` does
    for one): a pass that marks thousands of tasks does not pay a round trip for each."""
    if not events:
        return
    occurred = utcnow()  # as emit() stamps events
    envelopes = [
        EventEnvelope(
            id=uuid.uuid4(),
            type=event_type,
            source=SOURCE,
            occurred_at=occurred,
            tenant_id=tenant_id,
            data=data,
        )
        for tenant_id, data in events
    ]
    queries.add_to_outbox(
        session,
        [
            {
                "id": e.id,
                "event_type": event_type,
                "envelope": e.model_dump(mode="json"),
                "headers": {},
            }
            for e in envelopes
        ],
    )
    session.info["outbox_pending"] = True  # the relay publishes at once after the commit


def scan(session: Session, now: dt.datetime | None = None, batch: int | None = None) -> ScanCounts:
    """One pass: overdue marks first, then reminders; a transaction per batch."""
    scope_session(session, bypass_rls=True)  # every tenant's tasks
    at = now or clock.now(session)
    size = batch or routing_settings().scan_batch
    overdue = 0
    while True:
        rows = queries.claim_overdue(session, at, size)
        announce(session, "task.overdue", [(r.tenant_id, overdue_payload(r)) for r in rows])
        session.commit()
        overdue += len(rows)
        if len(rows) < size:
            break
    reminded = 0
    while True:
        rows = queries.claim_reminders(session, at, size)
        announce(session, "task.reminded", [(r.tenant_id, reminder_payload(r)) for r in rows])
        session.commit()
        reminded += len(rows)
        if len(rows) < size:
            break
    instance = f"{socket.gethostname()}:{os.getpid()}"
    return ScanCounts(at=at, overdue=overdue, reminded=reminded, instance=instance)


def mark_closed_late(
    session: Session, task_id: uuid.UUID, held_by: uuid.UUID | None, now: dt.datetime
) -> bool:
    """In the transaction closing a task: if it is past due and no pass marked it yet,
    mark it overdue now (``overdue_at`` = its deadline) and publish ``task.overdue``.
    ``held_by``: its assignee before it was closed (None: it was pooled)."""
    row = queries.mark_overdue_at_close(session, task_id, held_by, now)
    if row is None:
        return False
    emit(session, SOURCE, "task.overdue", overdue_payload(row), tenant_id=row.tenant_id)
    return True


# -- operations RPCs -------------------------------------------------------------------------------


def require_operator(ctx: CallContext) -> None:
    """An internal caller (no user: ops tools, tests) or the platform administrator."""
    if ctx.user_id is not None and not ctx.is_platform_admin:
        raise Forbidden("platform_admin_required", "only operators run the scanner by hand")


def scan_now(session: Session, ctx: CallContext) -> ScanCounts:
    require_operator(ctx)
    return scan(session)


def set_test_clock(session: Session, ctx: CallContext, instant: dt.datetime | None) -> ClockOut:
    """Freeze routing's clock (test stacks only); ``None`` goes back to real time."""
    if clock.test_clock_enabled():
        require_operator(ctx)
    now = clock.set_test_instant(session, instant)
    return ClockOut(now=now, frozen=instant is not None)


def get_clock(session: Session, ctx: CallContext) -> ClockOut:
    frozen = clock.test_clock_enabled() and queries.test_clock(session) is not None
    return ClockOut(now=clock.now(session), frozen=frozen)
