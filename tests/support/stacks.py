"""Isolated stacks for the test suites and a synchronous RPC client of them: a whole
stack per session (tests/conftest.py), a partial one per service test directory
(:func:`partial_stack`, :func:`healthy_rpc`), and the settings its processes run with."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from devstack.stack import Stack, ensure_infra
from services.common.errors import ServiceTimeout, ServiceUnavailable
from services.common.settings import Settings

#: what every test stack runs with: two test workers (``make test``) each run their stacks
#: on this machine's one PostgreSQL and its default 100 connections, so a service keeps
#: two idle connections in its pool (bursts still open up to its overflow)
TEST_STACK_ENV = {"DB_POOL_SIZE": "2"}


class SyncRpc:
    """Calls services over RabbitMQ with the gateway's own asyncio client, from sync tests."""

    def __init__(self, amqp_uri: str, timeout: float = 5.0) -> None:
        from services.common.rpc_client import AsyncRpcClient

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = AsyncRpcClient(amqp_uri, timeout=timeout, client_name="tests")

    def call(
        self,
        service: str,
        method: str,
        context: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        ctx = {"request_id": f"test-{uuid.uuid4().hex[:8]}", **(context or {})}
        future = asyncio.run_coroutine_threadsafe(
            self.client.call(service, method, kwargs, context=ctx, timeout=timeout), self.loop
        )
        return future.result((timeout or self.client.timeout) + 5)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def unique(prefix: str = "x") -> str:
    """A short unique name for data created by one test."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def settings_for(env: dict[str, str]) -> Settings:
    """The settings a stack's processes run with (this process's environment untouched)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def partial_stack(
    name: str,
    services: tuple[str, ...],
    *,
    object_store: bool = False,
    sinks: bool = False,
    instances: int = 1,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """An isolated stack of a few services (no gateway) for one test directory:
    migrations, the object store and the SMTP/SMS sinks if asked, ``instances`` processes of each service;
    destroyed afterwards. Package fixtures ``yield from`` it."""
    ensure_infra()
    s = Stack.isolated(name, extra_env={**TEST_STACK_ENV, **(extra_env or {})})
    s.services = services
    try:
        s.run_dir.mkdir(parents=True, exist_ok=True)
        if object_store:
            s.start_object_store()
        if sinks:  # the loopback SMTP and SMS sinks (devstack.sinks)
            s.start_sinks()
        s.migrate()
        for service in services:
            for instance in range(instances):
                s.start_service(service, instance)
        yield s
    finally:
        s.destroy()


def healthy_rpc(stack: Stack, services: tuple[str, ...], timeout: float = 5.0) -> Iterator[SyncRpc]:
    """An RPC client of a partial stack, once each of ``services`` answers ``health``."""
    client = SyncRpc(stack.env["AMQP_URI"], timeout=timeout)
    try:
        wait_healthy(stack, client, services)
        yield client
    finally:
        client.close()


def wait_healthy(
    stack: Stack, client: SyncRpc, services: tuple[str, ...], timeout: float = 90
) -> None:
    """Wait until each service answers ``health`` (for stacks without a gateway);
    a process that exits meanwhile fails at once with the end of its log."""
    deadline = time.monotonic() + timeout
    pending = list(services)
    while pending:
        for name, proc in stack.processes.items():
            if proc.poll() is not None:
                log = (stack.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log}")
        try:
            if client.call(pending[0], "health", timeout=2)["status"] == "ok":
                pending.pop(0)
                continue
        except (ServiceUnavailable, ServiceTimeout):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {pending[0]} service did not become ready")
        time.sleep(0.3)
