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
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

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


# -- gauges read from the database when Prometheus scrapes -------------------------------------------

#: a source of gauges: reads the service's database (every tenant: row-level security is
#: bypassed) and returns metric families
GaugeSource = Callable[[Connection], Iterable[Metric]]

GAUGES_TTL = 30.0  # seconds a scrape's database gauges are reused (METRICS_GAUGES_TTL)
GAUGES_STATEMENT_TIMEOUT_MS = 2000  # one source's SQL; a slower one is left out
GAUGES_CONNECT_TIMEOUT = 2  # seconds; a database that does not answer: gauges left out


class DatabaseGauges(Collector):
    """Gauges computed with cheap SQL when Prometheus scrapes, and reused for ``ttl``
    seconds (several Prometheus servers, or a scrape every few seconds, cost one set of
    queries per ``ttl``). The scrape holds at most one connection of its own, for at
    most about two seconds per source (connect and statement timeouts), and never fails:
    a source that cannot be computed (the database away, a query too slow) is left out
    of the scrape — its series vanish rather than showing a stale value — and is tried
    again after ``ttl``."""

    def __init__(
        self,
        service: str,
        sources: Sequence[GaugeSource],
        url: str | Callable[[], str],
        ttl: float = GAUGES_TTL,
    ) -> None:
        self.service = service
        self.sources = list(sources)
        self._url = url
        self.ttl = ttl
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._computed_at: float | None = None

    def describe(self) -> list[Metric]:
        return []  # registering must not read the database (nor check names)

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._computed_at is None or now - self._computed_at >= self.ttl:
                self._families = self.compute()
                self._computed_at = time.monotonic()
            return list(self._families)

    def _engine_for_scrapes(self) -> Engine:
        if self._engine is None:
            import eventlet.patcher
            from sqlalchemy import create_engine

            from services.common.db import make_green

            if eventlet.patcher.is_monkey_patched("socket"):  # a service process
                make_green()  # the scrape's queries let the service's workers run
            from sqlalchemy.pool import NullPool

            url = self._url() if callable(self._url) else self._url
            self._engine = create_engine(
                url,
                poolclass=NullPool,  # a connection for the scrape only, closed after it
                connect_args={
                    "connect_timeout": GAUGES_CONNECT_TIMEOUT,
                    "options": f"-c statement_timeout={GAUGES_STATEMENT_TIMEOUT_MS}",
                    "application_name": f"{self.service}-gauges",
                },
            )
        return self._engine

    def compute(self) -> list[Metric]:
        """Every source's families; a source that fails is left out (logged)."""
        from services.common.db import apply_rls_settings

        log = logging.getLogger(__name__)
        out: list[Metric] = []
        try:
            with self._engine_for_scrapes().connect() as connection:
                for source in self.sources:
                    try:
                        with connection.begin():
                            apply_rls_settings(connection, None, True)
                            out.extend(source(connection))
                    except Exception as exc:
                        log.warning(
                            "gauges: %s left out of the scrape (%s)",
                            getattr(source, "__name__", source),
                            type(exc).__name__,
                        )
                        if connection.invalidated or connection.closed:
                            break
        except Exception as exc:  # no connection: every database gauge left out
            log.warning("gauges: database unreachable, left out of the scrape (%s)", exc.__class__)
        return out


def outbox_gauges(service: str) -> GaugeSource:
    """The kernel's health of a service's outbox: rows waiting for the relay (not set
    aside) and the age of the oldest (0 when none waits) — read through the partial
    index of unpublished rows."""

    def outbox(connection: Connection) -> list[Metric]:
        waiting, oldest = connection.execute(
            text(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                " FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL"
            )
        ).one()
        backlog = GaugeMetricFamily(
            "gongwen_outbox_backlog",
            "Outbox rows waiting for the relay to publish them (set-aside rows not counted).",
            labels=["service"],
        )
        backlog.add_metric([service], float(waiting))
        age = GaugeMetricFamily(
            "gongwen_outbox_oldest_age_seconds",
            "Age of the oldest outbox row waiting for the relay (0: none waits).",
            labels=["service"],
        )
        age.add_metric([service], max(0.0, float(oldest)))
        return [backlog, age]

    return outbox


def register_service_gauges(service: str) -> DatabaseGauges:
    """Register the database gauges of ``service``'s process: the kernel's outbox health,
    and the business gauges of ``services.<service>.gauges.SOURCES`` when the service has
    that module. Called once by the runner (nothing is read before the first scrape)."""
    import importlib

    from services.common.events import OUTBOX_PUBLISHED
    from services.common.settings import get_settings

    sources: list[GaugeSource] = [outbox_gauges(service)]
    try:
        module = importlib.import_module(f"services.{service}.gauges")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.gauges":
            raise
    else:
        sources.extend(module.SOURCES)
    OUTBOX_PUBLISHED.labels(service)  # exported from the start, at 0
    settings = get_settings()
    collector = DatabaseGauges(
        service, sources, lambda: settings.app_database_url(service), settings.metrics_gauges_ttl
    )
    REGISTRY.register(collector)
    return collector
