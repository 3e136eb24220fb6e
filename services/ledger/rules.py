"""The ledger's rules, as plain functions (no transport, no database): the delayed rule
of a work item (已延期 by itself), the checks of a progress update and of a planned
period, who may do what, and the working-day arithmetic of the daily ledger.

Calendar days are Asia/Shanghai days (DESIGN 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.vocabulary import SHANGHAI, Role
from services.ledger.schemas import ItemStatus

#: who registers suppliers and keeps their work items (the e-government division's staff
#: and the tenant administrator): any of these roles
MANAGER_ROLES = frozenset({Role.tenant_admin, Role.division_head, Role.handler})
#: who sees the division's view of the daily ledger: a division head (their own unit)
#: and the tenant administrator (any unit)
DIVISION_VIEW_ROLES = frozenset({Role.division_head, Role.tenant_admin})
#: statuses that are never shown as delayed by the date: done, and suspended on purpose
NOT_DELAYED_BY_DATE = frozenset({ItemStatus.done, ItemStatus.suspended})


def shanghai_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of an instant."""
    return moment.astimezone(SHANGHAI).date()


# -- the delayed rule (已延期) ---------------------------------------------------------------------


def is_delayed(status: ItemStatus | str, planned_end: dt.date, today: dt.date) -> bool:
    """An item is delayed (red) when the division set it 已延期, or when its planned end
    day (Shanghai) has passed — ``today`` is after it — and it is neither done nor
    suspended (已暂停: paused on purpose, it shows as paused)."""
    status = ItemStatus(status)
    if status is ItemStatus.delayed:
        return True
    if status in NOT_DELAYED_BY_DATE:
        return False
    return today > planned_end


def shown_status(status: ItemStatus | str, planned_end: dt.date, today: dt.date) -> ItemStatus:
    """What the ledger shows: 已延期 for a delayed item, whatever its stored status."""
    return ItemStatus.delayed if is_delayed(status, planned_end, today) else ItemStatus(status)


# -- checks ----------------------------------------------------------------------------------------


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidInput("end_before_start", "计划结束日期不能早于计划开始日期")


def check_percent(percent: int) -> None:
    if isinstance(percent, bool) or not 0 <= percent <= 100:
        raise InvalidInput("percent_out_of_range", "完成百分比须在 0 到 100 之间")


def check_progress_allowed(status: ItemStatus | str) -> None:
    """A progress update goes on an item not done and not suspended."""
    status = ItemStatus(status)
    if status is ItemStatus.done:
        raise Conflict("item_done", "该事项已完成，不能再更新进度")
    if status is ItemStatus.suspended:
        raise Conflict("item_suspended", "该事项已暂停，不能更新进度")


def status_after_progress(status: ItemStatus | str) -> ItemStatus:
    """A first progress update starts a not-started item (未开始 → 进行中)."""
    status = ItemStatus(status)
    return ItemStatus.in_progress if status is ItemStatus.not_started else status


def is_supplier(roles: Iterable[str]) -> bool:
    """A caller with the ``supplier`` role sees only its company's items."""
    return Role.supplier in set(roles)


def can_manage(roles: Iterable[str]) -> bool:
    held = set(roles)
    return not is_supplier(held) and bool(held & MANAGER_ROLES)


def require_manager(roles: Iterable[str]) -> None:
    if not can_manage(roles):
        raise Forbidden("ledger_manager_required", "只有电子政务处工作人员可以管理供应商台账")


def require_staff(roles: Iterable[str]) -> None:
    """The daily ledger is the staff's: not a supplier's."""
    if is_supplier(roles):
        raise Forbidden("staff_only", "供应商不填写每日台账")


def check_entry_day(day: dt.date, today: dt.date) -> None:
    if day > today:
        raise InvalidInput("future_day", "不能填写将来日期的台账")


# -- working days ----------------------------------------------------------------------------------


def previous_working_day(today: dt.date, working: Mapping[dt.date, bool]) -> dt.date:
    """The last working day before ``today``, from the calendar's days (``working``: day →
    working or not; a day missing from it counts as Monday–Friday)."""
    day = today - dt.timedelta(days=1)
    for _ in range(366):
        if working.get(day, day.isoweekday() <= 5):
            return day
        day -= dt.timedelta(days=1)
    return today - dt.timedelta(days=1)


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM`` (422 ``invalid_month``)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = dt.date(year, number, 1)
    except (ValueError, TypeError):
        raise InvalidInput("invalid_month", "month must be YYYY-MM") from None
    following = dt.date(year + (number == 12), number % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def months_of(first: dt.date, last: dt.date) -> list[str]:
    """The ``YYYY-MM`` months from ``first`` to ``last``."""
    out: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
