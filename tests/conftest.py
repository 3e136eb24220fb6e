"""Test fixtures: one isolated Gongwen stack per test session.

The stack runs every service and the gateway as real processes against this
machine's RabbitMQ (its own vhost), PostgreSQL (its own databases), Redis (its
own key prefix) and moto's S3 server on loopback; nothing is mocked. It is torn
down (databases and vhost dropped) at the end of the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from devstack.stack import Stack, ensure_infra
from tests.support.stacks import (
    SyncRpc,
)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    ensure_infra()
    s = Stack.isolated("t")
    try:
        s.start()
        yield s
    finally:
        s.destroy()


@pytest.fixture(scope="session")
def stack_env(stack: Stack) -> Iterator[dict[str, str]]:
    """Point this test process's settings at the isolated stack."""
    from services.common import settings as settings_module

    saved = dict(os.environ)
    os.environ.update(stack.env)
    settings_module.get_settings.cache_clear()
    yield stack.env
    os.environ.clear()
    os.environ.update(saved)
    settings_module.get_settings.cache_clear()


@pytest.fixture(scope="session")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    client = SyncRpc(stack.env["AMQP_URI"])
    yield client
    client.close()


@pytest.fixture(scope="session")
def gateway_url(stack: Stack) -> str:
    return stack.gateway_url


@pytest.fixture()
def api(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url + "/api/v1", timeout=15) as client:
        yield client
