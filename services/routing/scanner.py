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
and the batch's events go to the outbox in the transaction that marks the rows
(one deferred row per batch, whose envelopes the relay builds after the pass):
however many instances scan at once, each task is reminded once and marked once. The
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
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.events import EventEnvelope, defer, emit
from services.common.vocabulary import utcnow
from services.routing import clock, queries
from services.routing.config import routing_settings
from services.routing.events import EVENTS
from services.routing.schemas import ClockOut, ScanCounts

SOURCE = "routing"


EXPANDER = "routing.task_events"  # the outbox expander of the scanner's batches

PASS_SECONDS = Histogram(
    "gongwen_scanner_pass_duration_seconds",
    "Time of one pass of the overdue and reminder scanner (every batch of it).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
MARKED = Counter(
    "gongwen_scanner_marked_total",
    "Tasks a scanner pass marked, by kind (overdue, reminded).",
    ["kind"],
)
for _kind in ("overdue", "reminded"):
    MARKED.labels(_kind)


def scan(session: Session, now: dt.datetime | None = None, batch: int | None = None) -> ScanCounts:
    """One pass: overdue marks first, then reminders; a transaction per batch, whose
    events go to the outbox as one deferred row (:func:`expand_task_events` builds
    them when the relay publishes). The outbox relay of this process waits for the
    pass to end (publishing, and the consumers taking the events, would compete)."""
    started = time.perf_counter()
    scope_session(session, bypass_rls=True)  # every tenant's tasks
    at = now or clock.now(session)
    size = batch or routing_settings().scan_batch
    counts = {"overdue": 0, "reminded": 0}
    claims = (
        ("overdue", "task.overdue", queries.claim_overdue),
        ("reminded", "task.reminded", queries.claim_reminders),
    )
    hold = session.info.get("hold_relay", contextlib.nullcontext)
    with hold():
        for kind, event_type, claim in claims:
            while True:
                marked = claim(session, at, size)
                counts[kind] += len(marked)
                if marked:
                    stored = {
                        "type": event_type,
                        "occurred_at": utcnow().isoformat(),
                        "task_ids": [str(i) for i in marked],
                    }
                    defer(session, event_type, EXPANDER, stored)
                session.commit()
                if len(marked) < size:
                    break
    PASS_SECONDS.observe(time.perf_counter() - started)
    for kind, n in counts.items():
        MARKED.labels(kind).inc(n)
    instance = f"{socket.gethostname()}:{os.getpid()}"
    return ScanCounts(at=at, instance=instance, **counts)


def expand_task_events(
    session: Session, row_id: uuid.UUID, stored: dict[str, Any]
) -> list[dict[str, Any]]:
    """The envelopes of one batch of the scanner (the outbox relay calls this): one per
    task, with the data of the task as it is now, its id derived from the outbox row
    and the task so that a batch relayed twice is applied once."""
    scope_session(session, bypass_rls=True)
    event_type = stored["type"]
    return [
        EventEnvelope(
            id=uuid.uuid5(row_id, str(task_id)),
            type=event_type,
            source=SOURCE,
            occurred_at=stored["occurred_at"],
            tenant_id=tenant_id,
            data=data,
        ).model_dump(mode="json")
        for task_id, tenant_id, data in queries.task_event_data(
            session, event_type, stored["task_ids"]
        )
    ]


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
    emit(session, EVENTS, "task.overdue", data, tenant_id=tenant_id)
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
