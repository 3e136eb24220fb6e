"""Authenticated ``GET /api/v1/me`` through the gateway.

Logs in once as the platform administrator (``POST /api/v1/auth/login``), then
sends ``GET /api/v1/me`` with the bearer token from 32 concurrent clients
over 32 keep-alive connections (:mod:`bench.httpload`), and from 1 for the
latency without queueing. Prints requests/s and p50/p99.

The load generator shares the machine's 2 cores with the gateway, the
services and the broker: its own CPU per request is printed beside the
gateway's so a reader can tell which one the figure is bound by.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench.context import BenchContext
from bench.harness import CpuProbe, Measurement, async_load, find_broker_pid, format_table
from bench.httpload import KeepAliveClient
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD

NAME = "gateway_me"
DESCRIPTION = "authenticated GET /api/v1/me through the gateway, 32 concurrent clients"

PHASES = (
    {"concurrency": 1, "total": 300, "warmup": 30},
    {"concurrency": 32, "total": 3000, "warmup": 200},
)
MAX_SECONDS = 40.0


def login(base_url: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"tenant": None, "username": "admin", "password": password},
        timeout=15,
    )
    if response.status_code != 200:
        raise RuntimeError(f"login answered {response.status_code}: {response.text[:300]}")
    token = response.json().get("access_token")
    if not token:
        raise RuntimeError(f"login answered no access_token: {response.text[:300]}")
    return str(token)


async def _load(ctx: BenchContext, token: str) -> list[Measurement]:
    pids = {
        "gateway": ctx.pid("gateway"),
        "identity": ctx.pid("identity"),
        "broker": find_broker_pid(),
    }
    rows = []
    client = KeepAliveClient(
        ctx.stack.gateway_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        size=max(p["concurrency"] for p in PHASES),
    )
    await client.open()
    request = client.build_get("/api/v1/me")

    async def me() -> None:
        status, body = await client.send(request)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")

    try:
        for phase in PHASES:
            total = max(20, int(phase["total"] * ctx.scale))
            warmup = max(5, int(phase["warmup"] * ctx.scale))
            m = await async_load(
                "GET /api/v1/me (bearer token)",
                me,
                concurrency=phase["concurrency"],
                total=total,
                warmup=warmup,
                max_seconds=MAX_SECONDS,
                probe=CpuProbe(pids),
            )
            print(f"  GET /me ×{m.concurrency}: {m.throughput:.0f} req/s p50 {m.p50_ms:.2f} ms")
            rows.append(m)
    finally:
        await client.close()
    return rows


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    if not ctx.gateway_ready:
        why = "; ".join(ctx.notes) or "the gateway did not start"
        print(f"skipped: gateway not available ({why})")
        return {"skipped": "gateway not available", "why": why}
    password = stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
    try:
        token = login(stack.gateway_url, password)
    except (RuntimeError, httpx.HTTPError, ValueError) as exc:
        print(f"skipped: gateway not available (login failed: {exc})")
        return {"skipped": "gateway not available", "why": f"login failed: {exc}"}
    rows = asyncio.run(_load(ctx, token))
    print()
    print(format_table(rows))
    print(
        "cpu ms/call: CPU time of the load generator (client), the gateway, the identity "
        "service and RabbitMQ (broker), per completed request"
    )
    return {"measurements": [m.as_dict() for m in rows]}
