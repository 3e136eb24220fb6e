"""Asyncio RPC client that speaks nameko's AMQP RPC protocol (aio-pika).

Used by the gateway (which must never block its event loop with nameko's
standalone proxy). One shared connection and channel per process; one
exclusive reply queue bound to the ``nameko-rpc`` exchange; each call publishes
``{"args": [], "kwargs": {...}}`` with routing key ``service.method``,
``reply_to`` and ``correlation_id``, and the caller's context as
``nameko.<key>`` headers, then waits for the reply with the same correlation id.

Failure modes, each a typed error the gateway maps once:
- broker unreachable (at connect, or the connection drops): ``ServiceUnavailable``
  within ``broker_connect_timeout`` seconds; the next call reconnects by itself;
- no queue for the service (it never started on this broker): ``ServiceUnavailable``
  at once (checked once per service with a passive queue declaration; nameko's
  service queues are durable, so a known service that stops keeps its queue);
- the service does not answer in time (it is down, or stuck): ``ServiceTimeout``
  after the per-call timeout; the request message expires in the queue with the
  same timeout so a service coming back does not act on stale requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)

from services.common.errors import ServiceTimeout, ServiceUnavailable, error_from_remote

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


class AsyncRpcClient:
    def __init__(
        self,
        amqp_uri: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 1.5,
        client_name: str = "gateway",
    ) -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.client_name = client_name
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._reply_queue: AbstractQueue | None = None
        self._reply_key = ""
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._lock = asyncio.Lock()
        self._known_services: set[str] = set()

    # -- connection ------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def connect(self) -> None:
        if self.connected:
            return
        async with self._lock:
            if self.connected:
                return
            try:
                await asyncio.wait_for(self._open(), timeout=self.connect_timeout)
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
                await self._discard()
                raise ServiceUnavailable(
                    "broker_unavailable", f"message broker unreachable: {type(exc).__name__}"
                ) from exc

    async def _open(self) -> None:
        await self._discard()
        connection = await aio_pika.connect(
            self.amqp_uri, client_properties={"connection_name": f"gongwen-{self.client_name}"}
        )
        connection.close_callbacks.add(self._on_connection_closed)
        # No publisher confirms: they would add a broker round trip to every call.
        channel = await connection.channel(publisher_confirms=False)
        exchange = await channel.declare_exchange(
            RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        reply_key = str(uuid.uuid4())
        queue = await channel.declare_queue(
            f"rpc.reply-{self.client_name}-{reply_key}", exclusive=True, auto_delete=True
        )
        await queue.bind(exchange, routing_key=reply_key)
        await queue.consume(self._on_reply, no_ack=True)
        self._connection, self._channel, self._exchange = connection, channel, exchange
        self._reply_queue, self._reply_key = queue, reply_key

    async def _discard(self) -> None:
        conn, self._connection = self._connection, None
        self._channel = self._exchange = self._reply_queue = None
        if conn is not None and not conn.is_closed:
            with contextlib.suppress(Exception):  # closing a broken connection
                await conn.close()

    def _on_connection_closed(self, *_: Any) -> None:
        self._fail_pending(ServiceUnavailable("broker_unavailable", "broker connection lost"))
        self._connection = None
        self._channel = None

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(exc)

    async def close(self) -> None:
        self._fail_pending(ServiceUnavailable("client_closed", "RPC client closed"))
        await self._discard()

    # -- replies -------------------------------------------------------------------------
    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is None or future.done():
            return
        try:
            body = json.loads(message.body)
        except ValueError as exc:
            future.set_exception(exc)
            return
        error = body.get("error")
        if error:
            future.set_exception(error_from_remote(error))
        else:
            future.set_result(body.get("result"))

    async def _check_service(self, service: str) -> None:
        """Refuse at once a call to a service that has never run on this broker."""
        if service in self._known_services:
            return
        if self._connection is None:
            raise ServiceUnavailable("broker_unavailable", "broker connection lost")
        channel = await self._connection.channel()
        try:
            await channel.declare_queue(f"rpc-{service}", passive=True)
        except aio_pika.exceptions.ChannelClosed as exc:
            raise ServiceUnavailable(
                "service_not_running", f"service {service!r} is not running"
            ) from exc
        finally:
            if not channel.is_closed:
                await channel.close()
        self._known_services.add(service)

    # -- calls -----------------------------------------------------------------------------
    async def call(
        self,
        service: str,
        method: str,
        kwargs: dict[str, Any] | None = None,
        *,
        context: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        await self.connect()
        if service not in self._known_services:
            try:
                await asyncio.wait_for(self._check_service(service), self.connect_timeout)
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
                raise ServiceUnavailable(
                    "broker_unavailable", "message broker unreachable"
                ) from exc
        exchange = self._exchange
        if exchange is None:  # the connection dropped since connect()
            raise ServiceUnavailable("broker_unavailable", "broker connection lost")
        timeout = timeout or self.timeout
        correlation_id = str(uuid.uuid4())
        headers: dict[str, Any] = {f"nameko.{k}": v for k, v in (context or {}).items() if v}
        request_id = (context or {}).get("request_id") or correlation_id
        headers["nameko.call_id_stack"] = [f"{self.client_name}.{method}.{request_id}"]
        message = aio_pika.Message(
            body=json.dumps({"args": [], "kwargs": kwargs or {}}, default=str).encode(),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self._reply_key,
            headers=headers,
            expiration=timeout,
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        )
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            await asyncio.wait_for(
                exchange.publish(message, routing_key=f"{service}.{method}"),
                timeout=self.connect_timeout,
            )
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError, RuntimeError) as exc:
            self._pending.pop(correlation_id, None)
            await self._discard()
            raise ServiceUnavailable("broker_unavailable", "message broker unreachable") from exc
        try:
            return await asyncio.wait_for(future, timeout=timeout)
        except TimeoutError as exc:
            raise ServiceTimeout(
                "service_timeout", f"{service}.{method} did not answer within {timeout:g}s"
            ) from exc
        finally:
            self._pending.pop(correlation_id, None)
