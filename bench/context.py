"""The isolated stack one benchmark run uses, started on first need and
destroyed at the end of the run.

The stack is ``Stack.isolated("b")``: its own RabbitMQ vhost, databases, Redis
key prefix and ports, so a run can go on beside ``make run`` or the tests. The
gateway's per-address rate limit is lifted (every request of a benchmark comes
from 127.0.0.1).

While parts of the suite are still being written, the run starts what exists:
if the gateway or a service has no code yet, the services that do exist are
started without the gateway, and the benchmarks that need the gateway report
themselves as skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from devstack.stack import SERVICES, Stack, ensure_infra
from services.common.rpc_client import AsyncRpcClient

ROOT = Path(__file__).resolve().parents[1]

BENCH_ENV = {
    # every request of a benchmark comes from one address
    "GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
    "RPC_TIMEOUT": "10",
}


def services_with_code() -> tuple[str, ...]:
    return tuple(s for s in SERVICES if (ROOT / "services" / s / "service.py").is_file())


def gateway_has_code() -> bool:
    return (ROOT / "gateway" / "app.py").is_file()


@contextlib.contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's and its children's stderr (the migrations' alembic
    chatter) to ``path`` for a while."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


class BenchContext:
    """Shared by the benchmarks of one run."""

    def __init__(self) -> None:
        self._stack: Stack | None = None
        self.gateway_ready = False
        self.notes: list[str] = []
        self.scale = 1.0  # size of every benchmark's loads (``--quick``: 0.2)
        self.keep_logs = False  # set when something failed: the processes' logs are kept

    # -- the stack -------------------------------------------------------------------------
    @property
    def stack(self) -> Stack:
        if self._stack is None:
            self._stack = self._start()
        return self._stack

    @property
    def started(self) -> bool:
        return self._stack is not None

    def _start(self) -> Stack:
        ensure_infra()
        stack = Stack.isolated("b", extra_env=BENCH_ENV)
        self._stack = stack  # destroyed by close() even if starting fails half-way
        available = services_with_code()
        started = time.perf_counter()
        start_log = stack.log_dir / "start.log"
        try:
            with stderr_to(start_log):
                self._start_parts(stack, available)
        except Exception:
            self.keep_logs = True
            print(f"bench: starting the stack failed; see {start_log}", flush=True)
            raise
        print(f"bench: stack up in {time.perf_counter() - started:.1f}s", flush=True)
        return stack

    def _start_parts(self, stack: Stack, available: tuple[str, ...]) -> None:
        if available == SERVICES and gateway_has_code():
            print("bench: starting the whole suite (isolated stack) …", flush=True)
            try:
                stack.start()
                self.gateway_ready = True
            except (RuntimeError, OSError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.keep_logs = True
                self.notes.append(f"the gateway did not become ready: {first}")
                print(f"bench: {self.notes[-1]} (logs: {stack.log_dir})", flush=True)
        else:
            missing = [s for s in SERVICES if s not in available]
            if not gateway_has_code():
                missing.append("gateway")
            self.notes.append(f"not written yet, not started: {', '.join(missing)}")
            print(f"bench: {self.notes[-1]}; starting {', '.join(available)} …", flush=True)
            stack.services = available
            stack.run_dir.mkdir(parents=True, exist_ok=True)
            stack.start_object_store()
            stack.migrate()
            for service in available:
                stack.start_service(service)

    @property
    def amqp_uri(self) -> str:
        return self.stack.env["AMQP_URI"]

    def pid(self, process: str) -> int | None:
        proc = self.stack.processes.get(process)
        return proc.pid if proc is not None and proc.poll() is None else None

    def wait_for_service(self, service: str, timeout: float = 60.0) -> None:
        """Block until ``service.ping`` answers (its consumers are up)."""

        async def wait() -> None:
            client = AsyncRpcClient(self.amqp_uri, timeout=1.0, client_name="bench-wait")
            deadline = time.monotonic() + timeout
            try:
                while True:
                    try:
                        if await client.call(service, "ping") == "pong":
                            return
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                    proc = self.stack.processes.get(service)
                    if proc is not None and proc.poll() is not None:
                        raise RuntimeError(
                            f"{service} exited with {proc.returncode}; see {self.stack.log_dir}"
                        )
                    await asyncio.sleep(0.2)
            finally:
                await client.close()

        asyncio.run(wait())

    def close(self) -> None:
        if self._stack is not None:
            print("bench: destroying the benchmark stack …", flush=True)
            with contextlib.suppress(Exception):
                self._stack.destroy()
            if self.keep_logs:
                print(f"bench: the processes' logs are kept in {self._stack.log_dir}", flush=True)
            else:
                shutil.rmtree(self._stack.run_dir, ignore_errors=True)
            self._stack = None
