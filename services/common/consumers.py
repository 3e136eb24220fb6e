"""Event consumers that cannot be knocked over (DESIGN 10).

A consumer subscribes with :func:`consumer`, naming the producer's event model::

    @consumer("routing", routing_events.TaskCreated)
    def on_task_created(self, event: EventEnvelope) -> None: ...

and gets the envelope validated (its version known, its data valid for the model,
read through :class:`~services.common.contracts.DeclaredData`). When the handler
fails:

* for a **permanent** reason — invalid data, a constraint violation, a validation
  error, an unknown version, a bug — the event is *parked* in the service's
  ``failed_events`` table (event, consumer, error, attempts, first/last failure) and
  acknowledged: the next events are applied, the service keeps serving;
* for a **transient** one — the database, the broker or another service away — it
  is tried again in a new worker after a backoff with jitter, up to
  ``MAX_ATTEMPTS`` times, then parked too.

Never a hot redelivery loop. When even parking fails (the database is away) the
message goes back to the queue after ``PARK_RETRY_PAUSE`` seconds, so nothing is
lost. Operators list parked events and replay them (:func:`replay_failed`): the
stored event is sent again to its consumer's queue only, with its own id, so a
consumer that had applied it before applies it once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import eventlet
from kombu import Connection, Producer
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled, RemoteError, UnknownService
from prometheus_client import Counter, Gauge
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from services.common.contracts import DeclaredData, EventContractError, EventData
from services.common.errors import GongwenError, ServiceTimeout, ServiceUnavailable
from services.common.events import FAILED_EVENTS, PERSISTENT_DELIVERY_MODE, EventEnvelope

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # tries of an event failing transiently before it is parked
BACKOFF_BASE = 0.5  # seconds before the 2nd try; doubled each time (with jitter)
BACKOFF_MAX = 10.0
PARK_RETRY_PAUSE = 10.0  # seconds before an event that could not be parked is requeued

TRANSIENT = "transient"
PERMANENT = "permanent"

EVENTS_PARKED = Counter(
    "gongwen_events_parked_total",
    "Events a consumer parked in failed_events, by consumer, event type and kind of failure.",
    ["service", "consumer", "event_type", "kind"],
)
EVENT_RETRIES = Counter(
    "gongwen_event_retries_total",
    "Tries again of events that failed transiently, by consumer and event type.",
    ["service", "consumer", "event_type"],
)
FAILED_EVENTS_PARKED = Gauge(
    "gongwen_failed_events",
    "Events parked in the service's failed_events table, waiting for an operator.",
    ["service", "consumer", "event_type"],
)
OUTBOX_SET_ASIDE = Gauge(
    "gongwen_outbox_set_aside",
    "Outbox rows the relay set aside (could not be built or published), by event type.",
    ["service", "event_type"],
)


# -- which failures are worth trying again ---------------------------------------------------------

_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"}


def classify(exc: BaseException) -> str:
    """``transient`` when trying again later may succeed (the database, the broker or
    another service away, a deadlock or serialisation failure), else ``permanent``
    (invalid data, constraint violations, validation errors, unknown versions, bugs)."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, EventContractError | ValidationError):
        return PERMANENT
    if isinstance(exc, ServiceUnavailable | ServiceTimeout):
        return TRANSIENT
    if isinstance(exc, GongwenError):  # a service said no: it would say so again
        return PERMANENT
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return TRANSIENT
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return TRANSIENT
        code = getattr(exc.orig, "pgcode", None)
        return TRANSIENT if code in _TRANSIENT_SQLSTATES else PERMANENT
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # pool, connection
        return TRANSIENT
    if isinstance(exc, UnknownService | eventlet.Timeout | ConnectionError | OSError):
        return TRANSIENT
    if isinstance(exc, RemoteError):  # another service crashed on it: a bug there
        return PERMANENT
    return PERMANENT


def backoff(attempt: int) -> float:
    """Seconds to wait before try ``attempt + 1``: exponential with full jitter."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


# -- reading an event with its contract --------------------------------------------------------------


def read_event(contract: type[EventData], body: Any) -> EventEnvelope:
    """The envelope of ``body`` as a consumer of ``contract`` reads it; raises a
    permanent failure when it is not one (ValidationError, UnknownEventVersion)."""
    envelope = EventEnvelope.model_validate(body)
    contract.check_version(envelope.version)
    contract.model_validate(envelope.data)
    data = DeclaredData(contract, envelope.data)
    return envelope.model_copy(update={"type": contract.event_type, "data": data})


# -- parking --------------------------------------------------------------------------------------------


def _event_id(body: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(body["id"]))
    except (KeyError, TypeError, ValueError):
        return None


def park(
    factory: sessionmaker[Session],
    *,
    consumer: str,
    queue: str,
    source: str,
    event_type: str,
    body: Any,
    headers: dict[str, Any],
    error: BaseException,
    kind: str,
    attempts: int,
) -> None:
    """Record a failed event in ``failed_events`` (once per consumer and event: a
    second failure of the same event counts on the same row and parks it again)."""
    now = dt.datetime.now(dt.UTC)
    envelope = body if isinstance(body, dict) else {"raw": repr(body)[:10_000]}
    text = f"{type(error).__name__}: {error}"[:4000]
    stmt = pg_insert(FAILED_EVENTS).values(
        id=uuid.uuid4(),
        consumer=consumer,
        queue=queue,
        source=source,
        event_type=event_type,
        event_id=_event_id(body),
        envelope=envelope,
        headers={k: v for k, v in headers.items() if isinstance(v, str | int | float | bool)},
        error=text,
        error_kind=kind,
        attempts=attempts,
        status="parked",
        first_failed_at=now,
        last_failed_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[FAILED_EVENTS.c.consumer, FAILED_EVENTS.c.event_id],
        set_={
            "attempts": FAILED_EVENTS.c.attempts + attempts,
            "error": text,
            "error_kind": kind,
            "status": "parked",
            "last_failed_at": now,
            "envelope": envelope,
        },
    )
    with factory() as session, session.begin():
        session.info["bypass_rls"] = True
        session.execute(stmt)


class ParkingConsumer(EventHandler):
    """nameko's event handler with the failure handling of this module (see its
    docstring). Use :func:`consumer` to declare one."""

    def __init__(
        self,
        source_service: str,
        contract: type[EventData],
        handler_type: str = SERVICE_POOL,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            source_service,
            contract.event_type,
            handler_type=handler_type,
            requeue_on_error=False,
            **kwargs,
        )
        self.contract = contract

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def _factory(self) -> sessionmaker[Session]:
        from services.common.db import DatabaseSession

        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseSession) and dependency.factory is not None:
                return dependency.factory
        raise RuntimeError(f"{self.container.service_name} has no database to park events in")

    def handle_message(self, body: Any, message: Any) -> None:
        context_data = self.unpack_message_headers(message)
        self._spawn(body, message, context_data, 1)

    def _spawn(self, body: Any, message: Any, context_data: dict[str, Any], attempt: int) -> None:
        handle_result = functools.partial(self._handle_result, message, body, context_data, attempt)
        try:
            self.container.spawn_worker(
                self, (body,), {}, context_data=context_data, handle_result=handle_result
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _handle_result(
        self,
        message: Any,
        body: Any,
        context_data: dict[str, Any],
        attempt: int,
        worker_ctx: Any,
        result: Any = None,
        exc_info: Any = None,
    ) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        error = exc_info[1]
        kind = classify(error)
        labels = (self.container.service_name, self.consumer_name, self.event_type)
        if kind == TRANSIENT and attempt < MAX_ATTEMPTS:
            delay = backoff(attempt)
            log.warning(
                "%s: event %s failed (%s: %s); try %d in %.1f s",
                self.consumer_name,
                _event_id(body),
                type(error).__name__,
                error,
                attempt + 1,
                delay,
            )
            EVENT_RETRIES.labels(*labels).inc()
            self.container.spawn_managed_thread(
                functools.partial(self._retry_later, delay, body, message, context_data, attempt)
            )
            return result, exc_info
        self.container.spawn_managed_thread(
            functools.partial(self._park, message, body, context_data, error, kind, attempt)
        )
        return result, exc_info

    def _retry_later(
        self, delay: float, body: Any, message: Any, context_data: dict[str, Any], attempt: int
    ) -> None:
        eventlet.sleep(delay)
        self._spawn(body, message, context_data, attempt + 1)

    def _park(
        self,
        message: Any,
        body: Any,
        context_data: dict[str, Any],
        error: BaseException,
        kind: str,
        attempts: int,
    ) -> None:
        try:
            park(
                self._factory(),
                consumer=self.consumer_name,
                queue=self.queue.name,
                source=self.source_service,
                event_type=self.event_type,
                body=body,
                headers=context_data,
                error=error,
                kind=kind,
                attempts=attempts,
            )
        except Exception:
            log.exception(
                "%s: event %s could not be parked; back on the queue in %.0f s",
                self.consumer_name,
                _event_id(body),
                PARK_RETRY_PAUSE,
            )
            eventlet.sleep(PARK_RETRY_PAUSE)
            self.queue_consumer.requeue_message(message)
            return
        log.error(
            "%s: event %s parked after %d attempt(s) (%s): %s: %s",
            self.consumer_name,
            _event_id(body),
            attempts,
            kind,
            type(error).__name__,
            error,
        )
        EVENTS_PARKED.labels(
            self.container.service_name, self.consumer_name, self.event_type, kind
        ).inc()
        self.queue_consumer.ack_message(message)
        try:
            refresh_gauges(self._factory(), self.container.service_name)
        except Exception:  # the gauges catch up on the relay's next refresh
            log.debug("could not refresh the parked-event gauges", exc_info=True)


def consumer(
    source_service: str, contract: type[EventData], **kwargs: Any
) -> Callable[[Callable[[Any, EventEnvelope], None]], Callable[[Any, Any], None]]:
    """Subscribe the decorated method to ``contract``'s events from ``source_service``.
    The method gets the validated envelope (:func:`read_event`); whatever it raises is
    classified, retried or parked (module docstring)."""

    def decorate(fn: Callable[[Any, EventEnvelope], None]) -> Callable[[Any, Any], None]:
        @functools.wraps(fn)
        def handle(self: Any, body: Any) -> None:
            fn(self, read_event(contract, body))

        decorated: Callable[[Any, Any], None] = ParkingConsumer.decorator(
            source_service, contract, **kwargs
        )(handle)
        return decorated

    return decorate


# -- operators: listing and replaying ----------------------------------------------------------------


def failed_rows(
    session: Session,
    *,
    consumer: str | None = None,
    event_type: str | None = None,
    status: str | None = "parked",
    limit: int = 100,
) -> list[Any]:
    query = select(FAILED_EVENTS).order_by(FAILED_EVENTS.c.first_failed_at).limit(limit)
    if consumer:
        query = query.where(FAILED_EVENTS.c.consumer == consumer)
    if event_type:
        query = query.where(FAILED_EVENTS.c.event_type == event_type)
    if status:
        query = query.where(FAILED_EVENTS.c.status == status)
    return list(session.execute(query).all())


def replay_failed(
    session: Session,
    amqp_uri: str,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    consumer: str | None = None,
    event_type: str | None = None,
) -> list[uuid.UUID]:
    """Send parked events back to their consumers' queues (one, all of a consumer, all
    of a type, or all) and mark them replayed; return the ids of the rows replayed. The
    caller commits. Each goes to its own consumer's queue only (not to every
    subscriber of the type), with its own id, so it is applied once."""
    query = (
        select(FAILED_EVENTS)
        .where(FAILED_EVENTS.c.status == "parked")
        .order_by(FAILED_EVENTS.c.first_failed_at)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(FAILED_EVENTS.c.id.in_(list(ids)))
    if consumer:
        query = query.where(FAILED_EVENTS.c.consumer == consumer)
    if event_type:
        query = query.where(FAILED_EVENTS.c.event_type == event_type)
    rows = session.execute(query).all()
    if not rows:
        return []
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        channel.tx_select()
        producer = Producer(channel, serializer="json")
        for row in rows:
            producer.publish(
                row.envelope,
                exchange="",
                routing_key=row.queue,
                headers={f"nameko.{k}": v for k, v in (row.headers or {}).items()},
                message_id=str(row.event_id) if row.event_id else None,
                delivery_mode=PERSISTENT_DELIVERY_MODE,
                retry=False,
            )
        channel.tx_commit()
    replayed = [row.id for row in rows]
    session.execute(
        update(FAILED_EVENTS)
        .where(FAILED_EVENTS.c.id.in_(replayed))
        .values(status="replayed", replayed_at=func.now())
    )
    return replayed


_seen_failed: set[tuple[str, str]] = set()
_seen_set_aside: set[str] = set()


def refresh_gauges(factory: sessionmaker[Session], service: str) -> None:
    """Set the parked-event and set-aside-row gauges from the database (a label that
    has gone to nothing is set to 0, not left at its last value)."""
    from services.common.events import _OUTBOX

    with factory() as session, session.begin():
        session.info["bypass_rls"] = True
        parked = session.execute(
            select(FAILED_EVENTS.c.consumer, FAILED_EVENTS.c.event_type, func.count())
            .where(FAILED_EVENTS.c.status == "parked")
            .group_by(FAILED_EVENTS.c.consumer, FAILED_EVENTS.c.event_type)
        ).all()
        aside = session.execute(
            select(_OUTBOX.c.event_type, func.count())
            .where(_OUTBOX.c.set_aside_at.is_not(None), _OUTBOX.c.published_at.is_(None))
            .group_by(_OUTBOX.c.event_type)
        ).all()
    counts = {(c, t): n for c, t, n in parked}
    for key in _seen_failed - set(counts):
        FAILED_EVENTS_PARKED.labels(service, *key).set(0)
    for key, n in counts.items():
        FAILED_EVENTS_PARKED.labels(service, *key).set(n)
    _seen_failed.update(counts)
    rows = {t: n for t, n in aside}
    for event_type in _seen_set_aside - set(rows):
        OUTBOX_SET_ASIDE.labels(service, event_type).set(0)
    for event_type, n in rows.items():
        OUTBOX_SET_ASIDE.labels(service, event_type).set(n)
    _seen_set_aside.update(rows)
