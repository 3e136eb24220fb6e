"""Fixtures of the identity tests: an isolated stack with only the identity service.

The stack runs migrations and two identity instances started at the same moment
(which exercises the start-up work racing: one platform administrator, one
signing key) as real processes against this machine's RabbitMQ (own vhost),
PostgreSQL (own databases) and Redis (own key prefix). Calls go through
RabbitMQ with the gateway's own asyncio RPC client; contexts come from real
access tokens obtained by logging in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.identity import (
    Actor,
    Identity,
    Province,
    connect,
    onboard_province,
)
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack, settings_for

IDENTITY_INSTANCES = 2


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """Migrations plus identity only (the gateway and other services are not needed)."""
    yield from partial_stack("id", ("identity",), instances=IDENTITY_INSTANCES)


@pytest.fixture(scope="package")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(stack, ("identity",))


@pytest.fixture(scope="package")
def settings(stack: Stack) -> Settings:
    """The settings every process of the test stack runs with."""
    return settings_for(stack.env)


@pytest.fixture(scope="package")
def identity_db(stack: Stack, settings: Settings) -> str:
    return stack.env["DB_PREFIX"] + "identity"


# -- callers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def identity(rpc: SyncRpc, settings: Settings) -> Identity:
    assert settings.platform_admin_password  # the local default applies in the test stack
    return Identity(rpc, settings)


@pytest.fixture(scope="package")
def admin(identity: Identity) -> Actor:
    return identity.platform_admin()


@pytest.fixture(scope="package")
def province(identity: Identity, admin: Actor) -> Province:
    return onboard_province(identity, admin)


@pytest.fixture(scope="package")
def pg_superuser(settings: Settings, identity_db: str) -> Iterator[Any]:
    with connect(settings, identity_db, superuser=True) as conn:
        conn.autocommit = True
        yield conn
