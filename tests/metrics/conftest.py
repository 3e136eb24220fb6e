"""Fixtures of the metrics tests: an isolated stack with identity, documents, routing
and metrics as real processes (no gateway). The facts reach metrics as the other
services' real events, through the broker; the tests read the indicators through
metrics' RPC methods with the context the gateway would send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack, settings_for

SERVICES = ("identity", "documents", "routing", "metrics")


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    yield from partial_stack("mx", SERVICES, object_store=True)


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, SERVICES, timeout=10)


@pytest.fixture(scope="package")
def settings(stack: Stack) -> Settings:
    return settings_for(stack.env)
