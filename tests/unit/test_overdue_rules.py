"""Pure rules of overdue management (DESIGN 4.3): why a day is worked, which deadlines a
calendar change can move, deadlines and reminders, the report's month, days late and
counts, and the XLSX / CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import openpyxl
import pytest

from gateway import exports
from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI
from services.routing import calendar_rules, deadlines, reports, scanner
from services.routing.calendar_rules import LocalDay
from services.routing.reports import Month, OverdueTask
from services.routing.schemas import (
    DayReason,
    OverrideKind,
    TaskStatus,
)
from services.routing.working_days import (
    WorkingDayCalendar,
    YearSchedule,
    effective_calendar,
    national_schedules,
)
from tests.support.reports import sample_report

D = dt.date
PROVINCE, CITY, COUNTY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def sh(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def national() -> WorkingDayCalendar:
    return effective_calendar(national_schedules(), [])


# -- why a day is (not) worked --------------------------------------------------------------------


def test_a_day_is_explained_by_the_rule_that_decided_it():
    schedule = national_schedules([2026])[2026]
    local = calendar_rules.merged_local_days(
        [
            [LocalDay(D(2026, 10, 12), OverrideKind.day_off, "省里放假", PROVINCE)],
            [
                LocalDay(D(2026, 10, 12), OverrideKind.working_day, "州里上班", CITY),
                LocalDay(D(2026, 10, 1), OverrideKind.working_day, "值班", CITY),
            ],
        ]
    )
    explain = calendar_rules.explain_day
    assert explain(D(2026, 10, 2), schedule, local).reason is DayReason.national_holiday
    assert explain(D(2026, 10, 10), schedule, local).reason is DayReason.makeup_workday
    assert explain(D(2026, 10, 17), schedule, local).reason is DayReason.weekend
    assert explain(D(2026, 10, 13), schedule, local).reason is DayReason.workday
    # the more local layer wins; a local working day beats a national holiday
    day = explain(D(2026, 10, 12), schedule, local)
    assert (day.working, day.reason, day.note, day.source_tenant_id) == (
        True,
        DayReason.local_working_day,
        "州里上班",
        CITY,
    )
    assert explain(D(2026, 10, 1), schedule, local).reason is DayReason.local_working_day
    # a provisional (unknown) year: weekends only
    assert explain(D(2027, 1, 1), None, {}).reason is DayReason.workday


def test_the_explanation_agrees_with_the_calendar_deadlines_are_computed_with():
    schedules = national_schedules([2026])
    layers = [
        [LocalDay(D(2026, 12, 9), OverrideKind.day_off, "苗年", CITY)],
        [LocalDay(D(2026, 12, 12), OverrideKind.working_day, "补班", COUNTY)],
    ]
    calendar = effective_calendar(schedules, calendar_rules.override_layers(layers))
    local = calendar_rules.merged_local_days(layers)
    for day in calendar_rules.month_days(2026, 12):
        assert calendar_rules.explain_day(day, schedules[2026], local).working == (
            calendar.is_working_day(day)
        ), day


def test_a_schedule_is_refused_with_the_calendar_error_code():
    for holidays, workdays, code in [
        ([D(2027, 1, 1), D(2028, 1, 1)], [], "date_outside_year"),
        ([D(2027, 2, 14)], [D(2027, 2, 14)], "day_both_holiday_and_workday"),
        ([], [D(2027, 2, 15)], "workday_not_weekend"),
    ]:
        with pytest.raises(InvalidInput) as err:
            calendar_rules.schedule_of(2027, holidays, workdays)
        assert err.value.code == code
    with pytest.raises(InvalidInput) as err:
        calendar_rules.schedule_of(1800, [], [])
    assert err.value.code == "bad_year"
    ok = calendar_rules.schedule_of(2027, [D(2027, 1, 1)], [D(2027, 2, 14)])
    assert not ok.provisional and ok.holidays == {D(2027, 1, 1)}


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026/10", "26-10", "", None, 202610])
def test_malformed_months_are_refused(text: object):
    with pytest.raises(InvalidInput) as err:
        calendar_rules.parse_month(text)
    assert err.value.code == "invalid_month"


def test_the_window_of_a_change_holds_every_deadline_it_can_move():
    """A deadline counts the working days of (start day, due day]: it depends on the
    changed days when start day < the last of them and due day ≥ the first."""
    window = calendar_rules.year_window(2027)
    assert window.started_before == sh(2027, 12, 31)
    assert window.due_from == sh(2027, 1, 2)  # due at the end of 1 Jan or later

    calendar = national()
    cases = [
        (sh(2026, 12, 30, 10), True),  # due in January 2027
        (sh(2026, 12, 24, 10), False),  # due on 29 Dec 2026: never looks at 2027
        (sh(2027, 12, 30, 10), True),  # started in 2027, counts days of 2028 too
        (sh(2027, 12, 31, 10), False),  # starts on the last day: counts 2028 days only
    ]
    for started, inside in cases:
        due = deadlines.compute(deadlines.Rule(deadlines.DISTRIBUTION, 3), started, calendar)
        selected = started < window.started_before and due.due_at >= window.due_from
        assert selected is inside, started

    day = calendar_rules.day_window(D(2026, 12, 9))
    assert (day.started_before, day.due_from) == (sh(2026, 12, 9), sh(2026, 12, 10))


# -- deadlines and reminders -----------------------------------------------------------------------


def test_a_deadline_and_its_reminder():
    calendar = national()
    due = deadlines.compute(deadlines.Rule("distribution", 3), sh(2026, 9, 30, 16), calendar, 9)
    assert (due.due_date, due.due_at, due.provisional) == (D(2026, 10, 10), sh(2026, 10, 11), False)
    assert due.remind_at == sh(2026, 10, 10, 9)  # Saturday 10 Oct is a make-up working day
    step = deadlines.compute(deadlines.Rule("step", 5), sh(2026, 11, 23, 10), calendar, 8)
    assert (step.due_at, step.remind_at) == (sh(2026, 12, 1), sh(2026, 11, 30, 8))
    provisional = deadlines.compute(deadlines.Rule("step", 3), sh(2026, 12, 30, 10), calendar)
    assert provisional.provisional is True and provisional.due_at == sh(2027, 1, 5)

    local = effective_calendar(
        national_schedules([2026]),
        calendar_rules.override_layers(
            [[LocalDay(D(2026, 12, 9), OverrideKind.day_off, "苗年", CITY)]]
        ),
    )
    moved = deadlines.compute(deadlines.Rule("distribution", 3), sh(2026, 12, 7, 10), local)
    assert moved.due_at == sh(2026, 12, 12) and moved.remind_at == sh(2026, 12, 11, 9)


# -- the report's rules ---------------------------------------------------------------------------


def test_the_month_of_asample_report():
    now = sh(2026, 11, 2, 10)
    assert reports.report_month("2026-11", now) == Month(2026, 11)
    assert reports.report_month("2025-12", now).label == "2025-12"
    with pytest.raises(InvalidInput) as err:
        reports.report_month("2026-12", now)
    assert err.value.code == "month_in_future"
    # just after midnight in Shanghai it is already the 1st of the next month
    assert reports.report_month("2026-12", dt.datetime(2026, 11, 30, 16, 5, tzinfo=dt.UTC))
    october = Month(2026, 10)
    assert (october.first_day, october.last_day) == (D(2026, 10, 1), D(2026, 10, 31))
    assert october.deadlines() == (sh(2026, 10, 1), sh(2026, 11, 1))
    # due at the end of 31 Oct (00:00 of 1 Nov) is October's
    assert reports.deadline_day(sh(2026, 11, 1)) == D(2026, 10, 31)
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2026, 1).previous() == Month(2025, 12)


def test_trend_months_end_with_the_current_one():
    months = reports.trend_months(sh(2026, 11, 2), 12)
    assert [m.label for m in months] == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    for bad in (0, 37, True):
        with pytest.raises(InvalidInput) as err:
            reports.trend_months(sh(2026, 11, 2), bad)
        assert err.value.code == "bad_months"


def _task(
    document: uuid.UUID,
    unit: uuid.UUID,
    person: uuid.UUID | None,
    due: dt.datetime,
    status: TaskStatus = TaskStatus.open,
    completed: dt.datetime | None = None,
    number: str = "1",
) -> OverdueTask:
    return OverdueTask(
        task_id=uuid.uuid4(),
        document_id=document,
        doc_number=f"黔〔2026〕{number}号",
        title="标题",
        step="propose",
        step_name="拟办(承办节点)",
        status=status,
        due_at=due,
        completed_at=completed,
        unit_id=unit,
        person_id=person,
    )


def test_working_days_late_count_after_the_last_working_day():
    calendar, now = national(), sh(2026, 11, 2, 10)
    doc, unit = uuid.uuid4(), uuid.uuid4()
    due = sh(2026, 10, 11)  # the end of Sat 10 Oct (a make-up working day)
    late = reports.working_days_late
    assert late(_task(doc, unit, None, due), calendar, now) == 16  # still open
    done_monday = _task(doc, unit, None, due, TaskStatus.done, sh(2026, 10, 12, 10))
    assert late(done_monday, calendar, now) == 1
    done_sunday = _task(doc, unit, None, due, TaskStatus.done, sh(2026, 10, 11, 10))
    assert late(done_sunday, calendar, now) == 0  # overdue, but on a day off


def test_counts_per_division_person_and_month():
    calendar, now = national(), sh(2026, 11, 2, 10)
    dz, zh = uuid.uuid4(), uuid.uuid4()
    li, wu = uuid.uuid4(), uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tasks = [
        _task(a, dz, None, sh(2026, 10, 11), number="1"),
        _task(a, dz, wu, sh(2026, 10, 16), number="1"),
        _task(b, dz, None, sh(2026, 10, 11), number="2"),
        _task(b, zh, None, sh(2026, 10, 11), TaskStatus.done, sh(2026, 10, 12, 10), "2"),
        _task(c, dz, li, sh(2026, 9, 20), number="3"),
    ]
    items = reports.items(
        tasks, calendar, now, {dz: "电子政务处", zh: "综合处"}, {li: "李承办", wu: "吴承办"}
    )
    assert [i.due_date for i in items] == sorted(i.due_date for i in items)
    assert items[0].due_date == D(2026, 9, 19)
    assert [
        (c.unit_name, c.overdue_documents, c.overdue_items) for c in reports.by_division(items)
    ] == [
        ("电子政务处", 3, 4),
        ("综合处", 1, 1),
    ]
    people = reports.by_person(items)
    assert [(p.user_name, p.overdue_documents) for p in people] == [("吴承办", 1), ("李承办", 1)]
    totals = reports.totals(items, 8)
    assert (totals.overdue_documents, totals.overdue_items, totals.overdue_share) == (3, 5, 0.375)
    assert reports.totals([], 0).overdue_share == 0.0
    trend = reports.trend(items, reports.trend_months(now, 3))
    assert [(m.month, m.overdue_documents, m.overdue_items) for m in trend] == [
        ("2026-09", 1, 1),
        ("2026-10", 2, 4),
        ("2026-11", 0, 0),
    ]
    finished = next(i for i in items if i.status is TaskStatus.done)
    assert finished.finished_at == sh(2026, 10, 12, 10) and not finished.still_open


# -- the files -------------------------------------------------------------------------------------------


def test_the_xlsx_has_the_items_counts_and_totals():
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(sample_report())))
    assert book.sheetnames == ["超期明细", "按处室", "按人员", "汇总"]
    rows = [list(r) for r in book["超期明细"].iter_rows(values_only=True)]
    assert rows == [
        list(exports.ITEM_HEADERS),
        [1, "黔府办函〔2026〕65号", "关于报送材料的通知", "电子政务处", "(处室未签收)", "处室签收",
         dt.datetime(2026, 10, 10), "未办理", 16, "未办理"],
        [2, "黔府办函〔2026〕65号", "关于报送材料的通知", "电子政务处", "李承办", "处室签收",
         dt.datetime(2026, 10, 10), dt.datetime(2026, 10, 12, 10, 30), 1, "已办理"],
    ]  # fmt: skip
    assert [list(r) for r in book["按处室"].iter_rows(values_only=True)][1] == ["电子政务处", 1, 2]
    assert [list(r) for r in book["汇总"].iter_rows(values_only=True)][1] == [
        "2026-10",
        1,
        2,
        4,
        0.25,
    ]
    assert book["汇总"].cell(row=2, column=5).number_format == "0.00%"


def test_the_csv_is_utf8_with_a_bom_for_excel():
    data = exports.to_csv(sample_report())
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(exports.ITEM_HEADERS)
    assert rows[1][6:] == ["2026-10-10", "未办理", "16", "未办理"]
    assert rows[2][4:] == ["李承办", "处室签收", "2026-10-10", "2026-10-12 10:30", "1", "已办理"]
    assert exports.filename(sample_report(), "csv") == "超期文件统计-2026-10.csv"


def test_a_provisional_year_schedule_is_weekends_only():
    assert YearSchedule.weekends_only(2030).provisional


# -- the clock --------------------------------------------------------------------------------------


class _NoSession:
    """A session that must not be used: outside test stacks the clock never reads the table."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the clock touched the database ({name})")


def test_the_test_clock_is_refused_outside_test_stacks(monkeypatch: pytest.MonkeyPatch):
    from services.common.errors import Forbidden
    from services.common.settings import Settings
    from services.routing import clock

    monkeypatch.setattr(clock, "get_settings", lambda: Settings(gongwen_env="local"))
    now = clock.now(_NoSession())  # type: ignore[arg-type]
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    with pytest.raises(Forbidden) as err:
        clock.set_test_instant(_NoSession(), sh(2030, 1, 1))  # type: ignore[arg-type]
    assert err.value.code == "test_clock_disabled"
    ctx = scanner.CallContext()
    with pytest.raises(Forbidden):
        scanner.set_test_clock(_NoSession(), ctx, None)  # type: ignore[arg-type]
    with pytest.raises(Forbidden) as denied:
        scanner.require_operator(
            scanner.CallContext(user_id=uuid.uuid4(), roles=frozenset({"registrar"}))
        )
    assert denied.value.code == "platform_admin_required"
