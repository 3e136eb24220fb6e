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
and the event goes to the outbox in the statement that marks the row (PostgreSQL
builds the envelopes: no Python per task): however
many instances scan at once, each task is reminded once and marked once. The
claims read the partial indexes ``ix_tasks_overdue_scan`` and
``ix_tasks_reminder_scan`` (open tasks not yet marked, by time), so a pass reads
only the tasks it marks.

A task closed after its deadline before any pass saw it is marked in the
closing transaction (:func:`mark_closed_late`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import uuid

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.events import emit
from services.routing import clock, queries
from services.routing.config import routing_settings
from services.routing.schemas import ClockOut, ScanCounts

SOURCE = "routing"


def scan(session: Session, now: dt.datetime | None = None, batch: int | None = None) -> ScanCounts:
    """One pass: overdue marks first, then reminders; a transaction per batch. The
    outbox relay of this process waits for the pass to end, then publishes its events
    (publishing them, and the consumers taking them, would compete with it)."""
    scope_session(session, bypass_rls=True)  # every tenant's tasks
    at = now or clock.now(session)
    size = batch or routing_settings().scan_batch
    counts = {"overdue": 0, "reminded": 0}
    hold = session.info.get("hold_relay", contextlib.nullcontext)
    with hold():
        for kind, claim in (
            ("overdue", queries.claim_overdue),
            ("reminded", queries.claim_reminders),
        ):
            while True:
                marked = claim(session, at, size)
                counts[kind] += marked
                if marked:
                    session.info["outbox_pending"] = True  # the relay has something to do
                session.commit()
                if marked < size:
                    break
    instance = f"{socket.gethostname()}:{os.getpid()}"
    return ScanCounts(at=at, instance=instance, **counts)


def mark_closed_late(
    session: Session, task_id: uuid.UUID, held_by: uuid.UUID | None, now: dt.datetime
) -> bool:
    """In the transaction closing a task: if it is past due and no pass marked it yet,
    mark it overdue now (``overdue_at`` = its deadline) and publish ``task.overdue``.
    ``held_by``: its assignee before it was closed (None: it was pooled)."""
    marked = queries.mark_overdue_at_close(session, task_id, held_by, now)
    if marked is None:
        return False
    tenant_id, data = marked
    emit(session, SOURCE, "task.overdue", data, tenant_id=tenant_id)
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
