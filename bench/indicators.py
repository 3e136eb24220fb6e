"""Monthly application indicators (运维指标数据 — 应用情况) of a province: 3,744 units
and 100,000 users with one month of events (≈2 million facts).

Setup, in the run's own stack: the facts are written straight into the metrics
database with COPY (as metrics would keep them from the events): the directory (a
province with 10 cities; 144 provincial departments and 360 units per city, two
divisions each), 100,000 accounts created before the month, ~1.2 million sign-ins by
85 % of them, ~200,000 收文登记, ~100,000 分发 and ~100,000 办结 (with the documents'
units), ~380,000 to-dos created and ~20,000 超期 marks, spread over November 2026
(Asia/Shanghai). ``--quick`` scales every count by 0.2 (the units stay 3,744).

Measured, in this process through :func:`services.metrics.indicators.table` (what
the ``indicator_table`` RPC runs) as the province's ops: the month's table of each
level (单位, 市州, 省直部门) and the 12-month trend of one city; the baseline in the
same run is one SQL aggregate (a ``GROUP BY`` unit over the month's sign-ins,
documents and tasks together) over the same rows.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
import uuid
from typing import Any

import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench.context import BenchContext
from bench.seed_tasks import psycopg2_dsn
from services.common.context import CallContext
from services.common.settings import Settings
from services.metrics import indicators
from services.metrics.arithmetic import month_bounds
from services.metrics.schemas import IndicatorLevel

NAME = "indicators"
DESCRIPTION = (
    "a month's indicators of 3,744 units and 100,000 users (≈2M facts) vs one SQL aggregate"
)

MONTH = "2026-11"
CITIES = 10
DEPARTMENTS = 144
UNITS_PER_CITY = 360  # 144 + 10 × 360 = 3,744 units
USERS = 100_000
SIGNINS_PER_ACTIVE = 14
ACTIVE_SHARE = 0.85
RECEIVED, SENT, PROCESSED = 200_000, 100_000, 100_000
TASKS, OVERDUE = 380_000, 20_000


def _copy(cur: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buf)


def seed(dsn: str, scale: float, rng: random.Random) -> dict[str, Any]:
    start, end = month_bounds(MONTH)
    span = (end - start).total_seconds()
    before = start - dt.timedelta(days=30)

    def moment() -> str:
        return (start + dt.timedelta(seconds=rng.random() * span)).isoformat()

    province = uuid.uuid4()
    tenants: list[tuple[Any, ...]] = [(province, province, None, "bp", "基准省", "bp")]
    city_ids = []
    for c in range(CITIES):
        cid = uuid.uuid4()
        city_ids.append(cid)
        tenants.append((cid, cid, province, f"bp-{c}", f"市{c}", f"bp/bp-{c}"))
    units: list[tuple[Any, ...]] = []
    divisions: list[tuple[uuid.UUID, uuid.UUID]] = []  # (division, tenant)
    now = dt.datetime.now(dt.UTC).isoformat()

    def add_tenant_units(tenant: uuid.UUID, count: int) -> None:
        root = uuid.uuid4()
        units.append((root, tenant, "根", "unit", f"/{root}/", 0, True, now))
        for _ in range(count):
            u = uuid.uuid4()
            units.append((u, tenant, f"单位{len(units)}", "unit", f"/{root}/{u}/", 1, True, now))
            for _ in range(2):
                d = uuid.uuid4()
                units.append((d, tenant, "处室", "division", f"/{root}/{u}/{d}/", 2, True, now))
                divisions.append((d, tenant))

    add_tenant_units(province, DEPARTMENTS)
    for cid in city_ids:
        add_tenant_units(cid, UNITS_PER_CITY)

    n_users = int(USERS * scale)
    users = []
    for _ in range(n_users):
        d, t = divisions[rng.randrange(len(divisions))]
        users.append((uuid.uuid4(), t, uuid.uuid4(), d, True, before.isoformat()))
    signins = []
    for _, t, uid, d, _, _ in users:
        if rng.random() < ACTIVE_SHARE:
            for _ in range(SIGNINS_PER_ACTIVE):
                signins.append((uuid.uuid4(), t, uid, d, moment()))
    doc_units = []
    docs = []
    for kind, count in (("received", RECEIVED), ("sent", SENT), ("processed", PROCESSED)):
        for _ in range(int(count * scale)):
            d, t = divisions[rng.randrange(len(divisions))]
            document = uuid.uuid4()
            doc_units.append((document, t, d))
            docs.append(
                (uuid.uuid4(), t, kind, document, d if kind == "received" else None, moment())
            )
    tasks = []
    for kind, count in (("created", TASKS), ("overdue", OVERDUE)):
        for _ in range(int(count * scale)):
            document, t, d = doc_units[rng.randrange(len(doc_units))]
            tasks.append((uuid.uuid4(), t, kind, document, d, moment()))

    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            _copy(cur, "dir_tenants", "id, tenant_id, parent_id, code, name, path", tenants)
            _copy(
                cur,
                "dir_units",
                "id, tenant_id, name, kind, path, depth, active, updated_at",
                units,
            )
            _copy(cur, "user_facts", "event_id, tenant_id, user_id, org_unit_id, active, at", users)
            _copy(cur, "signin_facts", "event_id, tenant_id, user_id, org_unit_id, at", signins)
            _copy(cur, "document_units", "document_id, tenant_id, unit_id", doc_units)
            _copy(
                cur, "document_facts", "event_id, tenant_id, kind, document_id, unit_id, at", docs
            )
            _copy(cur, "task_facts", "event_id, tenant_id, kind, document_id, unit_id, at", tasks)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()
    facts = len(users) + len(signins) + len(docs) + len(tasks) + len(doc_units)
    return {
        "province": province,
        "city": city_ids[0],
        "units": sum(1 for u in units if u[3] == "unit" and u[5] > 0),
        "users": len(users),
        "facts": facts,
        "signins": len(signins),
        "seed_s": round(time.perf_counter() - started, 1),
    }


BASELINE = """
SELECT unit, count(*) FROM (
    SELECT org_unit_id AS unit FROM signin_facts WHERE at >= :start AND at < :end
    UNION ALL SELECT coalesce(f.unit_id, du.unit_id) FROM document_facts f
        LEFT JOIN document_units du ON du.document_id = f.document_id
        WHERE f.at >= :start AND f.at < :end
    UNION ALL SELECT unit_id FROM task_facts WHERE at >= :start AND at < :end
) x GROUP BY unit
"""


def _timed(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    settings = Settings()
    database = stack.env["DB_PREFIX"] + "metrics"
    dsn = psycopg2_dsn(settings.admin_database_url(database))
    rng = random.Random(20261130)
    print(f"  seeding the metrics facts (scale {ctx.scale}) …", flush=True)
    seeded = seed(dsn, ctx.scale, rng)
    print(
        f"  seeded {seeded['units']:,} units, {seeded['users']:,} users, "
        f"{seeded['facts']:,} facts in {seeded['seed_s']}s",
        flush=True,
    )
    engine = create_engine(settings.admin_database_url(database))
    ops = CallContext(tenant_id=seeded["province"], user_id=uuid.uuid4(), roles=frozenset({"ops"}))
    result: dict[str, Any] = {k: v for k, v in seeded.items() if k not in ("province", "city")}
    start, end = month_bounds(MONTH)
    with Session(engine) as session:
        base_s, base_rows = _timed(
            lambda: session.execute(text(BASELINE), {"start": start, "end": end}).all()
        )
        session.rollback()
        result["baseline_sql_s"] = round(base_s, 3)
        print(
            f"  baseline: one SQL aggregate over the month's facts {base_s:.3f}s ({len(base_rows):,} groups)",
            flush=True,
        )
        for level in (IndicatorLevel.unit, IndicatorLevel.city, IndicatorLevel.department):
            took, table = _timed(lambda lv=level: indicators.table(session, ops, MONTH, lv))
            result[f"table_{level.value}_s"] = round(took, 3)
            print(
                f"  {level.value:>10}: {len(table.rows):,} rows in {took:.3f}s "
                f"({took / base_s:.1f}× the baseline); province login rate {table.total.login_rate_label}",
                flush=True,
            )
        took, trend = _timed(
            lambda: indicators.trend(session, ops, MONTH, IndicatorLevel.city, seeded["city"]),
            repeat=1,
        )
        result["trend_city_s"] = round(took, 3)
        print(f"  12-month trend of one city: {took:.3f}s", flush=True)
    engine.dispose()
    return result
