"""notify under a burst of overdue events (DESIGN 5): 10,000 ``task.overdue`` events, each
an in-app notification and a text to its holder, the SMS provider answering every text
after 50 ms (like a real one), through 1, 2 and 4 notify instances.

Setup, in the run's own stack: a tenant onboarded through the gateway and 300 handlers
(``--quick``: 100) in one division, each with a mobile number and no e-mail address
(so every notification is one in-app row and one text, no e-mail). The events are what
routing's scanner leaves in its outbox for a pass marking 10,000 tasks overdue
(``--quick``: 2,000): each a distinct task of a distinct document, 特急, held by one of the
handlers (spread evenly), no actor; they are published to ``routing.events`` as
routing's outbox relay does (:class:`services.common.events.EventPublisher`: persistent,
1,000 per broker transaction).

notify is restarted for the benchmark with:

* ``NOTIFY_SMS_UNREAD_MINUTES=0`` and no quiet hours: an overdue notification's text is
  "only if still unread" (channel_rules: only 特急 *to-dos and urges* are texted at once,
  whatever the urgency of an overdue task), so it waits for notify's release pass; with
  the default 30 minutes no text of the burst would go out while it is measured;
* ``NOTIFY_RELEASE_INTERVAL=1``: every instance's release pass runs each second and
  queues at most 200 due texts (``release_due``'s batch), i.e. at most 200 texts/s per
  instance from that pass (the default 5 s: 40/s per instance);
* ``SMS_RATE_PER_SECOND=100000``: the provider's token bucket (Redis, shared) is still
  asked once per text but never makes a sender wait (the default 10/s would make any
  burst take 1,000 s per 10,000 texts, whatever the instances).

documents, which also consumes ``task.overdue``, has its queue unbound from
``routing.events`` for the benchmark (rebound at the end), so that its work on the same
events does not share the two cores with notify's.

Each round (1, 2, 4 instances) starts equal: the notify instances stopped, notify's
queues purged, its tables emptied (notifications, outbound messages, document titles,
outbox, processed and failed events), the sink cleared and told to answer after 50 ms;
then the instances are started and, once each consumes both queues, the events are
published. Measured from the first publish until the database holds every notification
and the SMS sink every text: wall seconds, notifications/s, texts/s, CPU per
notification of the notify processes (and of identity, PostgreSQL's backends of both
databases, the broker, the sink and this process) from ``/proc``, the scaling factor
(throughput at N / at 1), the texts the sink got twice (``/stats`` duplicates: must be
0), and from the first instance's ``/metrics`` the time notify's handlers took per event
beside identity's ``get_user`` (asked once per recipient per event).

The baseline, in the same run on the same broker: a bare kombu consumer taking the same
messages from a queue of its own and acknowledging them (``bench.events``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
from kombu import Connection

from bench.context import BenchContext
from bench.events import _bare_consumer
from bench.harness import find_broker_pid, process_cpu_seconds
from bench.seed_tasks import psycopg2_dsn
from bench.todo import Api, onboard_registry
from devstack.sinks import SinkClient
from services.common.events import EventPublisher
from services.common.settings import Settings
from services.routing.events import TaskOverdue

NAME = "notify"
DESCRIPTION = (
    "a burst of 10,000 task.overdue events (a notification and a text each, the SMS"
    " provider answering in 50 ms) through 1, 2 and 4 notify instances: notifications/s,"
    " CPU per notification, scaling"
)

EVENTS = 10_000
USERS = 300
QUICK_USERS = 100
INSTANCES = (1, 2, 4)
SMS_DELAY_MS = 50
PASSWORD = "bench-notify-9"
PUBLISH_BATCH = 1000
POLL_SECONDS = 0.25
RELEASE_INTERVAL = 1.0
RELEASE_BATCH = 200  # outbound.release_due's limit
SMS_RATE = 100_000
NOTIFY_ENV = {
    "NOTIFY_SMS_UNREAD_MINUTES": "0",
    "NOTIFY_QUIET_HOURS": "00:00-00:00",
    "NOTIFY_RELEASE_INTERVAL": f"{RELEASE_INTERVAL:g}",
    "SMS_RATE_PER_SECOND": str(SMS_RATE),
}

OVERDUE_QUEUE = "evt-routing-task.overdue--notify.on_task_overdue"
SMS_QUEUE = "evt-notify-message.sms_queued--notify.on_sms_queued"
DOCUMENTS_OVERDUE_QUEUE = "evt-routing-task.overdue--documents.on_task_overdue"
NOTIFY_TABLES = (
    "outbound_messages",
    "notifications",
    "document_titles",
    "outbox",
    "processed_events",
    "failed_events",
)


# -- the tenant and its people -------------------------------------------------------------------


def _people(ctx: BenchContext, count: int) -> tuple[str, str, list[str]]:
    """(tenant id, division id, user ids): handlers with a mobile number, no e-mail."""
    api = Api(ctx.stack.gateway_url)
    code = f"nt{uuid.uuid4().hex[:6]}"
    try:
        office = onboard_registry(api, ctx, code, "通知基准", "办公厅", PASSWORD)
        division = api.call(
            "POST",
            "/org-units",
            office.admin_token,
            {"name": "督查处", "kind": "division", "parent_id": office.top["id"]},
            201,
        )
        users = [
            api.call(
                "POST",
                "/users",
                office.admin_token,
                {
                    "username": f"{code}-h{i}",
                    "full_name": f"承办人{i}",
                    "password": PASSWORD,
                    "org_unit_id": division["id"],
                    "roles": ["handler"],
                    "phone": f"139{i:08d}",
                },
                201,
            )["id"]
            for i in range(count)
        ]
    finally:
        api.close()
    return office.tenant["id"], division["id"], users


def _events(tenant_id: str, unit_id: str, users: list[str], count: int) -> list[dict[str, Any]]:
    """What routing's outbox holds after a scanner pass marking ``count`` tasks overdue."""
    now = dt.datetime.now(dt.UTC)
    out = []
    for i in range(count):
        data = {
            "task_id": str(uuid.uuid4()),
            "document_id": str(uuid.uuid4()),
            "instance_id": str(uuid.uuid4()),
            "step": "handle",
            "step_name": "办理",
            "roles": ["handler"],
            "due_at": (now - dt.timedelta(minutes=1)).isoformat(),
            "title": f"关于报送第{i + 1}季度督查事项办理情况的通知",
            "urgency": "extra_urgent",
            "unit_id": unit_id,
            "assignee_id": users[i % len(users)],
            "overdue_at": now.isoformat(),
        }
        TaskOverdue.check_outgoing(data)
        out.append(
            {
                "id": str(uuid.uuid4()),
                "type": TaskOverdue.event_type,
                "source": "routing",
                "occurred_at": now.isoformat(),
                "tenant_id": tenant_id,
                "actor_id": None,
                "request_id": None,
                "version": TaskOverdue.version,
                "data": data,
            }
        )
    return out


def _publish(amqp_uri: str, events: list[dict[str, Any]]) -> float:
    """Publish as routing's relay does; seconds it took."""
    started = time.perf_counter()
    publisher = EventPublisher(amqp_uri, "routing")
    try:
        for i in range(0, len(events), PUBLISH_BATCH):
            publisher.publish([(e["type"], e, {}) for e in events[i : i + PUBLISH_BATCH]])
    finally:
        publisher.close()
    return time.perf_counter() - started


# -- the broker ------------------------------------------------------------------------------------


def _queue(amqp_uri: str, queue: str) -> tuple[int, int]:
    """(ready messages, consumers) of a queue."""
    with Connection(amqp_uri) as conn:
        _, messages, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(messages), int(consumers)


def _purge_notify_queues(vhost: str, amqp_uri: str) -> int:
    """Empty every queue notify consumes from; how many messages were dropped."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "--no-table-headers", "name"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    dropped = 0
    with Connection(amqp_uri) as conn:
        for name in listed:
            if "--notify." in name:
                dropped += int(conn.default_channel.queue_purge(name) or 0)
    return dropped


@contextlib.contextmanager
def _documents_unbound(amqp_uri: str) -> Iterator[None]:
    """documents' task.overdue queue off ``routing.events`` for a while."""
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        channel.queue_unbind(DOCUMENTS_OVERDUE_QUEUE, "routing.events", TaskOverdue.event_type)
    try:
        yield
    finally:
        with Connection(amqp_uri) as conn:
            channel = conn.default_channel
            channel.queue_bind(DOCUMENTS_OVERDUE_QUEUE, "routing.events", TaskOverdue.event_type)


# -- the database ----------------------------------------------------------------------------------


class Database:
    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return row[0] if row else None

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def _dsn(ctx: BenchContext, service: str) -> str:
    return psycopg2_dsn(Settings().admin_database_url(ctx.stack.env["DB_PREFIX"] + service))


# -- CPU -------------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = (entry / "stat").read_text()
            ppid = int(raw[raw.rindex(")") + 2 :].split()[1])
            out.setdefault(ppid, []).append(int(entry.name))
    return out


def _tree_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of processes and their descendants (gone ones: 0)."""
    children = _children()
    total = 0.0
    stack = list(pids)
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += process_cpu_seconds(pid) or 0.0
        stack.extend(children.get(pid, []))
    return total


class Probe:
    """CPU seconds of the processes involved in one round."""

    def __init__(self, ctx: BenchContext, notify_pids: list[int], stat_dsn: str) -> None:
        self.groups: dict[str, list[int]] = {"notify": notify_pids}
        for name in ("identity", "sinks"):
            pid = ctx.pid(name)
            if pid:
                self.groups[name] = [pid]
        broker = find_broker_pid()
        if broker:
            self.groups["broker"] = [broker]
        self.stat_dsn = stat_dsn
        prefix = ctx.stack.env["DB_PREFIX"]
        self.databases = [prefix + "notify", prefix + "identity"]
        self._before: dict[str, float] = {}
        self._backends: dict[int, float] = {}

    def _backend_cpu(self) -> dict[int, float]:
        db = Database(self.stat_dsn)
        try:
            pids = [
                int(r[0])
                for r in db.rows(
                    "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)"
                    " AND pid <> pg_backend_pid()",
                    (self.databases,),
                )
            ]
        finally:
            db.close()
        return {pid: v for pid in pids if (v := process_cpu_seconds(pid)) is not None}

    def _read(self) -> dict[str, float]:
        out = {name: _tree_cpu(pids) for name, pids in self.groups.items()}
        out["bench"] = time.process_time()
        return out

    def start(self) -> None:
        self._backends = self._backend_cpu()
        self._before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        out = {k: after[k] - self._before.get(k, 0.0) for k in after}
        backends = self._backend_cpu()
        # backends that appeared during the round count from zero; closed ones are lost
        out["postgres"] = sum(v - self._backends.get(pid, 0.0) for pid, v in backends.items())
        return out


# -- metrics ---------------------------------------------------------------------------------------


def _metrics(port: int | None) -> str:
    if not port:
        return ""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, trust_env=False).text
    except httpx.HTTPError:
        return ""


def _sample(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels``."""
    total = 0.0
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    for line in text.splitlines():
        if line.startswith(name + "{") and all(w in line for w in wanted):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _entrypoint(text: str, service: str, entrypoint: str) -> tuple[float, float]:
    """(calls, seconds) of an entrypoint on a /metrics page."""
    name = "gongwen_entrypoint_duration_seconds"
    labels = {"service": service, "entrypoint": entrypoint}
    return _sample(text, name + "_count", **labels), _sample(text, name + "_sum", **labels)


# -- one round -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _bench_env(ctx: BenchContext) -> Iterator[None]:
    """notify's settings for the benchmark while the rounds run; notify restarted as it
    was (one instance, the stack's settings) at the end."""
    stack = ctx.stack
    saved = {k: stack.env.get(k) for k in NOTIFY_ENV}
    stack.env.update(NOTIFY_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                stack.env.pop(key, None)
            else:
                stack.env[key] = value
        _stop_notify(ctx)
        stack.start_service("notify")
        ctx.wait_for_service("notify")


def _instance_names() -> list[str]:
    return ["notify", *(f"notify-{i}" for i in range(1, max(INSTANCES)))]


def _stop_notify(ctx: BenchContext) -> None:
    for name in _instance_names():
        ctx.stack.stop_process(name)


def _start_notify(ctx: BenchContext, count: int, amqp_uri: str) -> list[int]:
    stack = ctx.stack
    pids = [stack.start_service("notify", instance=i).pid for i in range(count)]
    deadline = time.monotonic() + 120
    while True:
        for name in _instance_names()[:count]:
            proc = stack.processes.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {stack.log_dir}")
        if all(_queue(amqp_uri, q)[1] >= count for q in (OVERDUE_QUEUE, SMS_QUEUE)):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} notify instances did not all consume in 120 s")
        time.sleep(0.3)
    return pids


def _wait_idle(pids: list[int], timeout: float = 30.0) -> None:
    """Until the instances' start-up work (imports, first release pass, relay) is over:
    together under a tenth of a core for half a second."""
    deadline = time.monotonic() + timeout
    before = _tree_cpu(pids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = _tree_cpu(pids)
        if after - before < 0.05:
            return
        before = after


def _round(
    ctx: BenchContext,
    count: int,
    events: list[dict[str, Any]],
    sink: SinkClient,
    notify_dsn: str,
    stat_dsn: str,
) -> dict[str, Any]:
    stack = ctx.stack
    amqp_uri = stack.env["AMQP_URI"]
    total = len(events)
    _stop_notify(ctx)
    purged = _purge_notify_queues(stack.vhost or "/", amqp_uri)
    db = Database(notify_dsn)
    try:
        db.execute(f"TRUNCATE {', '.join(NOTIFY_TABLES)}")
        sink.clear()
        sink.control(reset=True, delay_ms=SMS_DELAY_MS)
        pids = _start_notify(ctx, count, amqp_uri)
        _wait_idle(pids)
        identity_before = _metrics(stack.metrics_ports.get("identity"))
        probe = Probe(ctx, pids, stat_dsn)
        load_before = round(os.getloadavg()[0], 2)
        probe.start()
        started = time.perf_counter()
        publish_s = _publish(amqp_uri, events)
        in_app_s = sms_s = first_sms_s = None
        notes = texts = 0
        texts_at_in_app: int | None = None
        timeline: list[tuple[float, int, int]] = []
        deadline = started + max(600.0, total / 10)
        last_sample = 0.0
        while time.perf_counter() < deadline:
            now = time.perf_counter() - started
            if in_app_s is None:
                notes = int(db.scalar("SELECT count(*) FROM notifications"))
                if notes >= total:
                    in_app_s = now
            if sms_s is None:
                texts = int(sink.stats()["sms"])
                if texts and first_sms_s is None:
                    first_sms_s = now
                if texts >= total:
                    sms_s = now
            if in_app_s is not None and texts_at_in_app is None:
                texts_at_in_app = texts
            if now - last_sample >= 2.0:
                timeline.append((round(now, 1), notes, texts))
                last_sample = now
            if in_app_s is not None and sms_s is not None:
                break
            for name in _instance_names()[:count]:
                proc = stack.processes.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{name} exited during the burst; see {stack.log_dir}")
            time.sleep(POLL_SECONDS)
        wall_s = time.perf_counter() - started
        cpu = probe.stop()
        timeline.append((round(wall_s, 1), notes, texts))
        stats = sink.stats()
        statuses = {
            str(status): int(n)
            for status, n in db.rows(
                "SELECT status, count(*) FROM outbound_messages GROUP BY status"
            )
        }
        parked = int(db.scalar("SELECT count(*) FROM failed_events"))
        first = _metrics(stack.metrics_ports.get("notify"))
        identity_after = _metrics(stack.metrics_ports.get("identity"))
    finally:
        db.close()
    calls0, handler0 = _entrypoint(first, "notify", "on_task_overdue")
    sms0, sms_handler0 = _entrypoint(first, "notify", "on_sms_queued")
    release0, release_s0 = _entrypoint(first, "notify", "release_timer")
    ids_after = _entrypoint(identity_after, "identity", "get_user")
    ids_before = _entrypoint(identity_before, "identity", "get_user")
    lookups = ids_after[0] - ids_before[0]
    lookup_s = ids_after[1] - ids_before[1]
    done = in_app_s is not None and sms_s is not None
    throughput = total / wall_s if done and wall_s else 0.0
    return {
        "instances": count,
        "events": total,
        "done": done,
        "load_average_before": load_before,
        "publish_s": round(publish_s, 2),
        "wall_s": round(wall_s, 2),
        "in_app_done_s": round(in_app_s, 2) if in_app_s is not None else None,
        "sms_first_s": round(first_sms_s, 2) if first_sms_s is not None else None,
        "sms_done_s": round(sms_s, 2) if sms_s is not None else None,
        "notifications": notes,
        "texts": texts,
        "texts_when_in_app_done": texts_at_in_app,
        "notifications_per_s": round(total / in_app_s, 1) if in_app_s else None,
        "texts_per_s": round(total / sms_s, 1) if sms_s else None,
        "delivered_per_s": round(throughput, 1),
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "cpu_ms_per_notification": {k: round(v * 1000 / total, 2) for k, v in cpu.items()},
        "cores_busy": round(sum(cpu.values()) / wall_s, 2) if wall_s else None,
        "sink": stats,
        "outbound_by_status": statuses,
        "parked": parked,
        "purged_before": purged,
        "first_instance": {
            "overdue_events": calls0,
            "overdue_handler_ms": round(handler0 * 1000 / calls0, 2) if calls0 else None,
            "texts": sms0,
            "sms_handler_ms": round(sms_handler0 * 1000 / sms0, 2) if sms0 else None,
            "release_passes": release0,
            "release_pass_ms": round(release_s0 * 1000 / release0, 2) if release0 else None,
        },
        "identity_get_user": {
            "calls": lookups,
            "server_ms": round(lookup_s * 1000 / lookups, 2) if lookups else None,
            "seconds": round(lookup_s, 2),
        },
        "timeline": timeline,
    }


# -- the benchmark ---------------------------------------------------------------------------------


def _print_rounds(rounds: list[dict[str, Any]], bare_rate: float) -> None:
    base = rounds[0]["delivered_per_s"] if rounds else 0.0
    names = ["notify", "identity", "postgres", "broker", "sinks", "bench"]
    header = (
        f"  {'instances':>9} {'wall s':>7} {'in-app s':>8} {'notes/s':>8} {'texts/s':>8}"
        f" {'both/s':>7} {'scaling':>7} {'dup':>4} {'cores':>5}   cpu ms per notification: "
        + " ".join(f"{n:>8}" for n in names)
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in rounds:
        scaling = r["delivered_per_s"] / base if base else float("nan")
        cpu = r["cpu_ms_per_notification"]
        cells = " ".join(f"{cpu[n]:>8.2f}" if n in cpu else f"{'-':>8}" for n in names)
        in_app = f"{r['in_app_done_s']:>8.1f}" if r["in_app_done_s"] is not None else f"{'-':>8}"
        print(
            f"  {r['instances']:>9} {r['wall_s']:>7.1f} {in_app}"
            f" {r['notifications_per_s'] or 0:>8.0f} {r['texts_per_s'] or 0:>8.0f}"
            f" {r['delivered_per_s']:>7.0f} {scaling:>7.2f} {r['sink'].get('duplicates', 0):>4}"
            f" {r['cores_busy'] or 0:>5.2f}"
            + " " * 27
            + cells
            + ("" if r["done"] else "  (NOT all delivered in time)")
        )
    print(
        "  (both/s: notifications with their text delivered per second of wall time, from the"
        " first publish; scaling: both/s against one instance; dup: texts the sink got twice;"
        " cores: CPU of the processes listed over the wall time)"
    )
    for r in rounds:
        cpu_ms = sum(v for k, v in r["cpu_ms_per_notification"].items() if k != "bench")
        ceiling = (os.cpu_count() or 1) * 1000 / cpu_ms if cpu_ms else float("nan")
        print(
            f"  {r['instances']} instance(s): {cpu_ms:.1f} ms CPU per notification over the"
            f" processes listed: {os.cpu_count()} cores allow at most {ceiling:.0f}/s with nothing"
            f" else running (reached: {r['delivered_per_s']:.0f}/s, load average"
            f" {r['load_average_before']:.2f} before the round)"
        )
    slower = f"; one notify instance is {bare_rate / base:,.0f}x slower" if base else ""
    print(
        f"  baseline, same run: one bare kombu consumer takes and acks the same messages at"
        f" {bare_rate:,.0f} messages/s{slower}"
    )


def _print_details(rounds: list[dict[str, Any]]) -> None:
    for r in rounds:
        first = r["first_instance"]
        lookup = r["identity_get_user"]
        share = (
            lookup["server_ms"] / first["overdue_handler_ms"]
            if lookup["server_ms"] and first["overdue_handler_ms"]
            else None
        )
        print(
            f"  {r['instances']} instance(s): published in {r['publish_s']:.1f} s; first text"
            f" after {r['sms_first_s']} s; outbound {r['outbound_by_status']}; sink"
            f" {r['sink']['sms']:,} texts, {r['sink'].get('duplicates', 0)} duplicates,"
            f" {r['sink'].get('sms_refused', 0)} refused; parked {r['parked']}"
            + (f"; {r['purged_before']} stale messages purged first" if r["purged_before"] else "")
        )
        in_app_s, sms_s = r["in_app_done_s"], r["sms_done_s"]
        early = r["texts_when_in_app_done"]
        if in_app_s and sms_s and early is not None and sms_s > in_app_s:
            print(
                f"    texts: {early / in_app_s:.0f}/s while notifications were still being"
                f" written ({early:,} by {in_app_s:.0f} s),"
                f" {(r['events'] - early) / (sms_s - in_app_s):.0f}/s after"
            )
        print(
            f"    first instance: overdue handler {first['overdue_handler_ms']} ms/event"
            f" ({first['overdue_events']:.0f} events), SMS handler {first['sms_handler_ms']}"
            f" ms/text ({first['texts']:.0f}), release pass {first['release_pass_ms']} ms"
            f" ({first['release_passes']:.0f} passes); identity get_user {lookup['server_ms']}"
            f" ms/call in identity ({lookup['calls']:.0f} calls)"
            + (
                f" = {share:.0%} of the overdue handler's time, before the RPC's trip"
                " through the broker"
                if share is not None
                else ""
            )
        )


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    if not ctx.gateway_ready:
        return {"skipped": "the gateway is not running"}
    if not stack.sink_url:
        return {"skipped": "the stack runs no SMS sink"}
    total = max(1, round(EVENTS * ctx.scale))
    users_count = USERS if ctx.scale >= 1 else QUICK_USERS
    amqp_uri = stack.env["AMQP_URI"]
    started = time.perf_counter()
    tenant_id, unit_id, users = _people(ctx, users_count)
    setup_s = time.perf_counter() - started
    print(
        f"  {users_count} handlers with a mobile number made through the gateway in"
        f" {setup_s:.1f} s; {total:,} task.overdue events (特急, one task each) spread over them",
        flush=True,
    )
    print(
        f"  notify's settings: texts of overdue notifications are only-if-unread, released by"
        f" each instance's pass every {RELEASE_INTERVAL:g} s, at most {RELEASE_BATCH} a pass"
        f" (NOTIFY_SMS_UNREAD_MINUTES=0, no quiet hours); SMS_RATE_PER_SECOND={SMS_RATE:,}"
        f" (the limit is not what is measured; the default 10/s would take {total / 10:,.0f} s);"
        f" the sink answers each text after {SMS_DELAY_MS} ms; 10 workers per instance",
        flush=True,
    )
    sink = SinkClient(stack.sink_url, timeout=10)
    notify_dsn = _dsn(ctx, "notify")
    stat_dsn = _dsn(ctx, "identity")
    rounds: list[dict[str, Any]] = []
    with _documents_unbound(amqp_uri), _bench_env(ctx):
        for count in INSTANCES:
            events = _events(tenant_id, unit_id, users, total)
            result = _round(ctx, count, events, sink, notify_dsn, stat_dsn)
            rounds.append(result)
            print(
                f"  {count} instance(s): {result['wall_s']:.1f} s for {total:,} notifications"
                f" and texts (in-app done at {result['in_app_done_s']} s, texts at"
                f" {result['sms_done_s']} s)",
                flush=True,
            )
    sink.control(reset=True)
    sink.clear()
    bare_s = _bare_consumer(amqp_uri, _events(tenant_id, unit_id, users, total))
    bare_rate = total / bare_s if bare_s else 0.0
    print()
    _print_rounds(rounds, bare_rate)
    _print_details(rounds)
    print(
        f"  notes: {os.cpu_count()} cores shared by every process of the stack; identity"
        " answers one get_user per recipient per event (no cache); notify's /metrics are the first"
        " instance's only"
    )
    base = rounds[0]["delivered_per_s"] if rounds else 0.0
    return {
        "events": total,
        "users": users_count,
        "sms_delay_ms": SMS_DELAY_MS,
        "notify_settings": NOTIFY_ENV,
        "setup_s": round(setup_s, 1),
        "rounds": rounds,
        "scaling": {
            str(r["instances"]): round(r["delivered_per_s"] / base, 2) if base else None
            for r in rounds
        },
        "bare_consumer_messages_per_s": round(bare_rate, 1),
    }
