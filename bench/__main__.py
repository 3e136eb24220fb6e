"""``python -m bench [--quick] [--list] [name ...]`` (what ``make bench`` runs).

Runs the named benchmarks (all by default) against one isolated stack that
this run starts on first need and destroys at the end, prints their figures,
and writes them as JSON to ``bench/results/`` (git-ignored): a time-stamped
file and ``latest.json``. Benchmarks print figures; they pass or fail nothing.

A benchmark is a module of this package with ``NAME``, ``DESCRIPTION`` and
``run(ctx: BenchContext) -> dict``; add it to ``BENCHMARKS`` below. The
context gives it the stack (``ctx.stack``), the broker URI, process ids for
CPU accounting and a size scale (``ctx.scale``, 0.2 with ``--quick``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.context import ROOT, BenchContext

# name -> module, in the order a full run takes them
BENCHMARKS: dict[str, str] = {
    "rpc": "bench.rpc",
    "gateway_me": "bench.gateway_me",
    "deadlines": "bench.deadlines",
    "todo": "bench.todo",
    "overdue": "bench.overdue",
    "events": "bench.events",
    "notify": "bench.notify",
    "instructions": "bench.instructions",
    "numbering": "bench.numbering",
    "indicators": "bench.indicators",
}

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def write_results(report: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n")
    (RESULTS_DIR / "latest.json").write_text(text + "\n")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="name", help="benchmarks to run (default all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--quick", action="store_true", help="a fifth of the calls: a smoke run, rough figures"
    )
    args = parser.parse_args(argv)

    if args.list:
        for name, module_name in BENCHMARKS.items():
            print(f"{name:<14} {importlib.import_module(module_name).DESCRIPTION}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    names = args.names or list(BENCHMARKS)

    ctx = BenchContext()
    ctx.scale = 0.2 if args.quick else 1.0
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": list(os.getloadavg()),
        },
        "quick": args.quick,
        "benchmarks": {},
    }
    load1, load5, _ = os.getloadavg()
    print(
        f"bench: {os.cpu_count()} cores, load average {load1:.2f} (1 min) {load5:.2f} (5 min)"
        " before the run: other work on the machine disturbs the figures",
        flush=True,
    )
    started = time.perf_counter()
    try:
        for name in names:
            module = importlib.import_module(BENCHMARKS[name])
            print(f"\n=== {name}: {module.DESCRIPTION}", flush=True)
            t0 = time.perf_counter()
            try:
                result = module.run(ctx)
            except Exception as exc:  # one broken benchmark must not lose the others' figures
                print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
                result = {"failed": f"{type(exc).__name__}: {exc}"}
                ctx.keep_logs = True
            result["seconds"] = round(time.perf_counter() - t0, 1)
            report["benchmarks"][name] = result
    finally:
        ctx.close()
    report["notes"] = ctx.notes
    report["seconds"] = round(time.perf_counter() - started, 1)
    path = write_results(report)
    print(f"\nbench: done in {report['seconds']:.0f}s; results in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
