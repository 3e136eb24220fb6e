"""Start one service process: ``python -m services.common.runner <service>``.

Run as a program, it patches the process with eventlet before anything else
is imported, configures JSON logging and the metrics port from the environment,
then hands over to nameko's runner (which stops cleanly on SIGTERM / Ctrl-C).
Imported as a module (by tests, say) it patches nothing.
"""

from __future__ import annotations

if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

    import eventlet

    eventlet.monkey_patch()

import gc  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402

from services.common.catalog import SERVICES  # noqa: E402


def service_class(name: str) -> type:
    module = importlib.import_module(f"services.{name}.service")
    cls: type = module.SERVICE
    return cls


def reply_without_publisher_confirms() -> None:
    """nameko 2.14 publishes every RPC reply with publisher confirms and waits for
    the broker's ack. A reply goes to the caller's exclusive, non-durable reply
    queue: if the broker loses it, the caller times out exactly as when the
    broker loses the request, so the confirm buys nothing and costs a broker
    round trip and ~10% of the service's and the broker's CPU per call
    (bench rpc: +6-10% calls/s at 32 callers)."""
    import nameko.rpc
    from nameko.amqp.publish import Publisher

    class ReplyPublisher(Publisher):
        use_confirms = False

    nameko.rpc.Responder.publisher_cls = ReplyPublisher


def nameko_config() -> dict[str, object]:
    from services.common.settings import get_settings

    settings = get_settings()
    return {
        "AMQP_URI": settings.amqp_uri,
        "serializer": "json",
        "max_workers": 10,
        "parent_calls_tracked": 10,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: python -m services.common.runner {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2
    name = argv[0]
    from nameko.cli.run import run

    from services.common.database_errors import answer_database_outages_as_503
    from services.common.observability import configure_logging, register_service_gauges
    from services.common.settings import get_settings

    configure_logging(name, get_settings().log_level)
    reply_without_publisher_confirms()
    answer_database_outages_as_503()
    cls = service_class(name)
    register_service_gauges(name)
    # Move everything start-up created out of the collector's reach: full
    # collections then walk only what requests allocate (bench todo: 60-70 ms
    # pauses every few seconds became 2-6 ms).
    gc.collect()
    gc.freeze()
    run([cls], nameko_config())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
