"""Session fixtures of the suites that go through the gateway of the session's stack
(tests/e2e, tests/browser): their conftest files import them from here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD, Settings
from tests.support.gateway import (
    Gateway,
    User,
)


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> Settings:
    """The settings every process of the stack runs with."""
    return Settings()


@pytest.fixture(scope="session")
def gw(gateway_url: str) -> Iterator[Gateway]:
    gateway = Gateway(gateway_url)
    yield gateway
    gateway.close()


@pytest.fixture(scope="session")
def platform_admin(gw: Gateway, stack: Stack, settings: Settings) -> User:
    password = stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
    return gw.login(None, settings.platform_admin_username, password)
