"""Pure rules of the calendars as data (DESIGN 4.3): why a day is or is not a working
day, the inherited local days of a tenant, and which open deadlines a change can move.

No database and no transport: :mod:`services.routing.calendars` loads the rows and
asks these functions.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI
from services.routing.schemas import DayReason, OverrideKind
from services.routing.working_days import (
    CalendarError,
    Overrides,
    YearSchedule,
)

#: years a national schedule may be published for
MIN_YEAR, MAX_YEAR = 1900, 2200

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class LocalDay:
    """One override row of a layer of the tenant tree."""

    day: dt.date
    kind: OverrideKind
    note: str
    tenant_id: uuid.UUID
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class DayInfo:
    day: dt.date
    working: bool
    reason: DayReason
    note: str | None = None
    source_tenant_id: uuid.UUID | None = None


def calendar_error(exc: CalendarError) -> InvalidInput:
    """A calendar data error as the 422 a caller gets (same code)."""
    return InvalidInput(exc.code, exc.message)


def schedule_of(
    year: int, holidays: Iterable[dt.date], workdays: Iterable[dt.date]
) -> YearSchedule:
    """A published national schedule, validated (``InvalidInput`` with the
    :class:`~services.routing.working_days.CalendarError` code: ``date_outside_year``,
    ``day_both_holiday_and_workday``, ``workday_not_weekend``, ``bad_year``)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("bad_year", f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    try:
        return YearSchedule(
            year=year, holidays=frozenset(holidays), workdays=frozenset(workdays), provisional=False
        )
    except CalendarError as exc:
        raise calendar_error(exc) from None


def merged_local_days(layers: Sequence[Sequence[LocalDay]]) -> dict[dt.date, LocalDay]:
    """The local days a tenant inherits: layers root first, the more local layer wins."""
    merged: dict[dt.date, LocalDay] = {}
    for layer in layers:
        for local in layer:
            merged[local.day] = local
    return merged


def override_layers(layers: Sequence[Sequence[LocalDay]]) -> list[Overrides]:
    """The layers as :class:`~services.routing.working_days.Overrides`, root first."""
    return [
        Overrides(
            days_off=frozenset(d.day for d in layer if d.kind is OverrideKind.day_off),
            working_days=frozenset(d.day for d in layer if d.kind is OverrideKind.working_day),
            source=str(layer[0].tenant_id) if layer else "",
        )
        for layer in layers
    ]


def explain_day(
    day: dt.date, schedule: YearSchedule | None, local: Mapping[dt.date, LocalDay]
) -> DayInfo:
    """Whether ``day`` is a working day for a tenant, and why (the rule that decided)."""
    override = local.get(day)
    if override is not None:
        if override.kind is OverrideKind.day_off:
            return DayInfo(day, False, DayReason.local_day_off, override.note, override.tenant_id)
        return DayInfo(day, True, DayReason.local_working_day, override.note, override.tenant_id)
    if schedule is not None and not schedule.provisional:
        if day in schedule.holidays:
            return DayInfo(day, False, DayReason.national_holiday)
        if day in schedule.workdays:
            return DayInfo(day, True, DayReason.makeup_workday)
    if day.weekday() >= 5:
        return DayInfo(day, False, DayReason.weekend)
    return DayInfo(day, True, DayReason.workday)


def parse_month(value: object) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month); anything else is ``InvalidInput("invalid_month")``."""
    match = _MONTH.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput("invalid_month", "month must be written YYYY-MM, e.g. 2026-10")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("invalid_month", f"{value} is not a month")
    return year, month


def month_days(year: int, month: int) -> list[dt.date]:
    last = _stdlib_calendar.monthrange(year, month)[1]
    return [dt.date(year, month, d) for d in range(1, last + 1)]


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 Asia/Shanghai of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SHANGHAI).astimezone(dt.UTC)


@dataclass(frozen=True)
class Window:
    """Which open deadlines a calendar change can move: tasks started (Shanghai day)
    before ``started_before`` and due at or after ``due_from``.

    A deadline counts the working days of (start day, due day]; a change of the
    days in [first, last] can only move deadlines whose interval meets those
    days: start day < last and due day ≥ first.
    """

    started_before: dt.datetime
    due_from: dt.datetime


def days_window(first: dt.date, last: dt.date) -> Window:
    return Window(
        started_before=start_of_day(last), due_from=start_of_day(first + dt.timedelta(days=1))
    )


def year_window(year: int) -> Window:
    """The deadlines that depend on the national schedule of ``year``."""
    return days_window(dt.date(year, 1, 1), dt.date(year, 12, 31))


def day_window(day: dt.date) -> Window:
    """The deadlines that a local override of ``day`` can move."""
    return days_window(day, day)
