"""Working-day calendars and the 3-working-day distribution deadline (DESIGN 4.3).

Real calendar cases from chinese_calendar 1.11.0 (national schedules 2004–2026).
Every deadline is asserted as the exact due date and the exact UTC instant of
its end (24:00 Asia/Shanghai = 16:00 UTC of the same date).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from services.common.vocabulary import SHANGHAI
from services.routing.working_days import (
    CalendarError,
    Deadline,
    Overrides,
    WorkingDayCalendar,
    YearSchedule,
    distribution_deadline,
    effective_calendar,
    inherited_layers,
    known_years,
    national_schedule_from_chinese_calendar,
    national_schedules,
    reminder_time,
    step_deadline,
)


def shanghai(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> datetime:
    """24:00 Asia/Shanghai of the given date, in UTC."""
    return datetime(y, m, d, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def national() -> dict[int, YearSchedule]:
    return national_schedules()


@pytest.fixture(scope="module")
def cal(national: dict[int, YearSchedule]) -> WorkingDayCalendar:
    return effective_calendar(national, [])


# ------------------------------------------------------------ ordinary weeks


def test_distributed_on_monday_is_due_at_the_end_of_thursday(cal: WorkingDayCalendar) -> None:
    deadline = distribution_deadline(shanghai(2026, 3, 9, 15, 20), cal)  # Mon
    assert deadline == Deadline(
        due_at=end_of(2026, 3, 12), due_date=date(2026, 3, 12), provisional=False
    )
    assert deadline.due_at.utcoffset() == timedelta(0)
    assert deadline.due_at.astimezone(SHANGHAI) == datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI)


def test_distributed_on_friday_is_due_at_the_end_of_next_wednesday(cal: WorkingDayCalendar) -> None:
    deadline = distribution_deadline(shanghai(2026, 3, 13, 17, 55), cal)  # Fri
    assert deadline.due_date == date(2026, 3, 18)  # Mon 16, Tue 17, Wed 18
    assert deadline.due_at == end_of(2026, 3, 18)
    assert not deadline.provisional


def test_the_distribution_day_does_not_count_even_at_one_minute_past_midnight(
    cal: WorkingDayCalendar,
) -> None:
    early = distribution_deadline(shanghai(2026, 3, 9, 0, 1), cal)
    late = distribution_deadline(shanghai(2026, 3, 9, 23, 59), cal)
    assert early.due_at == late.due_at == end_of(2026, 3, 12)


# ------------------------------------------------------------ 2026 holidays


def test_chinese_calendar_2026_national_day_data_matches_the_design() -> None:
    for day in range(1, 8):
        assert not chinese_calendar.is_workday(date(2026, 10, day))
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Sat, make-up working day
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # Sun, make-up working day
    schedule = national_schedule_from_chinese_calendar(2026)
    assert {date(2026, 10, d) for d in range(1, 8)} <= schedule.holidays
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= schedule.workdays


def test_national_day_2026_distributed_30_september_is_due_at_the_end_of_saturday_10_october(
    cal: WorkingDayCalendar,
) -> None:
    deadline = distribution_deadline(shanghai(2026, 9, 30, 11, 0), cal)  # Wed
    # 1–7 Oct holidays; Thu 8, Fri 9, Sat 10 (调休) are the three working days.
    assert deadline == Deadline(
        due_at=end_of(2026, 10, 10), due_date=date(2026, 10, 10), provisional=False
    )


def test_chinese_calendar_2026_spring_festival_data() -> None:
    schedule = national_schedule_from_chinese_calendar(2026)
    festival = {date(2026, 2, 15) + timedelta(days=i) for i in range(9)}  # Sun 15 – Mon 23 Feb
    assert festival <= schedule.holidays
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= schedule.workdays  # both Saturdays
    assert not chinese_calendar.is_workday(date(2026, 2, 23))
    assert chinese_calendar.is_workday(date(2026, 2, 24))


def test_spring_festival_2026_distributed_on_the_day_before_the_holiday(
    cal: WorkingDayCalendar,
) -> None:
    # Sat 14 Feb is itself a make-up working day and the last day before the holiday.
    deadline = distribution_deadline(shanghai(2026, 2, 14, 16, 0), cal)
    assert deadline.due_date == date(2026, 2, 26)  # Tue 24, Wed 25, Thu 26
    assert deadline.due_at == end_of(2026, 2, 26)


def test_spring_festival_2026_make_up_saturdays_count(cal: WorkingDayCalendar) -> None:
    # Fri 13 Feb: Sat 14 (调休), then 15–23 off, Tue 24, Wed 25.
    before = distribution_deadline(shanghai(2026, 2, 13), cal)
    assert before.due_date == date(2026, 2, 25)
    assert before.due_at == end_of(2026, 2, 25)
    # Wed 25 Feb: Thu 26, Fri 27, Sat 28 (调休).
    after = distribution_deadline(shanghai(2026, 2, 25), cal)
    assert after.due_date == date(2026, 2, 28)
    assert after.due_at == end_of(2026, 2, 28)


# ------------------------------------------------------------ unpublished years


def test_deadline_crossing_into_an_unpublished_year_is_provisional_weekends_only() -> None:
    cal = effective_calendar({2026: national_schedule_from_chinese_calendar(2026)}, [])
    deadline = distribution_deadline(shanghai(2026, 12, 30), cal)  # Wed
    # Thu 31 Dec 2026, then 2027 has no schedule: Fri 1 Jan counts, weekend off, Mon 4 Jan.
    assert deadline == Deadline(
        due_at=end_of(2027, 1, 4), due_date=date(2027, 1, 4), provisional=True
    )
    assert cal.provisional_years_used(date(2026, 12, 30), deadline.due_date) == {2027}
    # Within 2026 nothing is provisional.
    inside = distribution_deadline(shanghai(2026, 12, 21), cal)
    assert inside.due_date == date(2026, 12, 24)
    assert not inside.provisional
    assert cal.provisional_years_used(date(2026, 12, 21), date(2026, 12, 24)) == set()


def test_distributed_on_new_years_eve_only_touches_the_next_year() -> None:
    cal = effective_calendar({2026: national_schedule_from_chinese_calendar(2026)}, [])
    assert cal.provisional_years_used(date(2026, 12, 31), date(2027, 1, 5)) == {2027}
    # The distribution day itself is not part of the computation: 2025 is not touched.
    assert cal.provisional_years_used(date(2025, 12, 31), date(2026, 1, 5)) == set()


def test_years_the_package_does_not_know_are_provisional_weekends_only() -> None:
    years = known_years()
    assert years[0] == 2004 and years[-1] == 2026  # chinese_calendar 1.11.0
    unknown = national_schedule_from_chinese_calendar(years[-1] + 1)
    assert unknown == YearSchedule(year=2027, provisional=True)
    assert national_schedule_from_chinese_calendar(2100).provisional
    assert not national_schedule_from_chinese_calendar(2025).provisional


def test_a_published_year_can_replace_a_provisional_one() -> None:
    provisional = effective_calendar({2027: YearSchedule.weekends_only(2027)}, [])
    published = effective_calendar(
        {2027: YearSchedule(2027, holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset())}, []
    )
    start = shanghai(2026, 12, 31)
    assert distribution_deadline(start, provisional) == Deadline(
        end_of(2027, 1, 5), date(2027, 1, 5), provisional=True
    )
    # 2026 is unknown to these calendars, but (31 Dec, due] lies wholly in 2027.
    assert distribution_deadline(start, published) == Deadline(
        end_of(2027, 1, 6), date(2027, 1, 6), provisional=False
    )


def test_calendar_agrees_with_chinese_calendar_on_every_known_day(
    cal: WorkingDayCalendar,
) -> None:
    day = date(known_years()[0], 1, 1)
    last = date(known_years()[-1], 12, 31)
    while day <= last:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# ------------------------------------------------------------ time zone and input


def test_23_30_utc_on_tuesday_is_wednesday_in_shanghai(cal: WorkingDayCalendar) -> None:
    distributed = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # Wed 11 Mar 07:30 in Shanghai
    deadline = distribution_deadline(distributed, cal)
    assert deadline.due_date == date(2026, 3, 16)  # Thu 12, Fri 13, Mon 16
    assert deadline.due_at == end_of(2026, 3, 16)


def test_any_time_zone_is_accepted() -> None:
    cal = effective_calendar(national_schedules([2026]), [])
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 3, 9, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Tue 01:00 in Shanghai
    assert distribution_deadline(berlin, cal).due_date == date(2026, 3, 13)


def test_naive_datetime_is_refused(cal: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarError) as err:
        distribution_deadline(datetime(2026, 3, 9, 10, 0), cal)
    assert err.value.code == "naive_datetime"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("limit", [0, -1])
def test_time_limit_below_one_working_day_is_refused(cal: WorkingDayCalendar, limit: int) -> None:
    with pytest.raises(CalendarError) as err:
        distribution_deadline(shanghai(2026, 3, 9), cal, working_days=limit)
    assert err.value.code == "bad_time_limit"
    with pytest.raises(CalendarError) as err:
        step_deadline(shanghai(2026, 3, 9), cal, limit)
    assert err.value.code == "bad_time_limit"


def test_step_deadline_uses_the_steps_own_limit(cal: WorkingDayCalendar) -> None:
    started = shanghai(2026, 9, 29, 9, 0)  # Tue
    assert step_deadline(started, cal, 1) == Deadline(end_of(2026, 9, 30), date(2026, 9, 30), False)
    assert step_deadline(started, cal, 2).due_date == date(2026, 10, 8)
    assert step_deadline(started, cal, 5).due_date == date(2026, 10, 12)  # 30, 8, 9, 10(Sat), 12
    assert step_deadline(started, cal) == distribution_deadline(started, cal)


# ------------------------------------------------------------ local overrides

FESTIVAL = date(2026, 3, 12)  # Thu; a local festival day off (test data)


@pytest.fixture(scope="module")
def tenant_overrides() -> dict[str, Overrides]:
    return {
        "province": Overrides(source="province"),
        "prefecture-a": Overrides(days_off=frozenset({FESTIVAL}), source="prefecture-a"),
        "county-a1": Overrides(source="county-a1"),
        "county-a2": Overrides(working_days=frozenset({FESTIVAL}), source="county-a2"),
    }


def test_a_prefecture_festival_moves_its_deadline_but_not_its_siblings(
    national: dict[int, YearSchedule], tenant_overrides: dict[str, Overrides]
) -> None:
    prefecture = effective_calendar(
        national, inherited_layers(["province", "prefecture-a"], tenant_overrides)
    )
    sibling = effective_calendar(
        national, inherited_layers(["province", "prefecture-b"], tenant_overrides)
    )
    distributed = shanghai(2026, 3, 9)  # Mon
    assert not prefecture.is_working_day(FESTIVAL)
    assert distribution_deadline(distributed, prefecture) == Deadline(
        end_of(2026, 3, 13), date(2026, 3, 13), False
    )
    assert distribution_deadline(distributed, sibling) == Deadline(
        end_of(2026, 3, 12), date(2026, 3, 12), False
    )


def test_a_county_inherits_its_prefectures_festival(
    national: dict[int, YearSchedule], tenant_overrides: dict[str, Overrides]
) -> None:
    layers = inherited_layers(["province", "prefecture-a", "county-a1"], tenant_overrides)
    assert [layer.source for layer in layers] == ["province", "prefecture-a", "county-a1"]
    county = effective_calendar(national, layers)
    assert not county.is_working_day(FESTIVAL)
    assert distribution_deadline(shanghai(2026, 3, 9), county).due_date == date(2026, 3, 13)


def test_a_later_layer_wins_over_an_earlier_one(
    national: dict[int, YearSchedule], tenant_overrides: dict[str, Overrides]
) -> None:
    county = effective_calendar(
        national, inherited_layers(["province", "prefecture-a", "county-a2"], tenant_overrides)
    )
    assert county.is_working_day(FESTIVAL)
    assert distribution_deadline(shanghai(2026, 3, 9), county).due_date == date(2026, 3, 12)


def test_a_later_layer_can_turn_a_national_holiday_back_into_a_working_day(
    national: dict[int, YearSchedule],
) -> None:
    works_7_october = Overrides(working_days=frozenset({date(2026, 10, 7)}), source="county")
    county = effective_calendar(national, [works_7_october])
    assert county.is_working_day(date(2026, 10, 7))
    deadline = distribution_deadline(shanghai(2026, 9, 30), county)
    assert deadline == Deadline(end_of(2026, 10, 9), date(2026, 10, 9), False)  # 7, 8, 9 Oct


def test_overrides_refuse_a_day_both_off_and_working() -> None:
    with pytest.raises(CalendarError) as err:
        Overrides(days_off=frozenset({FESTIVAL}), working_days=frozenset({FESTIVAL}), source="x")
    assert err.value.code == "day_both_holiday_and_workday"


# ------------------------------------------------------------ YearSchedule validation


def test_year_schedule_refuses_a_date_outside_its_year() -> None:
    with pytest.raises(CalendarError) as err:
        YearSchedule(2026, holidays=frozenset({date(2025, 12, 31)}))
    assert err.value.code == "date_outside_year"
    with pytest.raises(CalendarError) as err:
        YearSchedule(2026, workdays=frozenset({date(2027, 1, 2)}))
    assert err.value.code == "date_outside_year"


def test_year_schedule_refuses_a_day_both_holiday_and_workday() -> None:
    sat = date(2026, 10, 10)
    with pytest.raises(CalendarError) as err:
        YearSchedule(2026, holidays=frozenset({sat}), workdays=frozenset({sat}))
    assert err.value.code == "day_both_holiday_and_workday"


def test_year_schedule_refuses_other_inconsistencies() -> None:
    with pytest.raises(CalendarError) as err:
        YearSchedule(2026, workdays=frozenset({date(2026, 10, 9)}))  # a Friday is no make-up day
    assert err.value.code == "workday_not_weekend"
    with pytest.raises(CalendarError) as err:
        YearSchedule(2027, holidays=frozenset({date(2027, 1, 1)}), provisional=True)
    assert err.value.code == "provisional_with_days"
    with pytest.raises(CalendarError) as err:
        effective_calendar({2025: YearSchedule(2026)}, [])
    assert err.value.code == "year_mismatch"


# ------------------------------------------------------------ counting and reminders


def test_working_days_between(cal: WorkingDayCalendar) -> None:
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 13)) == 4  # (Mon, Fri]
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert cal.working_days_between(date(2026, 3, 13), date(2026, 3, 9)) == -4
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # 14, 24–28
    # Across a year boundary: (Fri 26 Dec 2025, Mon 5 Jan 2026]: 29, 30, 31 Dec, Sun 4 Jan, 5 Jan.
    assert cal.working_days_between(date(2025, 12, 26), date(2026, 1, 5)) == 5


def test_working_days_late(cal: WorkingDayCalendar) -> None:
    deadline = distribution_deadline(shanghai(2026, 9, 30), cal)
    completed = datetime(2026, 10, 13, 3, 0, tzinfo=UTC)  # Tue 13 Oct, Shanghai
    assert cal.working_days_between(deadline.due_date, completed.astimezone(SHANGHAI).date()) == 2


def test_add_working_days_agrees_with_working_days_between(cal: WorkingDayCalendar) -> None:
    start = date(2025, 12, 22)  # Mon, a working day
    for n in range(1, 400, 7):
        due = cal.add_working_days(start, n)
        assert cal.is_working_day(due)
        assert cal.working_days_between(start, due) == n
        assert cal.add_working_days(due, -n) == start
    assert cal.add_working_days(start, 0) == start
    assert cal.add_working_days(date(2026, 10, 10), -1) == date(2026, 10, 9)
    assert cal.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert cal.add_working_days(date(2026, 1, 4), -1) == date(2025, 12, 31)


def test_reminder_is_the_morning_of_the_last_working_day(cal: WorkingDayCalendar) -> None:
    deadline = distribution_deadline(shanghai(2026, 9, 30), cal)
    assert reminder_time(deadline, cal) == datetime(
        2026, 10, 10, 1, 0, tzinfo=UTC
    )  # 09:00 Shanghai
    assert reminder_time(deadline, cal, hour=14) == datetime(2026, 10, 10, 6, 0, tzinfo=UTC)
    with pytest.raises(CalendarError) as err:
        reminder_time(deadline, cal, hour=24)
    assert err.value.code == "bad_reminder_hour"


def test_reminder_falls_back_when_the_last_day_is_no_longer_a_working_day(
    national: dict[int, YearSchedule], cal: WorkingDayCalendar
) -> None:
    deadline = distribution_deadline(shanghai(2026, 3, 9), cal)  # due Thu 12 Mar
    festival_calendar = effective_calendar(national, [Overrides(days_off=frozenset({FESTIVAL}))])
    assert reminder_time(deadline, festival_calendar) == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
