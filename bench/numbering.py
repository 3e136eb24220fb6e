"""Document numbering (发文字号) in one series under 32 concurrent issuers: numbers/s
and whether the year's numbers stay 1…count with no gap or duplicate, beside a plain
single-row counter update measured in the same run (no aim in the issue).

Setup, in the run's own stack: through the gateway a tenant, its top unit (单位) and
registry (文书处), a registrar of the registry who signs in, and two series of the
unit (one for the gateway phase, one for the database phase).

(a) through the gateway: 32 concurrent clients over keep-alive connections, each
    ``POST /api/v1/number-series/{id}/reserve {purpose}`` in a loop (the service's
    whole path: RPC to documents, the series row share-locked, the counter upsert,
    the number row, the audit trail, commit). numbers/s, p50/p99, CPU per number.
    Then ``GET /number-series/{id}/numbers`` for this year: the numbers must be
    exactly 1…last_n, each once, and last_n the count of 201 answers.
(b) in the documents database directly (the admin role, psycopg2, 32 threads with a
    connection each): a transaction of ``give_number``'s SQL — the counter upsert
    ``INSERT … ON CONFLICT (series_id, year) DO UPDATE SET last_n = last_n + 1
    RETURNING last_n`` and the ``document_numbers`` row insert — then commit. The
    second series' numbers are checked the same way, in SQL.
(c) baseline, same database, same 32 threads: ``UPDATE bench_counters SET n = n + 1
    WHERE id = 1 RETURNING n`` + commit on a scratch one-row table (dropped after).

(b) and (c) run before (a), while the services' connection pools are small: 32 more
connections must fit under PostgreSQL's max_connections. All three serialise on one row lock, so they measure how fast one row's lock passes
from transaction to transaction (commit, WAL flush) on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2

from bench.context import BenchContext
from bench.harness import (
    CpuProbe,
    Measurement,
    async_load,
    find_broker_pid,
    format_table,
    thread_load,
)
from bench.httpload import KeepAliveClient
from bench.seed_tasks import psycopg2_dsn
from bench.todo import Api, BackendsCpuProbe, onboard_registry
from services.common.settings import Settings
from services.common.vocabulary import SHANGHAI

NAME = "numbering"
DESCRIPTION = (
    "numbers/s in one series under 32 concurrent issuers (gateway and DB), no gaps,"
    " vs a plain single-row counter update"
)

CONCURRENCY = 32
GATEWAY_NUMBERS = 3000
DB_NUMBERS = 20000
WARMUP = 64
FREE_MARGIN = 16  # database connections left free for the stack and others
MAX_SECONDS = 60.0
API = "/api/v1"
PASSWORD = "Bench-Numbering-2026"

UPSERT = (
    "INSERT INTO series_counters (tenant_id, series_id, year, last_n) VALUES (%s, %s, %s, 1)"
    " ON CONFLICT (series_id, year) DO UPDATE SET last_n = series_counters.last_n + 1"
    " RETURNING last_n"
)
NUMBER_ROW = (
    "INSERT INTO document_numbers (id, tenant_id, series_id, year, n, number, state,"
    " document_id, purpose, given_by, given_at) VALUES (%s, %s, %s, %s, %s, %s, 'reserved',"
    " NULL, %s, %s, %s)"
)
BASELINE = "UPDATE bench_counters SET n = n + 1 WHERE id = 1 RETURNING n"


def make_tenant(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    api = Api(stack.gateway_url)
    code = f"nb{uuid.uuid4().hex[:6]}"
    try:
        office = onboard_registry(api, ctx, code, "编号基准省政府办公厅", "省政府办公厅", PASSWORD)
        series = [
            api.call(
                "POST",
                "/number-series",
                office.admin_token,
                {"unit_id": office.top["id"], "prefix": prefix, "name": name},
                201,
            )
            for prefix, name in (("黔府办函", "网关阶段"), ("黔府办发", "数据库阶段"))
        ]
    finally:
        api.close()
    return {
        "tenant_id": office.tenant["id"],
        "registrar_id": office.registrar["id"],
        "token": office.registrar_token,
        "gateway_series": series[0],
        "db_series": series[1],
    }


def check_sequence(ns: list[int], last_n: int, given: int) -> dict[str, Any]:
    """Whether ``ns`` (the year's numbers, any order) are exactly 1…last_n, and
    last_n is the count of numbers given."""
    distinct = set(ns)
    missing = sorted(set(range(1, last_n + 1)) - distinct)
    return {
        "numbers": len(ns),
        "last_n": last_n,
        "given": given,
        "duplicates": len(ns) - len(distinct),
        "missing": len(missing),
        "first_missing": missing[:10],
        "ok": sorted(ns) == list(range(1, last_n + 1)) and last_n == given,
    }


def _check_line(label: str, check: dict[str, Any]) -> str:
    verdict = "1…count, no gap, no duplicate" if check["ok"] else "NOT gap-free"
    return (
        f"  {label}: {check['numbers']:,} numbers, last_n {check['last_n']:,},"
        f" {check['given']:,} given: {verdict} (duplicates {check['duplicates']},"
        f" missing {check['missing']})"
    )


# -- (a) through the gateway ----------------------------------------------------------------


async def gateway_phase(
    ctx: BenchContext, token: str, series_id: str, total: int, probe: BackendsCpuProbe
) -> tuple[Measurement, int]:
    client = KeepAliveClient(
        ctx.stack.gateway_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        size=CONCURRENCY,
    )
    await client.open()
    path = f"{API}/number-series/{series_id}/reserve"
    given = 0

    def build(purpose: str) -> bytes:
        body = json.dumps({"purpose": purpose}, ensure_ascii=False).encode()
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {client.host}:{client.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in client.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def reserve() -> None:
        nonlocal given
        status, body = await client.send(build(f"纸质文件{given}"))
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
        json.loads(body)
        given += 1

    try:
        m = await async_load(
            "(a) POST /number-series/{id}/reserve",
            reserve,
            concurrency=CONCURRENCY,
            total=total,
            warmup=WARMUP,
            max_seconds=MAX_SECONDS,
            probe=probe,
        )
    finally:
        await client.close()
    return m, given


# -- (b), (c) in the database -------------------------------------------------------------------


class Connections:
    """A pool of ``size`` psycopg2 connections: thread_load starts new threads for each
    phase, so a call takes one and gives it back (never more threads than connections)."""

    def __init__(self, dsn: str, size: int) -> None:
        self.all = [psycopg2.connect(dsn) for _ in range(size)]
        self.idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for conn in self.all:
            self.idle.put(conn)

    @contextlib.contextmanager
    def get(self) -> Iterator[Any]:
        conn = self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put(conn)

    def close(self) -> None:
        for conn in self.all:
            conn.close()


def db_phases(
    dsn: str, tenant: dict[str, Any], total: int, probe: CpuProbe
) -> tuple[Measurement, Measurement, dict[str, Any]]:
    series = tenant["db_series"]
    tenant_id, series_id, prefix = tenant["tenant_id"], series["id"], series["prefix"]
    given_by = tenant["registrar_id"]
    year = dt.datetime.now(SHANGHAI).year
    given = 0
    count_lock = threading.Lock()

    def give() -> None:
        nonlocal given
        with conns.get() as conn:
            _give(conn)
        with count_lock:
            given += 1

    def _give(conn: Any) -> None:
        try:
            with conn.cursor() as cur:
                cur.execute(UPSERT, (tenant_id, series_id, year))
                n = int(cur.fetchone()[0])
                cur.execute(
                    NUMBER_ROW,
                    (
                        str(uuid.uuid4()),
                        tenant_id,
                        series_id,
                        year,
                        n,
                        f"{prefix}〔{year}〕{n}号",
                        "基准",
                        given_by,
                        dt.datetime.now(dt.UTC),
                    ),
                )
            conn.commit()
        except Exception:
            conn.rollback()
            raise

    def bump() -> None:
        with conns.get() as conn, conn.cursor() as cur:
            cur.execute(BASELINE)
            cur.fetchone()
            conn.commit()

    setup = psycopg2.connect(dsn)
    setup.autocommit = True
    try:
        with setup.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_counters")
            cur.execute("CREATE TABLE bench_counters (id int PRIMARY KEY, n bigint NOT NULL)")
            cur.execute("INSERT INTO bench_counters VALUES (1, 0)")
            # other work on the machine shares the server: as many of the 32 as fit
            cur.execute(
                "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
            )
            free = int(cur.fetchone()[0])
        threads = max(1, min(CONCURRENCY, free - FREE_MARGIN))
        if threads < CONCURRENCY:
            print(
                f"  only {free} free database connections: (b) and (c) with {threads} threads",
                flush=True,
            )
        conns = Connections(dsn, threads)
        try:
            b = thread_load(
                "(b) DB: give_number's SQL + commit",
                give,
                concurrency=threads,
                total=total,
                warmup=WARMUP,
                max_seconds=MAX_SECONDS,
                probe=probe,
            )
            c = thread_load(
                "(c) baseline: UPDATE counters n = n + 1",
                bump,
                concurrency=threads,
                total=total,
                warmup=WARMUP,
                max_seconds=MAX_SECONDS,
                probe=probe,
            )
        finally:
            conns.close()
        with setup.cursor() as cur:
            cur.execute(
                "SELECT n FROM document_numbers WHERE series_id = %s AND year = %s",
                (series_id, year),
            )
            ns = [int(r[0]) for r in cur.fetchall()]
            cur.execute(
                "SELECT last_n FROM series_counters WHERE series_id = %s AND year = %s",
                (series_id, year),
            )
            row = cur.fetchone()
            cur.execute("DROP TABLE bench_counters")
    finally:
        setup.close()
    check = check_sequence(ns, int(row[0]) if row else 0, given)
    return b, c, check


# -- the benchmark ----------------------------------------------------------------------------------


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    if not ctx.gateway_ready:
        return {"skipped": "the gateway is not running"}
    settings = Settings()
    database = stack.env["DB_PREFIX"] + "documents"
    dsn = psycopg2_dsn(settings.admin_database_url(database))
    tenant = make_tenant(ctx)
    print("  tenant, registrar and two series made through the gateway", flush=True)
    ctx.wait_for_service("documents")
    pids = {
        "gateway": ctx.pid("gateway"),
        "documents": ctx.pid("documents"),
        "broker": find_broker_pid(),
    }
    probe = BackendsCpuProbe(pids, psycopg2_dsn(settings.admin_database_url("postgres")), database)
    db_probe = CpuProbe({})  # no extra connection to list the backends: they are scarce

    # (b), (c) first: the services' connection pools have not grown yet (32 more
    # connections must fit under max_connections)
    b, c, db_check = db_phases(dsn, tenant, int(DB_NUMBERS * ctx.scale), db_probe)
    print(_check_line("(b) the year's numbers in the database", db_check), flush=True)

    # (a)
    series_id = tenant["gateway_series"]["id"]
    a, given = asyncio.run(
        gateway_phase(ctx, tenant["token"], series_id, int(GATEWAY_NUMBERS * ctx.scale), probe)
    )
    print(
        f"  (a) gateway: {a.throughput:.0f} numbers/s p50 {a.p50_ms:.1f} ms p99 {a.p99_ms:.1f} ms",
        flush=True,
    )
    api = Api(stack.gateway_url)
    try:
        view = api.call("GET", f"/number-series/{series_id}/numbers", tenant["token"], None, 200)
    finally:
        api.close()
    gw_check = check_sequence([int(x["n"]) for x in view["numbers"]], int(view["last_n"]), given)
    print(_check_line("(a) the year's numbers through the gateway", gw_check), flush=True)

    print()
    print(format_table([a, b, c]))
    print(
        "calls = numbers given (c: counter increments); cpu ms/call: the load generator"
        " (client), gateway, documents, RabbitMQ (broker), the documents database's backends"
        " (postgres)"
    )
    print(
        f"\n  numbers/s: (a) gateway {a.throughput:.0f}, (b) DB {b.throughput:.0f},"
        f" (c) baseline {c.throughput:.0f}; b/c {b.throughput / c.throughput:.2f},"
        f" a/c {a.throughput / c.throughput:.2f}"
    )
    return {
        "concurrency": CONCURRENCY,
        "gateway": a.as_dict(),
        "gateway_check": gw_check,
        "db": b.as_dict(),
        "db_check": db_check,
        "baseline": c.as_dict(),
        "db_over_baseline": round(b.throughput / c.throughput, 3) if c.throughput else None,
        "gateway_over_baseline": round(a.throughput / c.throughput, 3) if c.throughput else None,
        "aim": "no aim in the issue",
    }
