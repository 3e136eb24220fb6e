"""Deadline computations per second (分办时限, DESIGN 4.3), one core, one process.

``services.routing.working_days.distribution_deadline`` on the national
calendar the routing service uses (``deadlines.tenant_calendar``), over a
fixed, seeded spread of distribution instants from 2021 to 2027: mostly
office hours on working days, some evenings (the Shanghai date boundary), some
weekends and statutory holidays (Spring Festival, National Day …), and 2027,
a year ``chinese-calendar`` does not know (weekends only, provisional), with
deadlines of late December 2026 crossing into it.

Baselines, written here and run over the same instants in the same run:
naive day-by-day loops that walk the days after the distribution day until
they have counted the working days (weekends only in a year without a
published schedule):

* the baseline: each day looked up in ``chinese_calendar``'s holiday and
  make-up-day sets, loaded once (the walk itself is the cost);
* the walk as it is often first written, asking ``chinese_calendar.is_workday``
  about each day (the package finds its range of years with ``min``/``max``
  over all its dates on every call: this one mostly measures the package).

All three must agree on every instant (checked); the ratios are printed.

The process is pinned to one core while it measures; each implementation
runs several rounds over all instants after a warm-up round, and the median
round is reported (the best beside it).
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import chinese_calendar

from bench.context import BenchContext
from services.common.vocabulary import SHANGHAI
from services.routing.deadlines import tenant_calendar
from services.routing.working_days import distribution_deadline

NAME = "deadlines"
DESCRIPTION = "deadline computations/s (distribution_deadline) vs a naive day-by-day loop, 1 core"

INSTANTS = 200_000
ROUNDS = 5
PACKAGE_ROUNDS = 3
FIRST_DAY = date(2021, 1, 1)
LAST_DAY = date(2027, 12, 31)
WORKING_DAYS = 3
SEED = 20261121

Result = tuple[datetime, date, bool]


HOLIDAYS = frozenset(chinese_calendar.holidays)
WORKDAYS = frozenset(chinese_calendar.workdays)
KNOWN_YEARS = frozenset(d.year for d in HOLIDAYS | WORKDAYS)
ONE_DAY = timedelta(days=1)


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + ONE_DAY, dtime(0), tzinfo=SHANGHAI).astimezone(UTC)


def naive_deadline(distributed_at: datetime, working_days: int = WORKING_DAYS) -> Result:
    """The baseline: walk the days one by one, looking each up in the sets."""
    day = distributed_at.astimezone(SHANGHAI).date()
    provisional = False
    counted = 0
    while counted < working_days:
        day += ONE_DAY
        if day.year in KNOWN_YEARS:
            working = day in WORKDAYS or (day.weekday() < 5 and day not in HOLIDAYS)
        else:  # no published schedule: weekends only
            working = day.weekday() < 5
            provisional = True
        if working:
            counted += 1
    return _end_of_day(day), day, provisional


def package_walk_deadline(distributed_at: datetime, working_days: int = WORKING_DAYS) -> Result:
    """The same walk asking ``chinese_calendar.is_workday`` about each day."""
    day = distributed_at.astimezone(SHANGHAI).date()
    provisional = False
    counted = 0
    while counted < working_days:
        day += ONE_DAY
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package has no schedule for
            working = day.weekday() < 5
            provisional = True
        if working:
            counted += 1
    return _end_of_day(day), day, provisional


def instants(count: int, seed: int = SEED) -> list[datetime]:
    """Distribution instants (aware, UTC as the service has them), seeded."""
    rng = random.Random(seed)
    calendar = tenant_calendar(None)
    span = (LAST_DAY - FIRST_DAY).days + 1
    out: list[datetime] = []
    while len(out) < count:
        day = FIRST_DAY + timedelta(days=rng.randrange(span))
        # registries distribute on working days; now and then on a weekend or holiday
        if not calendar.is_working_day(day) and rng.random() > 0.1:
            continue
        if rng.random() < 0.05:  # evening: late distributions near the date boundary
            seconds = rng.randrange(18 * 3600, 24 * 3600)
        else:  # office hours
            seconds = rng.randrange(8 * 3600 + 1800, 18 * 3600)
        local = datetime.combine(day, dtime(0), tzinfo=SHANGHAI) + timedelta(seconds=seconds)
        out.append(local.astimezone(UTC))
    return out


@contextlib.contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process to one core for a while (where the OS allows it)."""
    if not hasattr(os, "sched_getaffinity"):
        yield None
        return
    saved = os.sched_getaffinity(0)
    core = max(saved)
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        yield None
        return
    try:
        yield core
    finally:
        os.sched_setaffinity(0, saved)


def _rounds(
    fn: Callable[[list[datetime]], None], moments: list[datetime], rounds: int
) -> list[dict[str, float]]:
    fn(moments[: max(1000, len(moments) // 10)])  # warm-up: year tables, caches
    out = []
    for _ in range(rounds):
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        fn(moments)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        out.append({"seconds": wall, "cpu_seconds": cpu, "per_second": len(moments) / wall})
    return out


def _summary(label: str, rounds: list[dict[str, float]], count: int) -> dict[str, Any]:
    rates = [r["per_second"] for r in rounds]
    median = statistics.median(rates)
    return {
        "label": label,
        "instants": count,
        "rounds": len(rounds),
        "per_second_median": round(median, 0),
        "per_second_best": round(max(rates), 0),
        "us_per_computation": round(1e6 / median, 3),
        "cpu_over_wall": round(
            sum(r["cpu_seconds"] for r in rounds) / sum(r["seconds"] for r in rounds), 3
        ),
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    count = max(10_000, int(INSTANTS * ctx.scale))
    calendar = tenant_calendar(None)
    moments = instants(count)

    # the implementations must agree before any is timed
    mismatches = 0
    provisional = 0
    first_mismatch = None
    for moment in moments:
        computed = distribution_deadline(moment, calendar, WORKING_DAYS)
        expected = (computed.due_at, computed.due_date, computed.provisional)
        provisional += computed.provisional
        for walk in (naive_deadline, package_walk_deadline):
            got = walk(moment, WORKING_DAYS)
            if got != expected:
                mismatches += 1
                first_mismatch = first_mismatch or (
                    f"{moment.isoformat()}: {walk.__name__} {got} vs {computed}"
                )
    years = sorted({m.astimezone(SHANGHAI).year for m in moments})
    holidays = sum(1 for m in moments if m.astimezone(SHANGHAI).date() in HOLIDAYS)
    print(
        f"  {count:,} distribution instants {years[0]}–{years[-1]} ({holidays:,} on holidays,"
        f" {provisional:,} with a provisional deadline); the three implementations"
        f" {'agree on every one' if not mismatches else f'DISAGREE {mismatches:,} times'}",
        flush=True,
    )
    if first_mismatch:
        print(f"  first disagreement: {first_mismatch}")

    def loop(fn: Callable[..., object]) -> Callable[[list[datetime]], None]:
        def run_all(items: list[datetime]) -> None:
            for moment in items:
                fn(moment, calendar, WORKING_DAYS)

        return run_all

    def walk_loop(fn: Callable[..., object]) -> Callable[[list[datetime]], None]:
        def run_all(items: list[datetime]) -> None:
            for moment in items:
                fn(moment, WORKING_DAYS)

        return run_all

    with one_core() as core:
        rows = [
            _summary(
                "distribution_deadline",
                _rounds(loop(distribution_deadline), moments, ROUNDS),
                count,
            ),
            _summary(
                "naive day-by-day (baseline)",
                _rounds(walk_loop(naive_deadline), moments, ROUNDS),
                count,
            ),
            _summary(
                "day-by-day with is_workday",
                _rounds(walk_loop(package_walk_deadline), moments, PACKAGE_ROUNDS),
                count,
            ),
        ]
    real, naive, package = rows
    ratio = real["per_second_median"] / naive["per_second_median"]
    ratio_package = real["per_second_median"] / package["per_second_median"]

    print()
    header = f"{'what':<30} {'computations/s':>15} {'best/s':>12} {'µs each':>9} {'cpu/wall':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['label']:<30} {row['per_second_median']:>15,.0f}"
            f" {row['per_second_best']:>12,.0f} {row['us_per_computation']:>9.2f}"
            f" {row['cpu_over_wall']:>9.2f}"
        )
    where = f"pinned to core {core}" if core is not None else "not pinned"
    print(
        f"distribution_deadline: {real['per_second_median']:,.0f} computations/s, {ratio:.1f}x the"
        f" naive day-by-day loop ({ratio_package:.0f}x the loop calling is_workday);"
        f" median of {ROUNDS} rounds ({PACKAGE_ROUNDS} for is_workday), one process, {where}"
    )
    return {
        "instants": count,
        "on_holidays": holidays,
        "provisional": provisional,
        "mismatches": mismatches,
        "first_mismatch": first_mismatch,
        "core": core,
        "computations_per_second": real["per_second_median"],
        "distribution_deadline": real,
        "naive_loop": naive,
        "is_workday_loop": package,
        "ratio": round(ratio, 2),
        "ratio_vs_is_workday_loop": round(ratio_package, 2),
    }
