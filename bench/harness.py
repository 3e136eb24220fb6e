"""What every benchmark shares: bounded load loops, latency statistics, CPU
accounting of the processes involved, and the isolated stack the run uses.

A load loop runs ``total`` calls (after ``warmup`` unmeasured ones) spread over
``concurrency`` callers, and stops early at ``max_seconds`` so that no
benchmark can run away. Each call's latency is taken with ``perf_counter``;
throughput is completed calls over the wall time of the measured phase.

CPU accounting: around each measured phase the harness reads the CPU time
(user + system) of this process and of the other processes that serve the
calls (a service, the broker, the gateway) from ``/proc``, and reports it per
call. On a 2-core machine this tells which process a figure is bound by.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- CPU of processes ---------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (None if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; it is wrapped in parentheses
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def find_broker_pid() -> int | None:
    """The local RabbitMQ's Erlang VM (read-only look-up, for CPU accounting)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == "beam.smp":
                cmdline = (entry / "cmdline").read_bytes()
                if b"rabbit" in cmdline:
                    return int(entry.name)
    return None


class CpuProbe:
    """CPU seconds used by named processes between ``start()`` and ``stop()``."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self._before: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        out = {"client": time.process_time()}
        for name, pid in self.pids.items():
            value = process_cpu_seconds(pid)
            if value is not None:
                out[name] = value
        return out

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        return {k: after[k] - self._before[k] for k in after if k in self._before}


# -- statistics -----------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class Measurement:
    """One measured phase: latencies in milliseconds, throughput in calls/s."""

    label: str
    concurrency: int
    calls: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    first_error: str | None = None
    stopped_early: bool = False

    @classmethod
    def from_latencies(
        cls,
        label: str,
        concurrency: int,
        latencies: list[float],
        errors: int,
        seconds: float,
        cpu: dict[str, float],
        first_error: str | None,
        stopped_early: bool,
    ) -> Measurement:
        ordered = sorted(latencies)
        done = len(ordered)
        ms = [v * 1000 for v in ordered]
        return cls(
            label=label,
            concurrency=concurrency,
            calls=done,
            errors=errors,
            seconds=round(seconds, 3),
            throughput=round(done / seconds, 1) if seconds > 0 else 0.0,
            p50_ms=round(percentile(ms, 50), 3),
            p90_ms=round(percentile(ms, 90), 3),
            p99_ms=round(percentile(ms, 99), 3),
            mean_ms=round(sum(ms) / done, 3) if done else float("nan"),
            max_ms=round(ms[-1], 3) if ms else float("nan"),
            cpu_ms_per_call={
                k: round(v * 1000 / done, 3) for k, v in cpu.items() if done and v >= 0
            },
            first_error=first_error,
            stopped_early=stopped_early,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- load loops -------------------------------------------------------------------------------


async def async_load(
    label: str,
    call: Callable[[], Awaitable[Any]],
    *,
    concurrency: int,
    total: int,
    warmup: int,
    max_seconds: float = 30.0,
    probe: CpuProbe | None = None,
) -> Measurement:
    """``total`` calls of ``call`` by ``concurrency`` asyncio tasks."""

    async def phase(count: int, record: bool) -> tuple[list[float], int, str | None, bool]:
        latencies: list[float] = []
        errors = 0
        first_error: str | None = None
        remaining = count
        deadline = time.perf_counter() + max_seconds
        stopped_early = False

        async def caller() -> None:
            nonlocal remaining, errors, first_error, stopped_early
            while remaining > 0:
                if time.perf_counter() > deadline:
                    stopped_early = True
                    return
                remaining -= 1
                started = time.perf_counter()
                try:
                    await call()
                except Exception as exc:  # counted and shown, not raised: a figure, not a test
                    errors += 1
                    first_error = first_error or f"{type(exc).__name__}: {exc}"
                    continue
                if record:
                    latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(caller() for _ in range(concurrency)))
        return latencies, errors, first_error, stopped_early

    await phase(warmup, record=False)
    probe = probe or CpuProbe({})
    probe.start()
    started = time.perf_counter()
    latencies, errors, first_error, stopped_early = await phase(total, record=True)
    seconds = time.perf_counter() - started
    cpu = probe.stop()
    return Measurement.from_latencies(
        label, concurrency, latencies, errors, seconds, cpu, first_error, stopped_early
    )


def thread_load(
    label: str,
    call: Callable[[], Any],
    *,
    concurrency: int,
    total: int,
    warmup: int,
    max_seconds: float = 30.0,
    probe: CpuProbe | None = None,
) -> Measurement:
    """``total`` blocking calls of ``call`` by ``concurrency`` threads."""

    def phase(count: int, record: bool) -> tuple[list[float], int, str | None, bool]:
        latencies: list[float] = []
        lock = threading.Lock()
        state: dict[str, Any] = {
            "remaining": count,
            "errors": 0,
            "first_error": None,
            "early": False,
        }
        deadline = time.perf_counter() + max_seconds

        def caller() -> None:
            while True:
                with lock:
                    if state["remaining"] <= 0:
                        return
                    if time.perf_counter() > deadline:
                        state["early"] = True
                        return
                    state["remaining"] -= 1
                started = time.perf_counter()
                try:
                    call()
                except Exception as exc:  # counted and shown, not raised
                    with lock:
                        state["errors"] += 1
                        state["first_error"] = (
                            state["first_error"] or f"{type(exc).__name__}: {exc}"
                        )
                    continue
                elapsed = time.perf_counter() - started
                if record:
                    with lock:
                        latencies.append(elapsed)

        threads = [threading.Thread(target=caller, daemon=True) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max_seconds + 60)
        return latencies, state["errors"], state["first_error"], state["early"]

    phase(warmup, record=False)
    probe = probe or CpuProbe({})
    probe.start()
    started = time.perf_counter()
    latencies, errors, first_error, stopped_early = phase(total, record=True)
    seconds = time.perf_counter() - started
    cpu = probe.stop()
    return Measurement.from_latencies(
        label, concurrency, latencies, errors, seconds, cpu, first_error, stopped_early
    )


# -- printing ------------------------------------------------------------------------------------


def format_table(rows: list[Measurement]) -> str:
    """A fixed-width table of measurements (one line per phase)."""
    cpu_names: list[str] = []
    for row in rows:
        for name in row.cpu_ms_per_call:
            if name not in cpu_names:
                cpu_names.append(name)
    header = (
        f"{'what':<44} {'conc':>4} {'calls':>6} {'err':>4} {'calls/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    if cpu_names:
        header += "   cpu ms/call: " + " ".join(f"{n:>8}" for n in cpu_names)
    lines = [header, "-" * len(header)]
    for r in rows:
        line = (
            f"{r.label:<44} {r.concurrency:>4} {r.calls:>6} {r.errors:>4} {r.throughput:>9.1f} "
            f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.2f}"
        )
        if cpu_names:
            cells = []
            for n in cpu_names:
                v = r.cpu_ms_per_call.get(n)
                cells.append(f"{v:>8.3f}" if v is not None else f"{'-':>8}")
            line += "                " + " ".join(cells)
        if r.stopped_early:
            line += "  (time cap reached)"
        lines.append(line)
        if r.first_error:
            lines.append(f"    first error: {r.first_error[:200]}")
    return "\n".join(lines)
