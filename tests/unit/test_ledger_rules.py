"""The ledger's rules without a broker or a database: the delayed rule (已延期 by itself,
on Shanghai calendar days), the checks of a progress update and of a planned period,
the previous working day, and the workbooks of the exports, opened cell by cell."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import openpyxl
import pytest

from gateway import ledger_exports
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.ledger import rules
from services.ledger.schemas import (
    DivisionMonth,
    EntryLink,
    EntryOut,
    ItemOut,
    ItemStatus,
    MonthlySummary,
    PersonMonth,
    Priority,
    SupplierMonth,
)

END = dt.date(2026, 12, 10)


@pytest.mark.parametrize(
    ("status", "today", "delayed"),
    [
        (ItemStatus.in_progress, dt.date(2026, 12, 10), False),  # the end day itself: on time
        (ItemStatus.in_progress, dt.date(2026, 12, 11), True),  # the day after: delayed
        (ItemStatus.not_started, dt.date(2026, 12, 11), True),
        (ItemStatus.done, dt.date(2027, 1, 30), False),  # done: never delayed
        (ItemStatus.suspended, dt.date(2027, 1, 30), False),  # paused on purpose
        (ItemStatus.delayed, dt.date(2026, 12, 1), True),  # set by the division: delayed
        (ItemStatus.not_started, dt.date(2026, 12, 1), False),
    ],
)
def test_the_delayed_rule(status: ItemStatus, today: dt.date, delayed: bool) -> None:
    assert rules.is_delayed(status, END, today) is delayed
    shown = rules.shown_status(status, END, today)
    assert shown is (ItemStatus.delayed if delayed else status)


def test_the_day_is_the_shanghai_day() -> None:
    # 16:30 UTC on the 10th is 00:30 on the 11th in Shanghai: the end day has passed there
    late = dt.datetime(2026, 12, 10, 16, 30, tzinfo=dt.UTC)
    assert rules.shanghai_day(late) == dt.date(2026, 12, 11)
    assert rules.is_delayed(ItemStatus.in_progress, END, rules.shanghai_day(late))
    early = dt.datetime(2026, 12, 10, 15, 59, tzinfo=dt.UTC)
    assert not rules.is_delayed(ItemStatus.in_progress, END, rules.shanghai_day(early))


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_a_percentage_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(InvalidInput) as info:
        rules.check_percent(percent)
    assert info.value.code == "percent_out_of_range"


@pytest.mark.parametrize("percent", [0, 55, 100])
def test_a_percentage_from_0_to_100_passes(percent: int) -> None:
    rules.check_percent(percent)


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        rules.check_period(dt.date(2026, 12, 10), dt.date(2026, 12, 9))
    assert info.value.code == "end_before_start"
    rules.check_period(dt.date(2026, 12, 10), dt.date(2026, 12, 10))


def test_no_progress_on_a_done_or_suspended_item() -> None:
    for status, code in ((ItemStatus.done, "item_done"), (ItemStatus.suspended, "item_suspended")):
        with pytest.raises(Conflict) as info:
            rules.check_progress_allowed(status)
        assert info.value.code == code
    rules.check_progress_allowed(ItemStatus.delayed)
    assert rules.status_after_progress(ItemStatus.not_started) is ItemStatus.in_progress
    assert rules.status_after_progress(ItemStatus.delayed) is ItemStatus.delayed


def test_who_manages_the_supplier_ledger() -> None:
    assert rules.can_manage({"handler"}) and rules.can_manage({"tenant_admin"})
    assert not rules.can_manage({"auditor"}) and not rules.can_manage({"registrar"})
    assert not rules.can_manage({"supplier", "handler"})  # a supplier stays a supplier
    with pytest.raises(Forbidden):
        rules.require_manager({"supplier"})


def test_a_future_day_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        rules.check_entry_day(dt.date(2026, 12, 3), dt.date(2026, 12, 2))
    assert info.value.code == "future_day"
    rules.check_entry_day(dt.date(2026, 12, 2), dt.date(2026, 12, 2))


def test_the_previous_working_day_skips_holidays_and_weekends() -> None:
    # Monday 2026-10-12 after the National Day holiday: Sat 10-10 a make-up working day
    calendar = {dt.date(2026, 10, d): d in (9, 10) for d in range(1, 12)}
    assert rules.previous_working_day(dt.date(2026, 10, 12), calendar) == dt.date(2026, 10, 10)
    # a Monday of an ordinary week: the Friday before
    assert rules.previous_working_day(dt.date(2026, 12, 7), {}) == dt.date(2026, 12, 4)


def test_month_bounds() -> None:
    assert rules.month_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert rules.month_bounds("2028-02") == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert rules.months_of(dt.date(2026, 11, 20), dt.date(2027, 1, 2)) == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    with pytest.raises(InvalidInput):
        rules.month_bounds("2026-13")


# -- the workbooks -------------------------------------------------------------------------------


NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


def _item(title: str, **extra: object) -> ItemOut:
    base: dict[str, object] = {
        "id": uuid.uuid4(),
        "title": title,
        "description": "",
        "project": "电子政务网二期",
        "supplier_id": uuid.uuid4(),
        "supplier_name": "黔云科技",
        "supplier_person_id": None,
        "supplier_person_name": "陈工",
        "owner_id": None,
        "owner_name": "李承办",
        "planned_start": dt.date(2026, 11, 1),
        "planned_end": dt.date(2026, 11, 30),
        "priority": Priority.high,
        "priority_label": "高",
        "status": ItemStatus.in_progress,
        "shown_status": ItemStatus.delayed,
        "shown_status_label": "已延期",
        "delayed": True,
        "percent": 60,
        "last_progress_at": NOW,
        "last_progress_text": "完成设备上架",
        "completed_at": None,
        "created_at": NOW,
        "updated_at": NOW,
        "can_update_progress": False,
        "can_manage": True,
    }
    base.update(extra)
    return ItemOut.model_validate(base)


def test_the_items_workbook_cell_by_cell() -> None:
    items = [_item("核心交换机升级"), _item('=HYPERLINK("x")', delayed=False, shown_status="done")]
    sheet = openpyxl.load_workbook(io.BytesIO(ledger_exports.items_xlsx(items))).active
    assert sheet.title == "专项工作台账"
    assert [c.value for c in sheet[1]] == list(ledger_exports.ITEM_HEADERS)
    assert [c.value for c in sheet[2]] == [
        1,
        "核心交换机升级",
        "电子政务网二期",
        "黔云科技",
        "陈工",
        "李承办",
        dt.datetime(2026, 11, 1),
        dt.datetime(2026, 11, 30),
        "高",
        "已延期",
        "是",
        60,
        "完成设备上架",
    ]
    assert sheet["B3"].value == '\'=HYPERLINK("x")'  # text, never a formula
    assert sheet["J3"].value == "已完成" and sheet["K3"].value == "否"
    assert sheet.max_row == 3


def test_the_monthly_summary_workbook_cell_by_cell() -> None:
    summary = MonthlySummary(
        month="2026-12",
        suppliers=[
            SupplierMonth(
                supplier_id=uuid.uuid4(),
                supplier_name="甲公司",
                total=3,
                done=1,
                in_progress=1,
                delayed=1,
                not_started=0,
                suspended=0,
                completed_in_month=1,
            ),
            SupplierMonth(
                supplier_id=uuid.uuid4(),
                supplier_name="乙公司",
                total=2,
                done=0,
                in_progress=0,
                delayed=0,
                not_started=1,
                suspended=1,
                completed_in_month=0,
            ),
        ],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(ledger_exports.summary_xlsx(summary))).active
    assert sheet.title == "2026-12月度汇总"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        list(ledger_exports.SUMMARY_HEADERS),
        ["甲公司", 3, 1, 1, 1, 0, 0, 1],
        ["乙公司", 2, 0, 0, 0, 1, 1, 0],
        ["合计", 5, 1, 1, 1, 1, 1, 1],
    ]


def test_the_daily_workbook_cell_by_cell() -> None:
    who = uuid.uuid4()
    entry = EntryOut(
        id=uuid.uuid4(),
        user_id=who,
        user_name="李承办",
        org_unit_id=None,
        day=dt.date(2026, 12, 1),
        content="办理来文",
        links=[EntryLink(kind="document", id=uuid.uuid4(), title="关于年底工作的通知")],
        created_at=NOW,
        updated_at=NOW,
    )
    month = DivisionMonth(
        unit_id=uuid.uuid4(),
        month="2026-12",
        working_days=23,
        people=[
            PersonMonth(
                user_id=who,
                name="李承办",
                entries=1,
                days_filled=1,
                working_days=1,
                working_days_missing=0,
            )
        ],
        entries=[entry],
    )
    book = openpyxl.load_workbook(io.BytesIO(ledger_exports.daily_xlsx(month)))
    assert book.sheetnames == ["台账明细", "人员汇总"]
    assert [[c.value for c in row] for row in book["台账明细"].iter_rows()] == [
        list(ledger_exports.ENTRY_HEADERS),
        [dt.datetime(2026, 12, 1), "李承办", "办理来文", "关于年底工作的通知"],
    ]
    assert [[c.value for c in row] for row in book["人员汇总"].iter_rows()] == [
        list(ledger_exports.PERSON_HEADERS),
        ["李承办", 1, 1, 1, 0],
    ]
