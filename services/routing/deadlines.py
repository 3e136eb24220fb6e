"""Due dates of tasks (办理时限, DESIGN 4.3) on top of :mod:`services.routing.working_days`.

* The step a distribution (分办) leads to — ``division_sign`` in the default
  template — is due by the distribution rule: the distribution day does not
  count, the division has the step's working days (3) from the next day.
* Any other step with a ``time_limit_days`` is due that many working days after
  the Shanghai day it started on; a step without one has no due date.

The calendar of a tenant is chosen in :func:`tenant_calendar` only.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from services.routing.templates import Flow
from services.routing.working_days import (
    DEFAULT_TIME_LIMIT_WORKING_DAYS,
    Deadline,
    WorkingDayCalendar,
    distribution_deadline,
    effective_calendar,
    national_schedules,
    step_deadline,
)


@functools.cache
def _national_calendar() -> WorkingDayCalendar:
    return effective_calendar(national_schedules(), [])


def tenant_calendar(tenant_id: uuid.UUID | None) -> WorkingDayCalendar:
    """The working-day calendar a tenant's deadlines are computed with.

    For now the national calendar (statutory holidays and make-up working days
    that ``chinese_calendar`` knows; later years weekends-only and provisional)
    for every tenant. Per-tenant override layers, inherited down the tenant
    tree, are to be loaded here from calendar tables.
    """
    del tenant_id  # same calendar for every tenant until per-tenant calendars exist
    return _national_calendar()


def deadline_for(
    flow: Flow, step_key: str, started_at: dt.datetime, calendar: WorkingDayCalendar
) -> Deadline | None:
    """When a task at ``step_key`` started at ``started_at`` is due (None: no limit)."""
    step = flow.step(step_key)
    if step_key == flow.distribution_target:
        days = step.time_limit_days or DEFAULT_TIME_LIMIT_WORKING_DAYS
        return distribution_deadline(started_at, calendar, days)
    if step.time_limit_days is None:
        return None
    return step_deadline(started_at, calendar, step.time_limit_days)
