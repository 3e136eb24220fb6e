"""Calls to the services over the one shared asyncio RPC client, with metrics.

:class:`ServiceRpc` wraps :class:`~services.common.rpc_client.AsyncRpcClient`
(one connection per gateway process) and times every call; :class:`Caller`
binds it to the context of one request (who is calling, request id, address),
which travels as nameko context data to the service.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from gateway.metrics import RPC_ERRORS, RPC_LATENCY
from services.common.errors import GongwenError, RemoteError


class RpcClient(Protocol):
    """What the gateway needs of :class:`services.common.rpc_client.AsyncRpcClient`."""

    async def connect(self) -> None: ...

    async def call(
        self,
        service: str,
        method: str,
        kwargs: dict[str, Any] | None = None,
        *,
        context: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    async def close(self) -> None: ...


class ServiceRpc:
    def __init__(self, client: RpcClient) -> None:
        self.client = client

    async def call(
        self,
        service: str,
        method: str,
        kwargs: dict[str, Any] | None = None,
        *,
        context: dict[str, str],
        timeout: float | None = None,
    ) -> Any:
        started = time.perf_counter()
        try:
            return await self.client.call(
                service, method, kwargs or {}, context=context, timeout=timeout
            )
        except GongwenError as exc:
            RPC_ERRORS.labels(service, method, exc.code).inc()
            raise
        except RemoteError:
            RPC_ERRORS.labels(service, method, "remote_error").inc()
            raise
        except Exception:
            RPC_ERRORS.labels(service, method, "internal_error").inc()
            raise
        finally:
            RPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)

    async def close(self) -> None:
        await self.client.close()


class Caller:
    """The RPC client bound to one request's call context."""

    def __init__(self, rpc: ServiceRpc, context: dict[str, str]) -> None:
        self.rpc = rpc
        self.context = context

    async def call(
        self, service: str, method: str, *, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        return await self.rpc.call(service, method, kwargs, context=self.context, timeout=timeout)

    async def identity(self, method: str, **kwargs: Any) -> Any:
        return await self.call("identity", method, **kwargs)

    async def documents(self, method: str, **kwargs: Any) -> Any:
        return await self.call("documents", method, **kwargs)

    async def routing(self, method: str, *, timeout: float | None = None, **kwargs: Any) -> Any:
        return await self.call("routing", method, timeout=timeout, **kwargs)
