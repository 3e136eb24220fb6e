"""The indicator arithmetic: login rate and overdue share in percent rounded half up
to 2 decimals, nothing to divide by, Shanghai months, ranks, the XLSX cells."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.metrics_exports import figure_cells
from services.common.errors import InvalidInput
from services.metrics.arithmetic import (
    half_up,
    month_bounds,
    month_of,
    percent,
    percent_label,
    ranks,
    shift,
)
from services.metrics.indicators import figures


def test_login_rate_rounds_half_up_to_two_decimals() -> None:
    assert percent(366, 429) == 85.31  # 85.3146…
    assert percent(1, 3) == 33.33 and percent(2, 3) == 66.67
    assert percent(1, 8) == 12.5 and percent_label(12.5) == "12.50%"
    assert percent(1, 800) == 0.13  # 0.125 → half up, not to even
    assert percent(429, 429) == 100.0 and percent_label(100.0) == "100.00%"
    assert percent(0, 5) == 0.0 and percent_label(0.0) == "0.00%"


def test_zero_registered_users_has_no_rate() -> None:
    assert percent(0, 0) is None and percent_label(None) == "—"
    f = figures((0, 0, 0, 0, 0, 0, 0, 0))
    assert f.login_rate is None and f.login_rate_label == "—"
    assert f.overdue_share is None and f.overdue_share_label == "—"


def test_overdue_share_is_overdue_documents_over_documents_handled() -> None:
    # registered, active, received, sent, processed, items, overdue, handled
    f = figures((429, 366, 40, 12, 30, 80, 3, 40))
    assert f.login_rate_label == "85.31%"
    assert f.overdue_share == 7.5 and f.overdue_share_label == "7.50%"
    assert (f.documents_received, f.documents_sent, f.documents_processed) == (40, 12, 30)
    assert (f.items_started, f.documents_overdue) == (80, 3)
    assert figure_cells(f) == [429, 366, 0.8531, 40, 12, 30, 80, 3, 0.075]


def test_months_are_shanghai_calendar_months() -> None:
    start, end = month_bounds("2026-11")
    assert start == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)
    assert month_bounds("2026-12")[1] == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)
    # 30 Nov 23:30 in Shanghai is still November; 16:30 UTC that day is December there
    assert month_of(dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)) == "2026-11"
    assert month_of(dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)) == "2026-12"
    assert shift("2026-01", -1) == "2025-12" and shift("2026-12", 1) == "2027-01"
    assert shift("2026-11", -11) == "2025-12"
    for bad in ("2026-13", "2026-00", "26-11", "x"):
        with pytest.raises(InvalidInput):
            month_bounds(bad)


def test_ties_share_a_rank_and_no_rate_ranks_last() -> None:
    assert ranks([50.0, 100.0, 50.0, None, 0.0]) == [2, 1, 2, 5, 4]
    assert ranks([]) == []


def test_site_summary_rounds_half_up() -> None:
    assert half_up(16.25, 1) == 16.3 and half_up(99.245, 2) == 99.25
    assert half_up(12.0, 1) == 12.0
