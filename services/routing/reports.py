"""Pure rules of the overdue reports (超期通报, DESIGN 4.3): which month a deadline
belongs to, working days late, and the counts per division, per person and per month.

Definitions
-----------
* A task belongs to the month (Asia/Shanghai) its deadline falls in: the deadline
  is the end (24:00) of its last working day, so a task due at the end of 31 Oct
  is October's.
* A task is overdue when it was not done by its deadline: marked overdue by the
  scanner, or still open past it, or finished after it.
* Working days late: the working days of the tenant's calendar after the last
  working day up to and including the day the task was finally signed for /
  processed (or today, while it is still open). A task finished on the
  non-working days right after its deadline is overdue by 0 working days.
* An overdue document (of a month, a division, a person) is a document with at
  least one such task; a document late in two divisions counts once in the
  month's total and once for each division.
* The share of documents overdue of a month is the number of overdue documents
  divided by the number of documents with at least one task whose deadline fell
  in that month (0 when there are none).

No database and no transport.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI
from services.routing.calendar_rules import parse_month, start_of_day
from services.routing.schemas import (
    DivisionCount,
    MonthCount,
    OverdueItem,
    OverdueTotals,
    PersonCount,
    TaskStatus,
)
from services.routing.working_days import WorkingDayCalendar

MAX_TREND_MONTHS = 36
_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def deadlines(self) -> tuple[dt.datetime, dt.datetime]:
        """The deadlines of the month: due_at in (start of its first day, start of the
        next month's first day], Asia/Shanghai (a deadline is 24:00 of its last day)."""
        return start_of_day(self.first_day), start_of_day(self.next().first_day)

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)


def shanghai_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def deadline_day(due_at: dt.datetime) -> dt.date:
    """The last working day of a deadline (due_at is 24:00 of it, Asia/Shanghai)."""
    return shanghai_date(due_at - _TICK)


def report_month(text: object, now: dt.datetime) -> Month:
    """The month of a report: ``YYYY-MM`` (``invalid_month``), not after the current
    month in Asia/Shanghai (``month_in_future``)."""
    year, month = parse_month(text)
    wanted, current = Month(year, month), Month.of(shanghai_date(now))
    if wanted > current:
        raise InvalidInput("month_in_future", f"{wanted.label} has not begun yet")
    return wanted


def trend_months(now: dt.datetime, count: int) -> list[Month]:
    """The last ``count`` months, oldest first, ending with the current one."""
    if isinstance(count, bool) or not 1 <= count <= MAX_TREND_MONTHS:
        raise InvalidInput("bad_months", f"months must be from 1 to {MAX_TREND_MONTHS}")
    months = [Month.of(shanghai_date(now))]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


@dataclass(frozen=True)
class OverdueTask:
    """What a report needs of one overdue task (from the tasks and document summaries)."""

    task_id: uuid.UUID
    document_id: uuid.UUID
    doc_number: str | None
    title: str
    step: str
    step_name: str
    status: TaskStatus
    due_at: dt.datetime
    completed_at: dt.datetime | None
    unit_id: uuid.UUID | None
    person_id: uuid.UUID | None  # who held it when it became overdue (None: pooled)


def working_days_late(task: OverdueTask, calendar: WorkingDayCalendar, now: dt.datetime) -> int:
    end = task.completed_at if task.status is not TaskStatus.open and task.completed_at else now
    return max(0, calendar.working_days_between(deadline_day(task.due_at), shanghai_date(end)))


def items(
    tasks: Iterable[OverdueTask],
    calendar: WorkingDayCalendar,
    now: dt.datetime,
    unit_names: Mapping[uuid.UUID, str],
    person_names: Mapping[uuid.UUID, str | None],
) -> list[OverdueItem]:
    """The listed items, by deadline then document number."""
    out = [
        OverdueItem(
            task_id=t.task_id,
            document_id=t.document_id,
            doc_number=t.doc_number,
            title=t.title,
            unit_id=t.unit_id,
            unit_name=unit_names.get(t.unit_id) if t.unit_id else None,
            handler_id=t.person_id,
            handler_name=person_names.get(t.person_id) if t.person_id else None,
            step=t.step,
            step_name=t.step_name,
            due_at=t.due_at,
            due_date=deadline_day(t.due_at),
            finished_at=None if t.status is TaskStatus.open else t.completed_at,
            status=t.status,
            still_open=t.status is TaskStatus.open,
            working_days_late=working_days_late(t, calendar, now),
        )
        for t in tasks
    ]
    out.sort(key=lambda i: (i.due_at, i.doc_number or "", str(i.task_id)))
    return out


K = TypeVar("K", bound=Hashable)


def _count(
    rows: Iterable[OverdueItem], key: Callable[[OverdueItem], K]
) -> dict[K, tuple[int, int]]:
    """Per key: (distinct documents, items)."""
    docs: dict[K, set[uuid.UUID]] = defaultdict(set)
    count: dict[K, int] = defaultdict(int)
    for item in rows:
        docs[key(item)].add(item.document_id)
        count[key(item)] += 1
    return {k: (len(docs[k]), count[k]) for k in count}


def _unit_key(item: OverdueItem) -> uuid.UUID | None:
    return item.unit_id


def _person_key(item: OverdueItem) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    return item.handler_id, item.unit_id


def by_division(rows: Sequence[OverdueItem]) -> list[DivisionCount]:
    """Overdue documents and tasks per division, most overdue documents first."""
    names = {i.unit_id: i.unit_name for i in rows}
    out = [
        DivisionCount(
            unit_id=unit_id, unit_name=names.get(unit_id), overdue_documents=docs, overdue_items=n
        )
        for unit_id, (docs, n) in _count(rows, _unit_key).items()
    ]
    out.sort(
        key=lambda c: (-c.overdue_documents, -c.overdue_items, c.unit_name or "", str(c.unit_id))
    )
    return out


def by_person(rows: Sequence[OverdueItem]) -> list[PersonCount]:
    """Overdue documents and tasks per person (tasks pooled to a division when they
    became overdue are the division's only), most overdue documents first."""
    named = [i for i in rows if i.handler_id is not None]
    info = {_person_key(i): (i.handler_name, i.unit_name) for i in named}
    out = []
    for (user_id, unit_id), (docs, n) in _count(named, _person_key).items():
        assert user_id is not None
        user_name, unit_name = info[(user_id, unit_id)]
        out.append(
            PersonCount(
                user_id=user_id,
                user_name=user_name,
                unit_id=unit_id,
                unit_name=unit_name,
                overdue_documents=docs,
                overdue_items=n,
            )
        )
    out.sort(
        key=lambda c: (-c.overdue_documents, -c.overdue_items, c.user_name or "", str(c.user_id))
    )
    return out


def totals(rows: Sequence[OverdueItem], documents_with_deadline: int) -> OverdueTotals:
    overdue_documents = len({i.document_id for i in rows})
    share = overdue_documents / documents_with_deadline if documents_with_deadline else 0.0
    return OverdueTotals(
        overdue_documents=overdue_documents,
        overdue_items=len(rows),
        documents_with_deadline=documents_with_deadline,
        overdue_share=round(min(share, 1.0), 4),
    )


def trend(rows: Sequence[OverdueItem], months: Sequence[Month]) -> list[MonthCount]:
    """Overdue documents and tasks per month (of the deadline), for each of ``months``."""
    docs: dict[Month, set[uuid.UUID]] = defaultdict(set)
    count: dict[Month, int] = defaultdict(int)
    for item in rows:
        month = Month.of(item.due_date)
        docs[month].add(item.document_id)
        count[month] += 1
    return [
        MonthCount(month=m.label, overdue_documents=len(docs[m]), overdue_items=count[m])
        for m in months
    ]
