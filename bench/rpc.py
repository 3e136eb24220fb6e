"""RPC round trip of a trivial call (``ping`` → ``"pong"``, touching nothing).

Three ways of making the same request/reply over this machine's RabbitMQ, each
at 1 and at 32 concurrent callers:

(a)  the gateway's asyncio client (:class:`services.common.rpc_client.AsyncRpcClient`,
     one shared connection) calling the ``ledger`` service (nameko, eventlet);
(b)  nameko's standalone ``ClusterRpcProxy`` opened per request, as naive
     gateways do (blocking, threads; in a subprocess, see :mod:`bench.nameko_proxy`);
(c)  a raw aio-pika request/reply to a bare consumer (:mod:`bench.echo_server`):
     the floor.

and, to tell the client's share from the server's:

(a*) the gateway's client calling the bare consumer through the nameko
     protocol (``benchecho.ping``): (a*) vs (c) is the cost of the client,
     (a) vs (a*) the cost of the nameko service.

Aims: (a) within 1.5x of (c) (p50 latency at 1 caller, throughput at 32);
(a) at least 5x the throughput of (b).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench.context import ROOT, BenchContext
from bench.echo_server import NAMEKO_SERVICE, RAW_QUEUE
from bench.harness import CpuProbe, Measurement, async_load, find_broker_pid, format_table
from services.common.rpc_client import AsyncRpcClient

NAME = "rpc"
DESCRIPTION = (
    "RPC round trip: gateway asyncio client vs per-request ClusterRpcProxy vs raw aio-pika"
)

SERVICE = "ledger"
CONCURRENCY = (1, 32)
MAX_SECONDS = 25.0
ROUNDS = 3  # interleaved rounds of (a), (a*), (c); each row is the median round

AIM_A_OVER_C_LATENCY = 1.5  # (a) p50 at 1 caller at most 1.5x (c)
AIM_A_OVER_C_THROUGHPUT = 1 / 1.5  # (a) throughput at 32 at least (c)/1.5
AIM_A_OVER_B_THROUGHPUT = 5.0  # (a) throughput at least 5x (b)


class RawClient:
    """The least an aio-pika request/reply can do: one connection, one channel,
    one exclusive reply queue, the default exchange both ways."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._reply_queue = ""

    async def open(self) -> None:
        self._connection = await aio_pika.connect(self.amqp_uri)
        self._channel = await self._connection.channel(publisher_confirms=False)
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.consume(self._on_reply, no_ack=True)
        self._reply_queue = queue.name

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    async def call(self) -> bytes:
        assert self._channel is not None
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        await self._channel.default_exchange.publish(
            aio_pika.Message(b"ping", correlation_id=correlation_id, reply_to=self._reply_queue),
            routing_key=RAW_QUEUE,
        )
        return await asyncio.wait_for(future, 10)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


def _sizes(ctx: BenchContext, concurrency: int, fast: bool) -> tuple[int, int]:
    """(total, warmup) for one phase (one round), scaled by ``--quick``."""
    if fast:
        total = 1000 if concurrency == 1 else 3000
        warmup = 100 if concurrency == 1 else 300
    else:  # the per-request proxy: each call opens and closes a connection
        total = 100 if concurrency == 1 else 400
        warmup = 10 if concurrency == 1 else 64
    return max(20, int(total * ctx.scale)), max(5, int(warmup * ctx.scale))


def median_round(rounds: list[Measurement]) -> Measurement:
    """The round whose throughput is the median: one whole, consistent row."""
    return sorted(rounds, key=lambda m: m.throughput)[(len(rounds) - 1) // 2]


async def _asyncio_clients(
    ctx: BenchContext, pids: dict[str, int | None]
) -> tuple[list[Measurement], list[Measurement]]:
    """(a), (a*) and (c), in ROUNDS interleaved rounds; returns (median rows, every round).

    Other work on the machine (it is shared) disturbs single runs; interleaving
    the three cases and taking each one's median round keeps that out of the
    ratios.
    """
    every: list[Measurement] = []
    broker = pids["broker"]
    gateway_client = AsyncRpcClient(ctx.amqp_uri, timeout=10, client_name="bench")
    raw = RawClient(ctx.amqp_uri)
    await gateway_client.connect()
    await raw.open()

    async def ping_service() -> None:
        if await gateway_client.call(SERVICE, "ping") != "pong":
            raise RuntimeError("unexpected answer")

    async def ping_echo() -> None:
        if await gateway_client.call(NAMEKO_SERVICE, "ping") != "pong":
            raise RuntimeError("unexpected answer")

    async def ping_raw() -> None:
        if await raw.call() != b"pong":
            raise RuntimeError("unexpected answer")

    cases = [
        ("(c) raw aio-pika → bare consumer", ping_raw, pids["echo"]),
        ("(a*) gateway client → bare consumer", ping_echo, pids["echo"]),
        (f"(a) gateway client → {SERVICE} (nameko)", ping_service, pids[SERVICE]),
    ]
    try:
        for round_no in range(1, ROUNDS + 1):
            line = []
            for label, call, server_pid in cases:
                for concurrency in CONCURRENCY:
                    total, warmup = _sizes(ctx, concurrency, fast=True)
                    m = await async_load(
                        label,
                        call,
                        concurrency=concurrency,
                        total=total,
                        warmup=warmup,
                        max_seconds=MAX_SECONDS,
                        probe=CpuProbe({"server": server_pid, "broker": broker}),
                    )
                    every.append(m)
                    line.append(f"{label.split()[0]}×{concurrency} {m.throughput:.0f}/s")
            print(f"  round {round_no}/{ROUNDS}: " + ", ".join(line), flush=True)
    finally:
        await gateway_client.close()
        await raw.close()
    medians = []
    for label, _, _ in cases:
        for concurrency in CONCURRENCY:
            rounds = [m for m in every if m.label == label and m.concurrency == concurrency]
            if rounds:
                medians.append(median_round(rounds))
    return medians, every


def _per_request_proxy(ctx: BenchContext, pids: dict[str, int | None]) -> list[Measurement]:
    phases = []
    for concurrency in CONCURRENCY:
        total, warmup = _sizes(ctx, concurrency, fast=False)
        phases.append({"concurrency": concurrency, "total": total, "warmup": warmup})
    spec = {
        "amqp_uri": ctx.amqp_uri,
        "service": SERVICE,
        "phases": phases,
        "max_seconds": MAX_SECONDS,
        "pids": {"server": pids[SERVICE], "broker": pids["broker"]},
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench.nameko_proxy", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=len(phases) * (2 * MAX_SECONDS + 60),
        check=False,
    )
    out = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            m = Measurement(**json.loads(line))
            print(f"  {m.label} ×{m.concurrency}: {m.throughput:.0f}/s p50 {m.p50_ms:.2f} ms")
            out.append(m)
    if proc.returncode != 0 or len(out) != len(phases):
        print(f"  (b) failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return out


def _start_echo_server(ctx: BenchContext) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_server", ctx.amqp_uri],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "ready", or EOF if it died
    if line.strip() != "ready":
        proc.wait(5)
        raise RuntimeError(f"the bare consumer did not start (exit {proc.returncode})")
    return proc


def _find(rows: list[Measurement], prefix: str, concurrency: int) -> Measurement | None:
    for row in rows:
        if row.label.startswith(prefix) and row.concurrency == concurrency:
            return row
    return None


def _ratio(x: float | None, y: float | None) -> float | None:
    if x is None or y is None or not y:
        return None
    return round(x / y, 3)


def summarise(rows: list[Measurement]) -> dict[str, Any]:
    """The ratios the aims are stated in, with whether each aim is met."""
    a1, a32 = _find(rows, "(a)", 1), _find(rows, "(a)", 32)
    s1, s32 = _find(rows, "(a*)", 1), _find(rows, "(a*)", 32)
    b1, b32 = _find(rows, "(b)", 1), _find(rows, "(b)", 32)
    c1, c32 = _find(rows, "(c)", 1), _find(rows, "(c)", 32)

    def p50(m: Measurement | None) -> float | None:
        return m.p50_ms if m else None

    def tp(m: Measurement | None) -> float | None:
        return m.throughput if m else None

    def cpu(m: Measurement | None) -> float | None:
        """CPU ms per call of client, server and broker together: what bounds
        throughput on 2 cores, and much less disturbed by other work than wall time."""
        return round(sum(m.cpu_ms_per_call.values()), 3) if m and m.cpu_ms_per_call else None

    ratios: dict[str, float | None] = {
        "a_over_c_p50_latency_at_1": _ratio(p50(a1), p50(c1)),
        "a_over_c_throughput_at_32": _ratio(tp(a32), tp(c32)),
        "b_over_a_throughput_at_32": _ratio(tp(b32), tp(a32)),
        "b_over_a_throughput_at_1": _ratio(tp(b1), tp(a1)),
        # diagnostics: the client alone (a*), and the nameko service's share
        "astar_over_c_p50_latency_at_1": _ratio(p50(s1), p50(c1)),
        "astar_over_c_throughput_at_32": _ratio(tp(s32), tp(c32)),
        "a_over_astar_p50_latency_at_1": _ratio(p50(a1), p50(s1)),
        "a_over_astar_throughput_at_32": _ratio(tp(a32), tp(s32)),
        # c's CPU per call over a's: the throughput ratio on an otherwise idle machine
        "c_over_a_cpu_per_call_at_32": _ratio(cpu(c32), cpu(a32)),
        "c_over_astar_cpu_per_call_at_32": _ratio(cpu(c32), cpu(s32)),
    }
    cpu_per_call = {
        "a_at_32": cpu(a32),
        "astar_at_32": cpu(s32),
        "c_at_32": cpu(c32),
        "b_at_32": cpu(b32),
    }
    lat, thr, vs_b = (
        ratios["a_over_c_p50_latency_at_1"],
        ratios["a_over_c_throughput_at_32"],
        ratios["b_over_a_throughput_at_32"],
    )
    aims = {
        "a_within_1.5x_of_c_latency": None if lat is None else lat <= AIM_A_OVER_C_LATENCY,
        "a_within_1.5x_of_c_throughput": None if thr is None else thr >= AIM_A_OVER_C_THROUGHPUT,
        "a_at_least_5x_b_throughput": None if vs_b is None else vs_b <= 1 / AIM_A_OVER_B_THROUGHPUT,
    }
    return {"ratios": ratios, "aims": aims, "cpu_ms_per_call_all_processes": cpu_per_call}


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("meets aim" if ok else "MISSES aim")


def print_summary(summary: dict[str, Any]) -> None:
    r, aims = summary["ratios"], summary["aims"]

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    def inv(v: float | None) -> str:
        return "n/a" if not v else f"{1 / v:.1f}"

    print()
    print(
        f"a/c  p50 latency at 1 caller:  {f(r['a_over_c_p50_latency_at_1'])}"
        f"   (aim ≤ 1.50)  {_verdict(aims['a_within_1.5x_of_c_latency'])}"
    )
    print(
        f"a/c  throughput at 32 callers: {f(r['a_over_c_throughput_at_32'])}"
        f"   (aim ≥ 0.67, i.e. c/a ≤ 1.5)  {_verdict(aims['a_within_1.5x_of_c_throughput'])}"
    )
    print(
        f"b/a  throughput at 32 callers: {f(r['b_over_a_throughput_at_32'])}"
        f"   (a is {inv(r['b_over_a_throughput_at_32'])}x b; aim ≥ 5x)"
        f"  {_verdict(aims['a_at_least_5x_b_throughput'])}"
    )
    print(
        f"b/a  throughput at 1 caller:   {f(r['b_over_a_throughput_at_1'])}"
        f"   (a is {inv(r['b_over_a_throughput_at_1'])}x b)"
    )
    cpu = summary["cpu_ms_per_call_all_processes"]
    print(
        f"CPU ms per call at 32, client+server+broker: (a) {f(cpu['a_at_32'])}, "
        f"(a*) {f(cpu['astar_at_32'])}, (c) {f(cpu['c_at_32'])}, (b) {f(cpu['b_at_32'])}; "
        f"c/a {f(r['c_over_a_cpu_per_call_at_32'])}, c/a* {f(r['c_over_astar_cpu_per_call_at_32'])}"
        " (the a/c throughput ratio on an idle machine, where CPU is the bound)"
    )
    print(
        "diagnostics: the client alone (a*/c): "
        f"latency {f(r['astar_over_c_p50_latency_at_1'])}, "
        f"throughput {f(r['astar_over_c_throughput_at_32'])}; "
        "the nameko service's share (a/a*): "
        f"latency {f(r['a_over_astar_p50_latency_at_1'])}, "
        f"throughput {f(r['a_over_astar_throughput_at_32'])}"
    )


def run(ctx: BenchContext) -> dict[str, Any]:
    ctx.wait_for_service(SERVICE)
    echo = _start_echo_server(ctx)
    pids: dict[str, int | None] = {
        SERVICE: ctx.pid(SERVICE),
        "echo": echo.pid,
        "broker": find_broker_pid(),
    }
    try:
        rows, every_round = asyncio.run(_asyncio_clients(ctx, pids))
        rows += _per_request_proxy(ctx, pids)
    finally:
        echo.terminate()
        try:
            echo.wait(10)
        except subprocess.TimeoutExpired:
            echo.kill()
            echo.wait(5)
    order = ["(a)", "(a*)", "(b)", "(c)"]
    rows.sort(key=lambda m: (order.index(m.label.split()[0]), m.concurrency))
    print()
    print(format_table(rows))
    print(
        f"(a), (a*), (c): the median of {ROUNDS} interleaved rounds; "
        "cpu ms/call: CPU time of the caller process (client), the answering process "
        "(server) and RabbitMQ (broker), per completed call"
    )
    summary = summarise(rows)
    print_summary(summary)
    return {
        "service": SERVICE,
        "rounds": ROUNDS,
        "measurements": [m.as_dict() for m in rows],
        "every_round": [m.as_dict() for m in every_round],
        **summary,
    }
