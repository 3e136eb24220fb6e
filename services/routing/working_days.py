"""Working-day calendars and document deadlines (工作日历与办理时限, DESIGN 4.3).

Plain domain code: the standard library plus ``chinese_calendar``; no transport,
no database. Everything here can be imported and tested without nameko.

Model
-----
* :class:`YearSchedule` — the national schedule of one year: statutory holidays
  (法定节假日), make-up working days (调休上班日) and whether the year is
  ``provisional`` (the official schedule is not yet published: weekends only).
* :class:`Overrides` — one tenant's local adjustments (本地调整): extra days off
  (e.g. an ethnic autonomous prefecture's festival) and extra working days.
  Overrides are inherited down the tenant tree as a list of layers, root first;
  for a date that several layers mention, the later (more local) layer wins.
* :class:`WorkingDayCalendar` — the effective calendar of one tenant, answering
  "is this a working day" and doing working-day arithmetic quickly (per-year
  sorted arrays of working-day ordinals searched with :mod:`bisect`).

A day is a working day when, in order of increasing precedence:

1. it is Monday–Friday;
2. the national schedule of its year lists it as a holiday (→ day off) or as a
   make-up working day (→ working day);
3. an override layer mentions it (→ what the last layer that mentions it says).

A year with no national schedule at all is treated like a provisional one:
weekends only, and every computation touching it is marked provisional.

Deadline rule (超期文件管理)
----------------------------
The day of distribution (分办) does not count; the division has ``n`` working
days (default 3) counted from the next day, and the deadline is the end (24:00
Asia/Shanghai, i.e. 00:00 of the following calendar day) of the n-th working
day after the distribution date. Dates are always Asia/Shanghai dates.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import chinese_calendar

from services.common.vocabulary import SHANGHAI

__all__ = [
    "CalendarError",
    "Deadline",
    "Overrides",
    "WorkingDayCalendar",
    "YearSchedule",
    "distribution_deadline",
    "effective_calendar",
    "inherited_layers",
    "known_years",
    "national_schedule_from_chinese_calendar",
    "national_schedules",
    "reminder_time",
    "step_deadline",
]

DEFAULT_TIME_LIMIT_WORKING_DAYS = 3
"""Default time limit of a distribution or a step, in working days (DESIGN 4.3)."""

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


class CalendarError(ValueError):
    """Invalid calendar data or an invalid deadline computation request.

    ``code`` is a stable machine-readable reason, e.g. ``"date_outside_year"``,
    ``"day_both_holiday_and_workday"``, ``"naive_datetime"``, ``"bad_time_limit"``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _require_dates(values: Iterable[date], what: str) -> frozenset[date]:
    days = frozenset(values)
    for d in days:
        # datetime is a subclass of date but would never match a date lookup.
        if not isinstance(d, date) or isinstance(d, datetime):
            raise CalendarError("not_a_date", f"{what}: {d!r} is not a calendar date")
    return days


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """The national working-day schedule of one calendar year (全国节假日安排).

    * ``holidays`` — days off by statute (法定节假日及调休放假日). Any date of the
      year may be listed: a listed weekday becomes a day off; a listed weekend
      day is allowed (the official notices list the whole holiday span, e.g.
      1–7 Oct) and changes nothing, since weekends are off anyway.
    * ``workdays`` — make-up working days (调休上班日): weekend days that are
      working days. Listing a Monday–Friday date here is refused as a data error.
    * ``provisional`` — True when the official schedule of the year is not yet
      published; the year is then computed with weekends only, so a provisional
      schedule must list no holidays and no workdays.

    The schedule validates itself on construction (see :meth:`validate`).
    """

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    provisional: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", _require_dates(self.holidays, "holiday"))
        object.__setattr__(self, "workdays", _require_dates(self.workdays, "workday"))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`CalendarError` unless the schedule is consistent."""
        if not 1 <= self.year <= 9999:
            raise CalendarError("bad_year", f"year {self.year} is out of range")
        for d in sorted(self.holidays | self.workdays):
            if d.year != self.year:
                raise CalendarError(
                    "date_outside_year",
                    f"{d.isoformat()} is not in the {self.year} schedule's year",
                )
        both = self.holidays & self.workdays
        if both:
            first = min(both)
            raise CalendarError(
                "day_both_holiday_and_workday",
                f"{first.isoformat()} is listed both as a holiday and as a make-up working day",
            )
        weekday_workdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekday_workdays:
            raise CalendarError(
                "workday_not_weekend",
                f"make-up working day {weekday_workdays[0].isoformat()} is not a Saturday or Sunday",
            )
        if self.provisional and (self.holidays or self.workdays):
            raise CalendarError(
                "provisional_with_days",
                f"provisional schedule of {self.year} must be weekends only",
            )

    @classmethod
    def weekends_only(cls, year: int) -> YearSchedule:
        """A provisional schedule: the official one for ``year`` is not yet published."""
        return cls(year=year, provisional=True)


@dataclass(frozen=True, slots=True)
class Overrides:
    """One tenant's local calendar adjustments (本地调整), one layer of the tenant tree.

    * ``days_off`` — local days off, e.g. an ethnic autonomous prefecture's
      festival (民族节日放假).
    * ``working_days`` — local working days, including national holidays that
      this tenant works (a later layer may turn an earlier decision back).

    Dates of any year may be listed. A date may not be in both sets.
    ``source`` names the layer (tenant id or label) for messages and traces.
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "days_off", _require_dates(self.days_off, "day off"))
        object.__setattr__(self, "working_days", _require_dates(self.working_days, "working day"))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`CalendarError` unless the layer is consistent."""
        both = self.days_off & self.working_days
        if both:
            first = min(both)
            where = f" in overrides of {self.source}" if self.source else ""
            raise CalendarError(
                "day_both_holiday_and_workday",
                f"{first.isoformat()} is listed both as a day off and as a working day{where}",
            )


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a time limit runs out (办理时限).

    ``due_at`` is the end of ``due_date`` in Asia/Shanghai, expressed in UTC;
    ``due_date`` is the last working day (Shanghai date); ``provisional`` is True
    when the computation relied on a year whose official schedule is not
    published (it must be recomputed when that year is published).
    """

    due_at: datetime
    due_date: date
    provisional: bool


K = TypeVar("K", bound=Hashable)


def inherited_layers(
    ancestry: Sequence[K], overrides_by_tenant: Mapping[K, Overrides]
) -> list[Overrides]:
    """The override layers a tenant inherits, root first.

    ``ancestry`` is the tenant's path in the tenant tree from the root down to
    the tenant itself (e.g. province, city/prefecture, county); tenants without
    overrides contribute no layer.
    """
    return [overrides_by_tenant[t] for t in ancestry if t in overrides_by_tenant]


class WorkingDayCalendar:
    """The effective working-day calendar of one tenant (national + inherited overrides).

    Immutable from the outside. Working-day arithmetic uses lazily built, cached
    per-year sorted arrays of working-day ordinals and :func:`bisect`, so it costs
    O(log 366) per year crossed rather than a loop over days.
    """

    __slots__ = ("_national", "_overrides", "_provisional_years", "_year_days", "_year_sets")

    def __init__(
        self,
        national: Mapping[int, YearSchedule] | None = None,
        layers: Sequence[Overrides] = (),
    ) -> None:
        national = dict(national or {})
        for year, schedule in national.items():
            if schedule.year != year:
                raise CalendarError(
                    "year_mismatch", f"schedule of {schedule.year} filed under year {year}"
                )
        merged: dict[date, bool] = {}
        for layer in layers:
            for d in layer.days_off:
                merged[d] = False
            for d in layer.working_days:
                merged[d] = True
        self._national: dict[int, YearSchedule] = national
        self._overrides: dict[date, bool] = merged
        self._provisional_years: frozenset[int] = frozenset(
            y for y, s in national.items() if s.provisional
        )
        self._year_days: dict[int, list[int]] = {}
        self._year_sets: dict[int, frozenset[int]] = {}

    # ------------------------------------------------------------ year tables

    def _days_of(self, year: int) -> list[int]:
        days = self._year_days.get(year)
        if days is None:
            days = self._build_year(year)
        return days

    def _build_year(self, year: int) -> list[int]:
        schedule = self._national.get(year)
        holidays = schedule.holidays if schedule else frozenset()
        workdays = schedule.workdays if schedule else frozenset()
        overrides = self._overrides
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        days: list[int] = []
        for ordinal in range(first, last + 1):
            d = date.fromordinal(ordinal)
            working = d.weekday() < 5
            if d in holidays:
                working = False
            elif d in workdays:
                working = True
            working = overrides.get(d, working)
            if working:
                days.append(ordinal)
        # Publish the set before the list: readers look the list up first.
        self._year_sets[year] = frozenset(days)
        self._year_days[year] = days
        return days

    # ------------------------------------------------------------ queries

    def is_provisional_year(self, year: int) -> bool:
        """True when ``year`` has no published national schedule (weekends only)."""
        return year not in self._national or year in self._provisional_years

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (a Shanghai calendar date) is a working day for this tenant."""
        year = d.year
        days = self._year_sets.get(year)
        if days is None:
            self._build_year(year)
            days = self._year_sets[year]
        return d.toordinal() in days

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start`` (strictly before it if n < 0).

        ``start`` itself never counts, whether or not it is a working day;
        ``n == 0`` returns ``start``.
        """
        if n == 0:
            return start
        ordinal = start.toordinal()
        year = start.year
        if n > 0:
            days = self._days_of(year)
            i = bisect_right(days, ordinal)
            while True:
                remaining = len(days) - i
                if n <= remaining:
                    return date.fromordinal(days[i + n - 1])
                n -= remaining
                year += 1
                days = self._days_of(year)
                i = 0
        days = self._days_of(year)
        i = bisect_left(days, ordinal)  # days[:i] are strictly before start
        n = -n
        while True:
            if n <= i:
                return date.fromordinal(days[i - n])
            n -= i
            year -= 1
            days = self._days_of(year)
            i = len(days)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in the interval (a, b] — e.g. working days late.

        Signed: if ``b`` is before ``a`` the result is minus the working days in (b, a].
        """
        if b < a:
            return -self.working_days_between(b, a)
        if a.year == b.year:
            days = self._days_of(a.year)
            return bisect_right(days, b.toordinal()) - bisect_right(days, a.toordinal())
        total = len(self._days_of(a.year)) - bisect_right(self._days_of(a.year), a.toordinal())
        for year in range(a.year + 1, b.year):
            total += len(self._days_of(year))
        total += bisect_right(self._days_of(b.year), b.toordinal())
        return total

    def provisional_years_used(self, a: date, b: date) -> set[int]:
        """The provisional (or unknown) years among the dates of (a, b].

        These are the years on whose publication a computation over that
        interval (a deadline, a count of days late) depends. Order-insensitive.
        """
        lo, hi = (a, b) if a <= b else (b, a)
        if lo == hi:
            return set()
        first_year = (lo + _ONE_DAY).year
        return {y for y in range(first_year, hi.year + 1) if self.is_provisional_year(y)}

    def _touches_provisional(self, start: date, end: date) -> bool:
        # Fast path of provisional_years_used(start, end) != set() for start < end.
        first_year = start.year if start.month != 12 or start.day != 31 else start.year + 1
        for y in range(first_year, end.year + 1):
            if y not in self._national or y in self._provisional_years:
                return True
        return False


def effective_calendar(
    national: dict[int, YearSchedule], layers: list[Overrides]
) -> WorkingDayCalendar:
    """The calendar of a tenant: the national schedules plus its inherited override layers.

    ``layers`` are ordered from the root of the tenant tree down (province, then
    city/prefecture, then county); for a date that several layers mention the
    later layer wins. Years missing from ``national`` count as provisional.
    """
    for layer in layers:
        layer.validate()
    for schedule in national.values():
        schedule.validate()
    return WorkingDayCalendar(national, layers)


# --------------------------------------------------------------- chinese_calendar


@functools.cache
def known_years() -> tuple[int, ...]:
    """The years for which the installed ``chinese_calendar`` has official data, ascending."""
    return tuple(sorted({d.year for d in chinese_calendar.holidays}))


@functools.cache
def national_schedule_from_chinese_calendar(year: int) -> YearSchedule:
    """The national schedule of ``year`` from ``chinese_calendar``'s data.

    ``holidays`` are the package's holiday dates (whole holiday spans, weekend
    days included); ``workdays`` its make-up working days (调休). For a year the
    package does not know (it raises ``NotImplementedError``) the result is a
    provisional weekends-only schedule.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return YearSchedule.weekends_only(year)
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year == year),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year == year),
        provisional=False,
    )


def national_schedules(years: Iterable[int] | None = None) -> dict[int, YearSchedule]:
    """National schedules keyed by year; by default every year in :func:`known_years`."""
    chosen = known_years() if years is None else years
    return {y: national_schedule_from_chinese_calendar(y) for y in chosen}


# --------------------------------------------------------------- deadlines


@functools.lru_cache(maxsize=4096)
def _end_of_day_utc(ordinal: int) -> datetime:
    """24:00 Asia/Shanghai of the given day (00:00 of the next day), in UTC."""
    next_day = date.fromordinal(ordinal + 1)
    return datetime.combine(next_day, _MIDNIGHT, tzinfo=SHANGHAI).astimezone(UTC)


def _shanghai_date(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(
            "naive_datetime", f"{moment.isoformat()} has no time zone; pass an aware datetime"
        )
    return moment.astimezone(SHANGHAI).date()


def _check_time_limit(working_days: int) -> None:
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        raise CalendarError(
            "bad_time_limit",
            f"time limit must be a whole number ≥ 1 of working days, got {working_days!r}",
        )


def step_deadline(
    started_at: datetime,
    calendar: WorkingDayCalendar,
    working_days: int = DEFAULT_TIME_LIMIT_WORKING_DAYS,
) -> Deadline:
    """Deadline of a step (承办节点, 处室审核节点) with a time limit in working days.

    The Shanghai day on which the step started does not count; the deadline is
    the end (24:00 Asia/Shanghai) of the ``working_days``-th working day after it.
    """
    _check_time_limit(working_days)
    start = _shanghai_date(started_at)
    due = calendar.add_working_days(start, working_days)
    return Deadline(
        due_at=_end_of_day_utc(due.toordinal()),
        due_date=due,
        provisional=calendar._touches_provisional(start, due),
    )


def distribution_deadline(
    distributed_at: datetime,
    calendar: WorkingDayCalendar,
    working_days: int = DEFAULT_TIME_LIMIT_WORKING_DAYS,
) -> Deadline:
    """Deadline for a division to sign for and process a distributed document (分办时限).

    The distribution day (Asia/Shanghai) does not count; the division has
    ``working_days`` (default 3) working days from the next day, and the deadline
    is the end (24:00 Asia/Shanghai) of the last of them (DESIGN 4.3).
    """
    return step_deadline(distributed_at, calendar, working_days)


def reminder_time(deadline: Deadline, calendar: WorkingDayCalendar, hour: int = 9) -> datetime:
    """When to send the automatic reminder (催办提醒): ``hour``:00 Shanghai of the last working day.

    The last working day is ``deadline.due_date``; should it no longer be a
    working day in ``calendar`` (the calendar changed since), the working day
    before it is used. Returned in UTC.
    """
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise CalendarError("bad_reminder_hour", f"reminder hour must be 0–23, got {hour!r}")
    day = deadline.due_date
    if not calendar.is_working_day(day):
        day = calendar.add_working_days(day, -1)
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI).astimezone(UTC)
