"""The indicator arithmetic (pure): months in Asia/Shanghai, percentages rounded half
up to 2 decimals, ranking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from services.common.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
NONE_LABEL = "—"


def parse_month(month: str) -> tuple[int, int]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        if not 1 <= mon <= 12 or not 2000 <= year <= 2999:
            raise ValueError
    except ValueError:
        raise InvalidInput("invalid_month", f"{month!r} is not a month (YYYY-MM)") from None
    return year, mon


def shift(month: str, months: int) -> str:
    year, mon = parse_month(month)
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Shanghai calendar month, in UTC."""
    year, mon = parse_month(month)
    start = dt.datetime(year, mon, 1, tzinfo=SHANGHAI)
    nyear, nmon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    end = dt.datetime(nyear, nmon, 1, tzinfo=SHANGHAI)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_of(moment: dt.datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year:04d}-{local.month:02d}"


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, rounded half up to 2 decimals; None when whole is 0."""
    if whole <= 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return float(value)


def percent_label(value: float | None) -> str:
    return NONE_LABEL if value is None else f"{value:.2f}%"


def ranks(rates: Sequence[float | None]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) by rate, highest first; no rate ranks last."""

    def key(r: float | None) -> float:
        return -1.0 if r is None else r

    ordered = sorted(key(r) for r in rates)[::-1]
    first: dict[float, int] = {}
    for index, value in enumerate(ordered, start=1):
        first.setdefault(value, index)
    return [first[key(r)] for r in rates]


def half_up(value: float, places: int) -> float:
    """``value`` rounded half up (16.25 → 16.3, not Python's 16.2)."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(step, ROUND_HALF_UP))
