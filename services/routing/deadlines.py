"""Due dates of tasks (办理时限, DESIGN 4.3) on top of :mod:`services.routing.working_days`.

* The step a distribution (分办) leads to — ``division_sign`` in the default
  template — is due by the distribution rule: the distribution day does not
  count, the division has the step's working days (3) from the next day.
* Any other step with a ``time_limit_days`` is due that many working days after
  the Shanghai day it started on; a step without one has no due date.
* The reminder (催办提醒) is due at ``ROUTING_REMINDER_HOUR`` (09:00) Shanghai of
  the last working day.

A task stores what its deadline was computed from (``created_at``, ``due_rule``,
``due_days``) so that it can be recomputed when the calendar changes.

The calendar of a tenant is chosen in :func:`tenant_calendar` only: the national
schedules of the ``calendar_years`` table (a year without a row is provisional,
weekends only) plus the overrides of the tenant and its ancestors, cached per
process and reloaded when the calendar version (one row, changed by every
calendar change) differs from the cached one.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.routing import calendar_rules, queries
from services.routing.calendar_rules import LocalDay
from services.routing.config import routing_settings
from services.routing.schemas import OverrideKind
from services.routing.templates import Flow
from services.routing.working_days import (
    DEFAULT_TIME_LIMIT_WORKING_DAYS,
    Deadline,
    WorkingDayCalendar,
    YearSchedule,
    distribution_deadline,
    effective_calendar,
    national_schedules,
    reminder_time,
    step_deadline,
)

log = logging.getLogger(__name__)

DISTRIBUTION = "distribution"
STEP = "step"


# -- what a deadline is computed from -------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How a task's deadline is computed: the rule and its working days."""

    kind: str  # DISTRIBUTION | STEP
    days: int


@dataclass(frozen=True)
class Due:
    """A task's deadline and reminder time."""

    due_at: dt.datetime
    due_date: dt.date
    provisional: bool
    remind_at: dt.datetime


def rule_for(flow: Flow, step_key: str) -> Rule | None:
    """The deadline rule of a step (None: the step has no time limit)."""
    step = flow.step(step_key)
    if step_key == flow.distribution_target:
        return Rule(DISTRIBUTION, step.time_limit_days or DEFAULT_TIME_LIMIT_WORKING_DAYS)
    if step.time_limit_days is None:
        return None
    return Rule(STEP, step.time_limit_days)


def compute(
    rule: Rule,
    started_at: dt.datetime,
    calendar: WorkingDayCalendar,
    reminder_hour: int | None = None,
) -> Due:
    """The deadline of a task started at ``started_at`` under ``rule``, and its reminder."""
    if rule.kind == DISTRIBUTION:
        deadline = distribution_deadline(started_at, calendar, rule.days)
    else:
        deadline = step_deadline(started_at, calendar, rule.days)
    hour = routing_settings().reminder_hour if reminder_hour is None else reminder_hour
    return Due(
        due_at=deadline.due_at,
        due_date=deadline.due_date,
        provisional=deadline.provisional,
        remind_at=reminder_time(deadline, calendar, hour),
    )


def deadline_for(
    flow: Flow, step_key: str, started_at: dt.datetime, calendar: WorkingDayCalendar
) -> Deadline | None:
    """When a task at ``step_key`` started at ``started_at`` is due (None: no limit)."""
    rule = rule_for(flow, step_key)
    if rule is None:
        return None
    if rule.kind == DISTRIBUTION:
        return distribution_deadline(started_at, calendar, rule.days)
    return step_deadline(started_at, calendar, rule.days)


# -- the calendar of a tenant ----------------------------------------------------------------


@functools.cache
def _builtin_national() -> WorkingDayCalendar:
    return effective_calendar(national_schedules(), [])


@dataclass
class _Cache:
    version: int
    national: dict[int, YearSchedule]
    tenants: dict[uuid.UUID | None, WorkingDayCalendar] = field(default_factory=dict)


_cache: _Cache | None = None
_MAX_TENANTS = 2048


def national_from_rows(rows: list[queries.YearRow]) -> dict[int, YearSchedule]:
    return {
        r.year: YearSchedule(
            year=r.year,
            holidays=frozenset(r.holidays or ()),
            workdays=frozenset(r.workdays or ()),
            provisional=False,
        )
        for r in rows
    }


def local_layers(session: Session, tenant_id: uuid.UUID | None) -> list[list[LocalDay]]:
    """The override layers a tenant inherits, root first (one per tenant with overrides)."""
    if tenant_id is None:
        return []
    ancestry = queries.ancestry(session, tenant_id)
    if not ancestry:
        return []
    rows = queries.overrides_of(session, ancestry)
    by_tenant: dict[uuid.UUID, list[LocalDay]] = {}
    for row in rows:
        by_tenant.setdefault(row.tenant_id, []).append(
            LocalDay(row.day, OverrideKind(row.kind), row.note, row.tenant_id, row.id)
        )
    return [by_tenant[t] for t in ancestry if t in by_tenant]


def load_calendar(
    session: Session, tenant_id: uuid.UUID | None, national: dict[int, YearSchedule]
) -> WorkingDayCalendar:
    """A tenant's calendar read afresh from the tables (no cache)."""
    layers = calendar_rules.override_layers(local_layers(session, tenant_id))
    return effective_calendar(national, layers)


def tenant_calendar(
    tenant_id: uuid.UUID | None, session: Session | None = None
) -> WorkingDayCalendar:
    """The working-day calendar a tenant's deadlines are computed with.

    With a ``session``: the national schedules of ``calendar_years`` and the
    overrides of the tenant and its ancestors, as that session sees them, cached
    per process for the current calendar version. Without one (tools, benchmarks,
    unit tests): the national calendar as ``chinese_calendar`` knows it — the
    data the tables are seeded with.
    """
    global _cache
    if session is None:
        return _builtin_national()
    version = queries.calendar_version(session)
    cache = _cache
    if cache is None or cache.version != version:
        cache = _Cache(version, national_from_rows(queries.calendar_years(session)))
        _cache = cache
    calendar = cache.tenants.get(tenant_id)
    if calendar is None:
        calendar = load_calendar(session, tenant_id, cache.national)
        if len(cache.tenants) >= _MAX_TENANTS:
            cache.tenants.clear()
        cache.tenants[tenant_id] = calendar
    return calendar


def hold_calendar(session: Session) -> None:
    """Keep the calendar from changing until this transaction ends (shared lock).

    Taken by every transaction that opens tasks, before it locks any row: a
    calendar change (exclusive lock) then waits for them, recomputes the tasks
    they opened, and they in turn wait for it and compute with the new calendar.
    """
    queries.lock_calendar(session, exclusive=False)
