"""The to-do list (待办) of one user with 1,000,000 tasks in the routing database.

Setup, in the run's own stack (nothing is kept between runs):

1. Through the gateway: a tenant, its org tree (a top unit, the registry 文书处
   and 40 business divisions) and four real users (a leader, a registrar, the
   head and the busiest handler of division 0), created by the platform and
   tenant administrators; the handler and the registrar sign in.
2. :mod:`bench.seed_tasks` fills the routing database with 1,000,000 tasks
   (``--quick``: 100,000) of ~3 years of documents across 2,000 users, the real
   users among them, then ``VACUUM ANALYZE``.

Measured: the first page (20 rows) of the to-do list of the busiest handler of
the busiest division (their tasks plus the division's pooled 签收 tasks)

(i)  at the routing service: ``routing.list_todo`` over RabbitMQ with
     :class:`services.common.rpc_client.AsyncRpcClient` and the user's context;
(ii) through the gateway: ``GET /api/v1/tasks/todo?limit=20`` with the user's
     bearer token (skipped while the gateway has no such endpoint),

at 1 client (latency without queueing) and at 32 concurrent clients, a bounded
number of calls after a warm-up. The registrar's list (the registry's pooled
tasks: the longest list of the tenant) is measured at 32 clients as well.
The aim: p99 under 50 ms through the gateway at 32 clients. A closed loop of 32
clients measures capacity as much as latency (each waits for its answer, so
the latency is 32 / throughput); beside it the handler's list is requested at
a fixed 100 requests/s (open loop, latency from when each request was due):
the latency users would see at a busy hour's rate.

CPU per call is shown for the load generator, the gateway, the routing
service, RabbitMQ and the routing database's PostgreSQL backends.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2

from bench.context import BenchContext
from bench.harness import (
    CpuProbe,
    Measurement,
    async_load,
    find_broker_pid,
    format_table,
    process_cpu_seconds,
)
from bench.httpload import KeepAliveClient
from bench.seed_tasks import (
    DIVISIONS,
    SeedOrg,
    busiest_handler,
    division_user_index,
    expected_todo_total,
    leader_index,
    psycopg2_dsn,
    registrar_index,
    seed,
)
from services.common.context import CallContext
from services.common.rpc_client import AsyncRpcClient
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD, Settings

NAME = "todo"
DESCRIPTION = "to-do list page (20 rows) of one user with 1,000,000 tasks: routing RPC and gateway"

TASKS = 1_000_000
QUICK_TASKS = 100_000
USERS = 2000
PAGE = 20
TODO_PATH = f"/api/v1/tasks/todo?limit={PAGE}"
AIM_P99_MS = 50.0

PHASES: tuple[dict[str, int], ...] = (
    {"concurrency": 1, "total": 300, "warmup": 30},
    {"concurrency": 32, "total": 3000, "warmup": 300},
)
MAX_SECONDS = 40.0
# Beside the closed loop of the aim: requests arriving at a fixed rate (open loop),
# latency counted from when each was due to be sent. 2,000 users opening their
# to-do list every 20 s at the busiest hour would be 100 requests/s.
OPEN_LOOP_RATE = 100.0
OPEN_LOOP_CALLS = 1500

API = "/api/v1"
TENANT_CODE = "bench"
PASSWORD = "Bench-Gongwen-2026"


@dataclass
class Person:
    """A real user of the tenant: who they are to routing, and their token."""

    label: str
    index: int
    user_id: uuid.UUID
    username: str
    roles: tuple[str, ...]
    org_unit_id: uuid.UUID
    token: str | None = None

    def context(self, tenant_id: uuid.UUID) -> dict[str, str]:
        return CallContext(
            tenant_id=tenant_id,
            tenant_code=TENANT_CODE,
            user_id=self.user_id,
            username=self.username,
            roles=frozenset(self.roles),
            org_unit_id=self.org_unit_id,
        ).to_context_data()


# -- the tenant, through the gateway ----------------------------------------------------------


class Api:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url + API, timeout=30, trust_env=False)

    def call(self, method: str, path: str, token: str | None, body: Any, status: int) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code != status:
            raise RuntimeError(
                f"{method} {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def login(self, tenant: str | None, username: str, password: str) -> str:
        body = {"tenant": tenant, "username": username, "password": password}
        return str(self.call("POST", "/auth/login", None, body, 200)["access_token"])

    def close(self) -> None:
        self.http.close()


@dataclass(frozen=True)
class Registry:
    """A tenant onboarded through the gateway with one unit, its registry (文书处) and
    one registrar signed in: what the benchmarks that act as a registry start from."""

    tenant: dict[str, Any]
    code: str
    admin_token: str
    top: dict[str, Any]
    registry: dict[str, Any]
    registrar: dict[str, Any]
    registrar_username: str
    registrar_token: str


def onboard_registry(
    api: Api, ctx: BenchContext, code: str, tenant_name: str, unit_name: str, password: str
) -> Registry:
    """Onboard ``code`` as the platform administrator, then make its unit, 文书处 and a
    registrar (``<code>-reg``) as the tenant administrator; everyone's password is ``password``."""
    admin_password = ctx.stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
    platform = api.login(None, "admin", admin_password)
    admin_body = {"username": f"{code}-admin", "full_name": "基准管理员", "password": password}
    tenant = api.call(
        "POST", "/tenants", platform, {"code": code, "name": tenant_name, "admin": admin_body}, 201
    )
    admin = api.login(code, f"{code}-admin", password)
    top = api.call("POST", "/org-units", admin, {"name": unit_name, "kind": "unit"}, 201)
    registry = api.call(
        "POST",
        "/org-units",
        admin,
        {"name": "文书处", "kind": "division", "parent_id": top["id"]},
        201,
    )
    username = f"{code}-reg"
    registrar = api.call(
        "POST",
        "/users",
        admin,
        {
            "username": username,
            "full_name": "基准文书",
            "password": password,
            "org_unit_id": registry["id"],
            "roles": ["registrar"],
        },
        201,
    )
    return Registry(
        tenant=tenant,
        code=code,
        admin_token=admin,
        top=top,
        registry=registry,
        registrar=registrar,
        registrar_username=username,
        registrar_token=api.login(code, username, password),
    )


def make_tenant(ctx: BenchContext) -> tuple[SeedOrg, list[Person]]:
    """The tenant, its org tree and the real users, made through the gateway."""
    stack = ctx.stack
    api = Api(stack.gateway_url)
    try:
        admin_password = stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
        platform = api.login(None, "admin", admin_password)
        tenant = api.call(
            "POST",
            "/tenants",
            platform,
            {
                "code": TENANT_CODE,
                "name": "基准测试省政府办公厅",
                "admin": {
                    "username": "bench-admin",
                    "full_name": "基准管理员",
                    "password": PASSWORD,
                },
            },
            201,
        )
        admin = api.login(TENANT_CODE, "bench-admin", PASSWORD)

        def unit(name: str, kind: str, parent: str | None) -> uuid.UUID:
            body = {"name": name, "kind": kind, "parent_id": parent}
            return uuid.UUID(api.call("POST", "/org-units", admin, body, 201)["id"])

        top = unit("省政府办公厅", "unit", None)
        registry = unit("文书处", "division", str(top))
        divisions = tuple(unit(f"第{i + 1}处", "division", str(top)) for i in range(DIVISIONS))
        wanted = [
            ("leader", leader_index(0), ("office_leader",), top),
            ("registrar", registrar_index(0), ("registrar",), registry),
            ("division head", division_user_index(USERS, 0, 0), ("division_head",), divisions[0]),
            ("handler", busiest_handler(USERS), ("handler",), divisions[0]),
        ]
        people = []
        for label, index, roles, unit_id in wanted:
            username = f"bench-{label.replace(' ', '-')}"
            body = {
                "username": username,
                "full_name": f"基准{label}",
                "password": PASSWORD,
                "org_unit_id": str(unit_id),
                "roles": list(roles),
            }
            user = api.call("POST", "/users", admin, body, 201)
            people.append(Person(label, index, uuid.UUID(user["id"]), username, roles, unit_id))
        for person in people:
            if person.label in ("handler", "registrar"):
                person.token = api.login(TENANT_CODE, person.username, PASSWORD)
        org = SeedOrg(
            tenant_id=uuid.UUID(tenant["id"]),
            top_unit_id=top,
            registry_unit_id=registry,
            division_ids=divisions,
            real_users={p.index: p.user_id for p in people},
        )
        return org, people
    finally:
        api.close()


def synthetic_tenant() -> tuple[SeedOrg, list[Person]]:
    """Without a gateway: ids of nobody (the RPC part needs only a context)."""
    org = SeedOrg(
        tenant_id=uuid.uuid4(),
        top_unit_id=uuid.uuid4(),
        registry_unit_id=uuid.uuid4(),
        division_ids=tuple(uuid.uuid4() for _ in range(DIVISIONS)),
    )
    handler = busiest_handler(USERS)
    registrar = registrar_index(0)
    people = [
        Person(
            "registrar",
            registrar,
            org.user_id(registrar),
            "registrar",
            ("registrar",),
            org.registry_unit_id,
        ),
        Person(
            "handler", handler, org.user_id(handler), "handler", ("handler",), org.division_ids[0]
        ),
    ]
    return org, people


Subject = tuple[Person, int, tuple[dict[str, int], ...]]  # who, list length, load phases


# -- CPU of the routing database's backends ------------------------------------------------------


class BackendsCpuProbe(CpuProbe):
    """:class:`CpuProbe` plus the summed CPU of every PostgreSQL backend connected to
    one database (backends that appear during the phase count from zero)."""

    def __init__(self, pids: dict[str, int | None], dsn: str, database: str) -> None:
        super().__init__(pids)
        self.dsn = dsn
        self.database = database
        self._backends_before: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        conn = psycopg2.connect(self.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> pg_backend_pid()",
                    (self.database,),
                )
                pids = [int(r[0]) for r in cur.fetchall()]
        finally:
            conn.close()
        out = {}
        for pid in pids:
            value = process_cpu_seconds(pid)
            if value is not None:
                out[pid] = value
        return out

    def start(self) -> None:
        self._backends_before = self._backends()
        super().start()

    def stop(self) -> dict[str, float]:
        out = super().stop()
        after = self._backends()
        out["postgres"] = sum(v - self._backends_before.get(pid, 0.0) for pid, v in after.items())
        return out


# -- the load -------------------------------------------------------------------------------------


def _check_page(page: Any, expected_rows: int) -> None:
    items = page.get("items") if isinstance(page, dict) else None
    if not isinstance(items, list) or len(items) != expected_rows:
        got = len(items) if isinstance(items, list) else repr(page)[:200]
        raise RuntimeError(f"expected a page of {expected_rows} rows, got {got}")


async def _rpc_load(
    ctx: BenchContext,
    tenant_id: uuid.UUID,
    subjects: list[Subject],
    probe: BackendsCpuProbe,
) -> list[Measurement]:
    client = AsyncRpcClient(ctx.amqp_uri, timeout=15.0, client_name="bench-todo")
    rows = []
    try:
        for person, total, phases in subjects:
            context = person.context(tenant_id)
            expected_rows = min(PAGE, total)
            first = await client.call(
                "routing", "list_todo", {"query": {"limit": PAGE}}, context=context
            )
            _check_page(first, expected_rows)
            if first.get("total") != total:
                raise RuntimeError(f"list_todo total {first.get('total')}, SQL counts {total}")

            async def todo(context: dict[str, str] = context, rows_: int = expected_rows) -> None:
                page = await client.call(
                    "routing", "list_todo", {"query": {"limit": PAGE}}, context=context
                )
                _check_page(page, rows_)

            for phase in phases:
                m = await async_load(
                    f"RPC routing.list_todo, {person.label} ({total})",
                    todo,
                    concurrency=phase["concurrency"],
                    total=max(20, int(phase["total"] * ctx.scale)),
                    warmup=max(5, int(phase["warmup"] * ctx.scale)),
                    max_seconds=MAX_SECONDS,
                    probe=probe,
                )
                print(
                    f"  RPC {person.label} ×{m.concurrency}: {m.throughput:.0f} calls/s"
                    f" p50 {m.p50_ms:.1f} ms p99 {m.p99_ms:.1f} ms",
                    flush=True,
                )
                rows.append(m)
    finally:
        await client.close()
    return rows


async def open_loop(
    label: str,
    call: Callable[[], Awaitable[Any]],
    *,
    rate: float,
    total: int,
    max_seconds: float,
    probe: CpuProbe,
) -> Measurement:
    """``total`` calls started at ``rate`` per second whatever the answers do; each
    latency runs from the instant the call was due, so queueing is not hidden."""
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None

    async def one(due: float) -> None:
        nonlocal errors, first_error
        try:
            await call()
        except Exception as exc:  # counted and shown, not raised
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"
            return
        latencies.append(time.perf_counter() - due)

    probe.start()
    start = time.perf_counter() + 0.01
    running = []
    stopped_early = False
    for i in range(total):
        due = start + i / rate
        if due - start > max_seconds:
            stopped_early = True
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        running.append(asyncio.create_task(one(due)))
    await asyncio.gather(*running)
    seconds = time.perf_counter() - start
    return Measurement.from_latencies(
        label, 0, latencies, errors, seconds, probe.stop(), first_error, stopped_early
    )


async def _gateway_load(
    ctx: BenchContext,
    subjects: list[Subject],
    probe: BackendsCpuProbe,
) -> list[Measurement]:
    rows = []
    for person, total, phases in subjects:
        size = max(p["concurrency"] for p in phases)
        client = KeepAliveClient(
            ctx.stack.gateway_url,
            headers={"Authorization": f"Bearer {person.token}", "Accept": "application/json"},
            size=size,
        )
        await client.open()
        request = client.build_get(TODO_PATH)
        expected_rows = min(PAGE, total)
        try:
            status, body = await client.send(request)
            if status != 200:
                raise RuntimeError(f"GET {TODO_PATH} answered {status}: {body[:300]!r}")
            _check_page(json.loads(body), expected_rows)

            async def todo(request: bytes = request, client: KeepAliveClient = client) -> None:
                status, body = await client.send(request)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {body[:200]!r}")

            for phase in phases:
                m = await async_load(
                    f"GET /tasks/todo?limit=20, {person.label} ({total})",
                    todo,
                    concurrency=phase["concurrency"],
                    total=max(20, int(phase["total"] * ctx.scale)),
                    warmup=max(5, int(phase["warmup"] * ctx.scale)),
                    max_seconds=MAX_SECONDS,
                    probe=probe,
                )
                print(
                    f"  gateway {person.label} ×{m.concurrency}: {m.throughput:.0f} req/s"
                    f" p50 {m.p50_ms:.1f} ms p99 {m.p99_ms:.1f} ms",
                    flush=True,
                )
                rows.append(m)
            if person.label == "handler":
                m = await open_loop(
                    f"GET /tasks/todo, {person.label}, {OPEN_LOOP_RATE:.0f}/s open loop",
                    todo,
                    rate=OPEN_LOOP_RATE,
                    total=max(200, int(OPEN_LOOP_CALLS * ctx.scale)),
                    max_seconds=MAX_SECONDS,
                    probe=probe,
                )
                print(
                    f"  gateway {person.label} at {OPEN_LOOP_RATE:.0f} req/s offered:"
                    f" p50 {m.p50_ms:.1f} ms p99 {m.p99_ms:.1f} ms",
                    flush=True,
                )
                rows.append(m)
        finally:
            await client.close()
    return rows


def gateway_has_todo(base_url: str) -> bool:
    try:
        response = httpx.get(base_url + "/openapi.json", timeout=15, trust_env=False)
        paths = response.json().get("paths", {}) if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return False
    return "/api/v1/tasks/todo" in paths


# -- the benchmark ----------------------------------------------------------------------------------


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    result: dict[str, Any] = {}
    tasks = TASKS if ctx.scale >= 1 else QUICK_TASKS
    settings = Settings()
    database = stack.env["DB_PREFIX"] + "routing"
    dsn = psycopg2_dsn(settings.admin_database_url(database))
    admin_dsn = psycopg2_dsn(settings.admin_database_url("postgres"))

    if ctx.gateway_ready:
        org, people = make_tenant(ctx)
        print(
            f"  tenant {TENANT_CODE!r}, {DIVISIONS + 2} org units and "
            f"{len(people)} users made through the gateway",
            flush=True,
        )
    else:
        org, people = synthetic_tenant()
        print("  no gateway: a synthetic tenant (the RPC part needs only a context)", flush=True)

    print(f"  seeding {tasks:,} tasks across {USERS:,} users …", flush=True)
    report = seed(dsn, org, tasks=tasks, users=USERS)
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in report.phases.items())
    print(
        f"  seeded {report.tasks:,} tasks ({report.open_tasks:,} open), {report.documents:,}"
        f" documents, {report.instances:,} workflow instances over {report.span_days} days"
        f" in {report.seconds:.1f}s ({phases})",
        flush=True,
    )
    result["seed"] = report.as_dict()

    by_label = {p.label: p for p in people}
    subjects: list[Subject] = []
    for label, phase_set in (("handler", PHASES), ("registrar", PHASES[1:])):
        person = by_label[label]
        total = expected_todo_total(
            dsn, org.tenant_id, person.user_id, person.org_unit_id, list(person.roles)
        )
        subjects.append((person, total, phase_set))
        print(f"  {label}: {total} open tasks in the to-do list", flush=True)
    result["lists"] = {p.label: total for p, total, _ in subjects}

    ctx.wait_for_service("routing")
    pids = {
        "gateway": ctx.pid("gateway"),
        "routing": ctx.pid("routing"),
        "broker": find_broker_pid(),
    }
    probe = BackendsCpuProbe(pids, admin_dsn, database)

    started = time.perf_counter()
    rpc_rows = asyncio.run(_rpc_load(ctx, org.tenant_id, subjects, probe))
    result["rpc"] = [m.as_dict() for m in rpc_rows]
    rows = list(rpc_rows)

    gateway_rows: list[Measurement] = []
    if not ctx.gateway_ready:
        why = "; ".join(ctx.notes) or "the gateway did not start"
        print(f"  gateway: skipped: gateway not available ({why})")
        result["gateway"] = {"skipped": "gateway not available", "why": why}
    elif not gateway_has_todo(stack.gateway_url):
        print("  gateway: skipped: GET /tasks/todo not available yet")
        result["gateway"] = {"skipped": "GET /tasks/todo not available yet"}
    else:
        gateway_rows = asyncio.run(_gateway_load(ctx, subjects, probe))
        result["gateway"] = [m.as_dict() for m in gateway_rows]
        rows += gateway_rows
    result["load_seconds"] = round(time.perf_counter() - started, 1)

    print()
    print(format_table(rows))
    print(
        "cpu ms/call: CPU time of the load generator (client), the gateway, the routing "
        "service, RabbitMQ (broker) and the routing database's backends (postgres), per call"
    )
    aim = _aim(gateway_rows)
    print(aim["line"])
    result["aim"] = aim
    return result


def _aim(gateway_rows: list[Measurement]) -> dict[str, Any]:
    target = next((m for m in gateway_rows if m.concurrency == 32 and "handler" in m.label), None)
    if target is None:
        return {
            "p99_ms_under": AIM_P99_MS,
            "met": None,
            "line": f"aim: to-do page p99 under {AIM_P99_MS:.0f} ms through the gateway at 32"
            " clients: not measured (no gateway endpoint yet)",
        }
    met = target.p99_ms < AIM_P99_MS and target.errors == 0
    line = (
        f"aim: to-do page p99 under {AIM_P99_MS:.0f} ms through the gateway at 32"
        f" clients: {target.p99_ms:.1f} ms ({'met' if met else 'MISSED'})"
    )
    out: dict[str, Any] = {"p99_ms_under": AIM_P99_MS, "p99_ms": target.p99_ms, "met": met}
    steady = next((m for m in gateway_rows if m.concurrency == 0), None)
    if steady is not None:
        out["open_loop"] = {
            "rate": OPEN_LOOP_RATE,
            "p50_ms": steady.p50_ms,
            "p99_ms": steady.p99_ms,
        }
        line += (
            f"; at {OPEN_LOOP_RATE:.0f} requests/s arriving (open loop) p99 is"
            f" {steady.p99_ms:.1f} ms"
        )
    out["line"] = line
    return out
