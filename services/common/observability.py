"""Structured JSON logs with the request id, and Prometheus metrics.

Every service process serves ``/metrics`` on its own port (``METRICS_PORT``);
the :class:`Observability` dependency times every entrypoint (RPC, event,
timer), counts errors and busy workers, and puts the caller's request id into
every log line the worker writes.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.common.errors import GongwenError
from services.common.settings import get_settings

# A context variable: each asyncio task (gateway) and each greenlet (nameko
# worker; greenlet gives every greenlet its own context) sees its own value.
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gongwen_request_id", default=None
)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            out["request_id"] = request_id
        for key in ("method", "duration_ms", "status", "path", "outcome", "error_code"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kombu", "amqp", "nameko.containers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


_metrics_started: set[int] = set()


def start_metrics_server(port: int) -> bool:
    """Serve /metrics on ``port`` (0 = off). Returns False if the port is taken."""
    if not port or port in _metrics_started:
        return bool(port)
    try:
        start_http_server(port, addr=get_settings().metrics_host)
    except OSError:
        logging.getLogger(__name__).warning("metrics port %s is taken; /metrics not served", port)
        return False
    _metrics_started.add(port)
    return True


ENTRYPOINT_SECONDS = Histogram(
    "gongwen_entrypoint_duration_seconds",
    "Time spent in a service entrypoint (RPC method, event handler, timer).",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRYPOINT_CALLS = Counter(
    "gongwen_entrypoint_calls_total",
    "Entrypoint calls by outcome (ok, expected_error, error).",
    ["service", "entrypoint", "kind", "outcome"],
)
WORKERS_BUSY = Gauge("gongwen_workers_busy", "Workers running right now.", ["service"])


def _kind(entrypoint: Any) -> str:
    name = type(entrypoint).__name__.lower()
    if "rpc" in name:
        return "rpc"
    if "event" in name:
        return "event"
    if "timer" in name:
        return "timer"
    return name


class Observability(DependencyProvider):
    """Per-worker request id for logs, and entrypoint metrics."""

    def __init__(self) -> None:
        self._started: dict[Any, float] = {}

    def setup(self) -> None:
        start_metrics_server(get_settings().metrics_port)

    def get_dependency(self, worker_ctx: Any) -> None:
        return None

    def worker_setup(self, worker_ctx: Any) -> None:
        data = worker_ctx.context_data or {}
        set_request_id(data.get("request_id") or worker_ctx.call_id)
        self._started[worker_ctx] = time.perf_counter()
        WORKERS_BUSY.labels(self.container.service_name).inc()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        service = self.container.service_name
        WORKERS_BUSY.labels(service).dec()
        entrypoint = worker_ctx.entrypoint.method_name
        kind = _kind(worker_ctx.entrypoint)
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], GongwenError):
            outcome = "expected_error"
        else:
            outcome = "error"
        ENTRYPOINT_CALLS.labels(service, entrypoint, kind, outcome).inc()
        if started is not None:
            elapsed = time.perf_counter() - started
            ENTRYPOINT_SECONDS.labels(service, entrypoint, kind).observe(elapsed)
            if outcome == "error":
                logging.getLogger(service).error(
                    "entrypoint failed",
                    exc_info=exc_info,
                    extra={"method": entrypoint, "duration_ms": round(elapsed * 1000, 2)},
                )

    def worker_teardown(self, worker_ctx: Any) -> None:
        set_request_id(None)
