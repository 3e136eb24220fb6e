"""PostgreSQL goes away under a running service: its callers get 503
``database_unavailable`` with the usual error body (not 500 ``internal_error``),
through the RPC client and through the gateway, and all is well when it is back.

The machine's PostgreSQL is shared, so it is never stopped: the identity service of
a stack of its own reaches it through a TCP proxy in this process, which is cut
(every connection closed, new ones refused) and restored.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.stack import Stack
from services.common.errors import ServiceUnavailable
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD
from tests.support.faults import TcpProxy, extra_gateway
from tests.support.gateway import expect_error, ok, wait_until
from tests.support.stacks import SyncRpc, healthy_rpc, partial_stack, settings_for


@pytest.fixture(scope="module")
def pg_proxy() -> Iterator[TcpProxy]:
    settings = settings_for({})
    proxy = TcpProxy((settings.pg_host, settings.pg_port)).start()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def db_stack(pg_proxy: TcpProxy) -> Iterator[Stack]:
    """Identity only, its database (and migrations) reached through the proxy."""
    for stack in partial_stack(
        "pgdown", ("identity",), extra_env={"PG_HOST": "127.0.0.1", "PG_PORT": str(pg_proxy.port)}
    ):
        try:
            yield stack
        finally:
            pg_proxy.restore()  # the stack's databases are dropped through it


@pytest.fixture(scope="module")
def rpc(db_stack: Stack) -> Iterator[SyncRpc]:
    yield from healthy_rpc(db_stack, ("identity",))


def login(client: httpx.Client) -> httpx.Response:
    password = LOCAL_PLATFORM_ADMIN_PASSWORD
    return client.post("/auth/login", json={"username": "admin", "password": password})


def test_a_service_whose_database_is_away_answers_503_database_unavailable(
    db_stack: Stack, rpc: SyncRpc, pg_proxy: TcpProxy
):
    with (
        extra_gateway(db_stack, "pg-outage") as gateway,
        httpx.Client(base_url=gateway.url + "/api/v1", timeout=20, trust_env=False) as api,
    ):
        wait_until(lambda: login(api).status_code == 200, 30, "the first login")
        assert rpc.call("identity", "health")["database"] == "ok"

        pg_proxy.cut()
        with pytest.raises(ServiceUnavailable) as info:
            rpc.call("identity", "health")
        assert info.value.code == "database_unavailable"
        for _ in range(2):  # every call, not only the one that found the pool broken
            error = expect_error(login(api), 503, "database_unavailable")
            assert "database" in error["message"]
        # the gateway itself is alive and says what is missing
        assert httpx.get(gateway.url + "/healthz", trust_env=False).status_code == 200

        pg_proxy.restore()
        wait_until(lambda: login(api).status_code == 200, 20, "identity to reconnect")
        assert ok(login(api))["access_token"]
        assert rpc.call("identity", "health")["database"] == "ok"
