"""How fast documents applies a burst of routing's events (DESIGN 10): the baseline
for later work on the consumers (no aim yet).

Setup: a tenant with a registry and a registrar made through the gateway, 100
documents registered. Then 10,000 ``task.overdue`` events (as one overdue pass of
the scanner leaves them: 100 per document) are published to ``routing.events`` at
once, and the benchmark waits until documents has applied every one (its
``processed_events`` rows for ``documents.on_task_overdue``): each sets the red flag
of its document and appends a trace row to the tenant's hash-chained trail.

Printed beside it, measured in the same run on the same broker: a bare kombu
consumer taking the same 10,000 messages from a queue of its own and acknowledging
them (the broker's floor). Events/s are per consumer instance (one documents
process).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import httpx
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import create_engine, text

from bench.context import BenchContext
from bench.todo import Api, onboard_registry
from services.common.settings import Settings
from services.routing.events import TaskOverdue

NAME = "events"
DESCRIPTION = "documents applying a burst of 10,000 routing events (task.overdue), events/s"

EVENTS = 10_000
DOCUMENTS = 100
PASSWORD = "bench-events-9"
CONSUMER = "documents.on_task_overdue"


def _setup(ctx: BenchContext) -> tuple[str, str, str, list[str]]:
    """(tenant id, registrar id, registrar's org unit, document ids)."""
    stack = ctx.stack
    api = Api(stack.gateway_url)
    code = f"ev{uuid.uuid4().hex[:6]}"
    try:
        office = onboard_registry(api, ctx, code, "事件基准", "办公厅", PASSWORD)
        registrar = office.registrar_token
        documents = [
            api.call(
                "POST",
                "/documents",
                registrar,
                {
                    "title": f"基准文件{i}",
                    "source_org": "国务院办公厅",
                    "received_date": "2026-11-20",
                    "urgency": "平件",
                    "secrecy": "非密",
                },
                201,
            )["id"]
            for i in range(DOCUMENTS)
        ]
    finally:
        api.close()
    return office.tenant["id"], office.registrar["id"], office.registry["id"], documents


def _events(tenant_id: str, registry_id: str, documents: list[str]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    out = []
    for i in range(EVENTS):
        data = {
            "task_id": str(uuid.uuid4()),
            "document_id": documents[i % len(documents)],
            "instance_id": str(uuid.uuid4()),
            "step": "division_sign",
            "step_name": "处室签收",
            "roles": ["division_head", "handler"],
            "due_at": (now - dt.timedelta(hours=1)).isoformat(),
            "title": "基准文件",
            "urgency": "normal",
            "unit_id": registry_id,
            "assignee_id": None,
            "overdue_at": (now - dt.timedelta(hours=1)).isoformat(),
        }
        TaskOverdue.check_outgoing(data)
        out.append(
            {
                "id": str(uuid.uuid4()),
                "type": "task.overdue",
                "source": "routing",
                "occurred_at": now.isoformat(),
                "tenant_id": tenant_id,
                "version": TaskOverdue.version,
                "data": data,
            }
        )
    return out


def _publish(amqp_uri: str, exchange: Exchange, events: list[dict[str, Any]], key: str) -> float:
    started = time.perf_counter()
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        exchange(channel).declare()
        channel.tx_select()
        producer = Producer(channel, exchange=exchange, serializer="json")
        for n, event in enumerate(events, 1):
            producer.publish(event, routing_key=key, delivery_mode=2, retry=False)
            if n % 1000 == 0:
                channel.tx_commit()
        channel.tx_commit()
    return time.perf_counter() - started


def _metric_sum(stack: Any, service: str, name: str, consumer: str) -> float:
    """The sum of a counter's samples for one consumer on a service's /metrics."""
    port = stack.metrics_ports.get(service)
    if not port:
        return float("nan")
    text_ = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text_.splitlines()
        if line.startswith(name + "{") and f'consumer="{consumer}"' in line
    )


def _bare_consumer(amqp_uri: str, events: list[dict[str, Any]]) -> float:
    """Seconds for a bare consumer to take and ack the same messages (own queue)."""
    exchange = Exchange(f"bench-events-{uuid.uuid4().hex[:6]}", type="topic", auto_delete=True)
    with Connection(amqp_uri) as conn:
        queue = Queue(f"{exchange.name}-q", exchange, routing_key="#", auto_delete=True)
        queue(conn.default_channel).declare()
        _publish(amqp_uri, exchange, events, "task.overdue")
        got = 0
        started = time.perf_counter()

        def take(body: Any, message: Any) -> None:
            nonlocal got
            json.loads(message.body)  # as a consumer reads it
            message.ack()
            got += 1

        with conn.Consumer(queue, callbacks=[take], prefetch_count=10):
            while got < len(events):
                conn.drain_events(timeout=30)
        return time.perf_counter() - started


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    if not ctx.gateway_ready:
        return {"skipped": "the gateway is not running"}
    amqp_uri = stack.env["AMQP_URI"]
    tenant_id, _registrar, registry_id, documents = _setup(ctx)
    events = _events(tenant_id, registry_id, documents)
    engine = create_engine(Settings().admin_database_url(stack.env["DB_PREFIX"] + "documents"))

    def applied() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM processed_events WHERE handler = :h AND event_id = ANY(:ids)"
                    ),
                    {"h": CONSUMER, "ids": [uuid.UUID(e["id"]) for e in events]},
                ).scalar_one()
            )

    before = time.perf_counter()
    publish_s = _publish(
        amqp_uri, Exchange("routing.events", type="topic", durable=True), events, "task.overdue"
    )
    done = 0
    deadline = before + 600
    while time.perf_counter() < deadline:
        done = applied()
        if done >= EVENTS:
            break
        time.sleep(0.5)
    total_s = time.perf_counter() - before
    engine.dispose()
    retries = _metric_sum(stack, "documents", "gongwen_event_retries_total", CONSUMER)
    parked = _metric_sum(stack, "documents", "gongwen_events_parked_total", CONSUMER)
    bare_s = _bare_consumer(amqp_uri, events)
    rate = done / total_s if total_s else 0.0
    bare_rate = EVENTS / bare_s if bare_s else 0.0
    print(
        f"  {EVENTS:,} task.overdue events over {DOCUMENTS} documents, published in {publish_s:.1f} s;"
        f" documents applied {done:,} in {total_s:.1f} s: {rate:,.0f} events/s (1 instance)",
        flush=True,
    )
    print(
        f"  baseline, same run: a bare kombu consumer takes and acks them at {bare_rate:,.0f} events/s"
        f" ({bare_s:.1f} s); documents is {bare_rate / rate if rate else float('inf'):.0f}x slower",
        flush=True,
    )
    print(f"  tries again (transient failures): {retries:.0f}; parked: {parked:.0f}", flush=True)
    return {
        "retries": retries,
        "parked": parked,
        "events": EVENTS,
        "applied": done,
        "publish_s": round(publish_s, 2),
        "apply_s": round(total_s, 2),
        "events_per_s_per_instance": round(rate, 1),
        "bare_consumer_events_per_s": round(bare_rate, 1),
    }
