"""A bare aio-pika consumer that answers at once: the floor of the RPC benchmark.

``python -m bench.echo_server AMQP_URI`` (run as its own process, as a service
would be). It consumes two queues on one channel, with no acknowledgements and
no work per message:

- ``bench-echo-raw`` on the default exchange: replies ``pong`` to ``reply_to``
  (default exchange) with the request's correlation id. The raw request/reply
  of benchmark (c).
- ``rpc-benchecho``, bound to the ``nameko-rpc`` exchange as ``benchecho.*``:
  replies like a nameko service (``{"result": "pong", "error": null}`` published
  to ``nameko-rpc`` with ``reply_to`` as routing key). This lets the gateway's
  client be timed against a server that costs nothing, which separates the
  client's cost from nameko's.

Prints ``ready`` once both consumers are up; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

RAW_QUEUE = "bench-echo-raw"
NAMEKO_SERVICE = "benchecho"
RPC_EXCHANGE = "nameko-rpc"
NAMEKO_REPLY = json.dumps({"result": "pong", "error": None}).encode()


async def serve(amqp_uri: str) -> None:
    connection = await aio_pika.connect(
        amqp_uri, client_properties={"connection_name": "gongwen-bench-echo"}
    )
    channel = await connection.channel(publisher_confirms=False)
    default = channel.default_exchange
    nameko_exchange = await channel.declare_exchange(
        RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )

    async def on_raw(message: AbstractIncomingMessage) -> None:
        if message.reply_to:
            await default.publish(
                aio_pika.Message(b"pong", correlation_id=message.correlation_id),
                routing_key=message.reply_to,
            )

    async def on_nameko(message: AbstractIncomingMessage) -> None:
        if message.reply_to:
            await nameko_exchange.publish(
                aio_pika.Message(
                    NAMEKO_REPLY,
                    correlation_id=message.correlation_id,
                    content_type="application/json",
                ),
                routing_key=message.reply_to,
            )

    raw_queue = await channel.declare_queue(RAW_QUEUE, auto_delete=True)
    await raw_queue.consume(on_raw, no_ack=True)
    rpc_queue = await channel.declare_queue(f"rpc-{NAMEKO_SERVICE}", auto_delete=True)
    await rpc_queue.bind(nameko_exchange, routing_key=f"{NAMEKO_SERVICE}.*")
    await rpc_queue.consume(on_nameko, no_ack=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await connection.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.echo_server AMQP_URI", file=sys.stderr)
        return 2
    asyncio.run(serve(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
