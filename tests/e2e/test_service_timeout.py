"""A service that is down: the gateway answers 504 after the call timeout, and
serves again once the service is back (its own module: it stops the stack's
identity service for a while)."""

from __future__ import annotations

import time

import httpx

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.gateway import Gateway, Org, expect_error, fresh_address, wait_until


def test_a_stopped_service_gives_504_then_recovers(
    stack: Stack, gw: Gateway, org: Org, settings: Settings
):
    user = gw.login("gz", "wenshu1", address=fresh_address())
    assert user.me()["username"] == "wenshu1"

    stack.stop_process("identity")
    try:
        started = time.monotonic()
        response = user.get("/me")
        elapsed = time.monotonic() - started
        expect_error(response, 504, "service_timeout")
        assert settings.rpc_timeout - 0.5 <= elapsed < settings.rpc_timeout + 3, elapsed
        ready = httpx.get(stack.gateway_url + "/readyz", timeout=15, trust_env=False)
        expect_error(ready, 503, "not_ready")
        assert httpx.get(stack.gateway_url + "/healthz", trust_env=False).status_code == 200
    finally:
        stack.start_service("identity")
    wait_until(lambda: user.get("/me").status_code == 200, 90, "identity to answer again")
    assert stack.http_ok("/readyz?services=all")
