"""Test fixtures: one isolated Gongwen stack per test session.

The stack runs every service and the gateway as real processes against this
machine's RabbitMQ (its own vhost), PostgreSQL (its own databases), Redis (its
own key prefix) and moto's S3 server on loopback; nothing is mocked. It is torn
down (databases and vhost dropped) at the end of the session.

``make test`` runs the suite on two workers (pytest-xdist, ``--dist loadgroup``): each
worker starts its own session stack, and every package of tests (tests/browser,
tests/e2e, tests/notify, …) stays whole on one worker, so a package's own stack and the
browser are started once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.stack import Stack, ensure_infra
from tests.support.stacks import TEST_STACK_ENV, SyncRpc


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One xdist group per package of tests (its directory under tests/)."""
    root = Path(__file__).parent
    for item in items:
        package = item.path.relative_to(root).parts[0]
        item.add_marker(pytest.mark.xdist_group(package.removesuffix(".py")))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    ensure_infra()
    s = Stack.isolated("t", extra_env=TEST_STACK_ENV)
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
