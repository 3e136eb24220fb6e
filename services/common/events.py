"""Event envelope, the transactional outbox and idempotent consumption.

A service records what it decided and the event announcing it in one database
transaction (:func:`emit` adds an ``outbox`` row to the caller's session). The
relay publishes outbox rows to the service's nameko event exchange
(``<service>.events``, routing key = event type) in broker transactions of about
1,000 events and marks them published (a row holds one envelope, or, written by
:func:`defer`, the ids of a batch whose envelopes the relay builds); rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so several instances never publish one
row at the same time. Delivery is at-least-once; consumers call
:func:`consume_once` in the transaction of their own change so that a
redelivered event is applied once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange
from prometheus_client import Counter
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from services.common.context import CallContext
from services.common.contracts import EventCatalog
from services.common.vocabulary import utcnow

log = logging.getLogger(__name__)

PERSISTENT_DELIVERY_MODE = 2  # events survive a broker restart (as nameko sends them)
RELAY_BATCH = 1000  # events per broker transaction

OUTBOX_PUBLISHED = Counter(
    "gongwen_outbox_published_total",
    "Events the outbox relay published to the broker (the relay's publish rate).",
    ["service"],
)


class EventEnvelope(BaseModel):
    """What every published event looks like on the wire."""

    id: uuid.UUID
    type: str
    source: str
    occurred_at: dt.datetime
    tenant_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    request_id: str | None = None
    #: version of the producer's model of ``type`` (services.common.contracts)
    version: int = 1
    data: dict[str, Any] = Field(default_factory=dict)


def outbox_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare the ``outbox``, ``processed_events`` and ``failed_events`` tables on a
    service's metadata (returns the first two)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        # a row the relay could not build or publish: how often, why, and when it was
        # set aside (then skipped until an operator replays it)
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        Column("set_aside_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unpublished",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
        ),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("handler", String(200), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    failed_events_table(metadata)
    return outbox, processed


def failed_events_table(metadata: MetaData) -> Table:
    """``failed_events``: events a consumer of this service parked (DESIGN 10). One row
    per consumer and event; ``replayed_at`` is set when an operator replays it (a
    failure of the replay parks it again: the same row, back to ``parked``)."""
    return Table(
        "failed_events",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("consumer", String(200), nullable=False),
        Column("queue", String(300), nullable=False),
        Column("source", String(100), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=True),
        Column("envelope", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("error", Text, nullable=False),
        Column("error_kind", String(20), nullable=False),
        Column("attempts", Integer, nullable=False, server_default=text("1")),
        Column("status", String(20), nullable=False, server_default=text("'parked'")),
        Column("first_failed_at", DateTime(timezone=True), nullable=False),
        Column("last_failed_at", DateTime(timezone=True), nullable=False),
        Column("replayed_at", DateTime(timezone=True), nullable=True),
        Index("ux_failed_events_consumer_event", "consumer", "event_id", unique=True),
        Index("ix_failed_events_parked", "consumer", postgresql_where=text("status = 'parked'")),
    )


# The kernel's own handle on the tables (same names and columns in every service
# database; each service also declares them on its metadata for alembic).
_KERNEL_METADATA = MetaData()
_OUTBOX, _PROCESSED = outbox_tables(_KERNEL_METADATA)
FAILED_EVENTS = _KERNEL_METADATA.tables["failed_events"]


def emit(
    session: Session,
    catalog: EventCatalog,
    event_type: str,
    data: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None = None,
    ctx: CallContext | None = None,
) -> EventEnvelope:
    """Record an event in the outbox, inside the caller's transaction. The event must
    be declared in the producer's ``catalog`` and ``data`` must be what its model
    declares (:meth:`EventData.check_outgoing`): the data goes out as given."""
    model = catalog[event_type]
    model.check_outgoing(data)
    ctx = ctx or session.info.get("ctx") or CallContext()
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type=event_type,
        source=catalog.source,
        version=model.version,
        occurred_at=utcnow(),
        tenant_id=tenant_id if tenant_id is not None else ctx.tenant_id,
        actor_id=ctx.user_id,
        request_id=ctx.request_id,
        data=data,
    )
    session.execute(
        insert(_OUTBOX).values(
            id=envelope.id,
            event_type=event_type,
            envelope=envelope.model_dump(mode="json"),
            headers=ctx.to_context_data(),
        )
    )
    session.info["outbox_pending"] = True
    return envelope


Expander = Callable[[Session, uuid.UUID, dict[str, Any]], list[dict[str, Any]]]
"""Builds the envelopes of a deferred outbox row (see :func:`defer`): given the relay's
session, the row's id and what was stored."""


def defer(session: Session, event_type: str, expander: str, stored: dict[str, Any]) -> uuid.UUID:
    """Record a batch of events of one type in ONE outbox row whose envelopes the relay
    builds when it publishes them, with the service's expander named ``expander``
    (from ids in ``stored``): for a bulk writer (routing's overdue scanner) whose
    transaction must stay short. The expander must give the same envelope ids each
    time it runs (derive them from the row id) so that a row sent twice is applied once."""
    row_id = uuid.uuid4()
    session.execute(
        insert(_OUTBOX).values(
            id=row_id,
            event_type=event_type,
            envelope={"expand": expander, **stored},
            headers={},
        )
    )
    session.info["outbox_pending"] = True
    return row_id


class NoExpander(LookupError):
    """A deferred outbox row names an expander this process does not have."""


def envelopes_of(
    session: Session, row: Any, expanders: Mapping[str, Expander]
) -> list[dict[str, Any]]:
    """The envelopes an outbox row stands for: the one :func:`emit` wrote, or those a
    deferred row's expander builds."""
    stored = row.envelope
    name = stored.get("expand") if isinstance(stored, dict) else None
    if name is None:
        return [stored]
    expander = expanders.get(name)
    if expander is None:
        raise NoExpander(f"outbox row {row.id}: no expander {name!r} in this service")
    return expander(session, row.id, stored)


class EventPublisher:
    """The relay's own connection to the broker, its channel in transaction mode
    (``tx.select``): a batch of events is published and committed with one round trip.
    ``tx.commit-ok`` means the broker has taken every message of the batch (routed to
    the queues bound, persistent ones written to disk); a publisher confirm per event
    would wait a round trip for each (~700 events/s). Messages are what nameko's event
    dispatcher sends: exchange ``<service>.events``, routing key = event type, JSON,
    persistent, context in ``nameko.*`` headers. Any fault closes the connection; the
    next batch opens a new one."""

    def __init__(self, amqp_uri: str, source: str) -> None:
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = get_event_exchange(source, {})
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _open(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, connect_timeout=5)
            try:
                channel = connection.channel()
                self.exchange(channel).declare()
                channel.tx_select()
                self._producer = Producer(channel, exchange=self.exchange, serializer="json")
                self._connection = connection
            except BaseException:
                connection.release()
                raise
        return self._producer

    def publish(self, messages: Sequence[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
        """Publish (event type, envelope, context headers) triples and commit them; raises
        (and drops the connection) if the broker did not take them all."""
        try:
            producer = self._open()
            for event_type, envelope, context in messages:
                producer.publish(
                    envelope,
                    routing_key=event_type,
                    headers={f"nameko.{k}": v for k, v in context.items() if v is not None},
                    message_id=str(envelope["id"]),
                    delivery_mode=PERSISTENT_DELIVERY_MODE,
                    retry=False,
                )
            producer.channel.tx_commit()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already broken: nothing more to release
                log.debug("outbox: closing the relay's broker connection failed", exc_info=True)


RELAY_MAX_ATTEMPTS = 3  # passes a row may fail to be built or published before it is set aside


def broker_unreachable(exc: BaseException) -> bool:
    """A failure of the connection to the broker (the whole batch waits for it), as
    opposed to one caused by what a row holds (that row is set aside in the end)."""
    from amqp.exceptions import ConnectionError as AmqpConnectionError
    from kombu.exceptions import OperationalError as KombuOperationalError

    return isinstance(exc, OSError | AmqpConnectionError | KombuOperationalError) or (
        type(exc).__name__ == "Timeout"  # eventlet.Timeout: a broker gone silent
    )


def _note_failure(session: Session, row_id: uuid.UUID, exc: BaseException) -> None:
    """Count a failed attempt at a row; the last allowed one sets it aside."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = _OUTBOX.c.attempts + 1
    session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == row_id)
        .values(
            attempts=attempts,
            last_error=error,
            set_aside_at=case((attempts >= RELAY_MAX_ATTEMPTS, func.now()), else_=None),
        )
    )
    log.error("outbox: row %s could not be relayed (%s)", row_id, error)


def relay_pending(
    factory: sessionmaker[Session],
    publisher: EventPublisher,
    expanders: Mapping[str, Expander] | None = None,
    batch: int = RELAY_BATCH,
) -> int:
    """Publish unpublished outbox rows, oldest first, about ``batch`` events in one
    broker transaction, and mark them published; return how many rows were published
    (0: nothing more to do before the next pass).
    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (instances never publish one row
    at the same time) and marked in the same database transaction: if the broker fails
    they stay unpublished and are sent again (at least once; consumers apply an event
    once). Deferred rows get their envelopes from ``expanders`` here.

    A row that cannot be built (its expander fails) or published (the broker refuses
    what it holds) does not hold up the others: its attempt is counted with the error,
    and after ``RELAY_MAX_ATTEMPTS`` it is set aside (``set_aside_at``) until an
    operator replays it. A broker that cannot be reached fails the whole batch (retried
    later; nothing counted)."""
    with factory() as session, session.begin():
        rows = session.execute(
            select(_OUTBOX.c.id, _OUTBOX.c.event_type, _OUTBOX.c.envelope, _OUTBOX.c.headers)
            .where(_OUTBOX.c.published_at.is_(None), _OUTBOX.c.set_aside_at.is_(None))
            .order_by(_OUTBOX.c.created_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        built: dict[uuid.UUID, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
        count = 0
        for row in rows:  # whole rows, until about ``batch`` events
            if count and count >= batch:
                break
            try:
                with session.begin_nested():  # an expander's SQL error spoils nothing else
                    envelopes = envelopes_of(session, row, expanders or {})
            except NoExpander:  # a row this process cannot build: left for one that can
                log.error("outbox: no expander for row %s; left unpublished", row.id)
                continue
            except Exception as exc:
                _note_failure(session, row.id, exc)
                continue
            context = row.headers or {}
            built[row.id] = [(row.event_type, e, context) for e in envelopes]
            count += len(envelopes)
        if not built:
            return 0
        published = list(built)
        try:
            publisher.publish([m for group in built.values() for m in group])
        except Exception as exc:
            if broker_unreachable(exc):
                raise
            # something in the batch was refused: find it, one row at a time
            log.warning("outbox: a batch was refused (%s); publishing row by row", exc)
            published = []
            for row_id, group in built.items():
                try:
                    publisher.publish(group)
                except Exception as row_exc:
                    if broker_unreachable(row_exc):
                        raise
                    _note_failure(session, row_id, row_exc)
                else:
                    published.append(row_id)
        if published:
            session.execute(
                update(_OUTBOX).where(_OUTBOX.c.id.in_(published)).values(published_at=func.now())
            )
    OUTBOX_PUBLISHED.labels(publisher.source).inc(sum(len(built[i]) for i in published))
    log.debug("outbox: published %d rows to %s", len(published), publisher.exchange.name)
    return len(published)


def set_aside_rows(session: Session, event_type: str | None = None) -> list[Any]:
    """The outbox rows set aside, oldest first (for operators)."""
    query = (
        select(
            _OUTBOX.c.id,
            _OUTBOX.c.event_type,
            _OUTBOX.c.created_at,
            _OUTBOX.c.attempts,
            _OUTBOX.c.last_error,
            _OUTBOX.c.set_aside_at,
        )
        .where(_OUTBOX.c.set_aside_at.is_not(None), _OUTBOX.c.published_at.is_(None))
        .order_by(_OUTBOX.c.created_at)
    )
    if event_type:
        query = query.where(_OUTBOX.c.event_type == event_type)
    return list(session.execute(query).all())


def release_set_aside(
    session: Session, ids: Sequence[uuid.UUID] | None = None, event_type: str | None = None
) -> list[uuid.UUID]:
    """Give set-aside rows back to the relay (replay): all, those of ``event_type``, or
    those of ``ids``; return the ids of the rows released. Their events keep their ids,
    so a consumer that had applied one applies it once."""
    query = update(_OUTBOX).where(
        _OUTBOX.c.set_aside_at.is_not(None), _OUTBOX.c.published_at.is_(None)
    )
    if ids is not None:
        query = query.where(_OUTBOX.c.id.in_(list(ids)))
    if event_type:
        query = query.where(_OUTBOX.c.event_type == event_type)
    released = session.scalars(query.values(set_aside_at=None, attempts=0).returning(_OUTBOX.c.id))
    return list(released)


def prune_published(factory: sessionmaker[Session], keep: dt.timedelta, batch: int = 10_000) -> int:
    """Delete up to ``batch`` outbox rows published more than ``keep`` ago (the table
    would otherwise grow with every event); return how many. Unpublished rows stay
    whatever their age."""
    with factory() as session, session.begin():
        old = (
            select(_OUTBOX.c.id)
            .where(_OUTBOX.c.published_at < func.now() - keep)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        result = session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(old.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def prune_processed(factory: sessionmaker[Session], keep: dt.timedelta, batch: int = 10_000) -> int:
    """Delete up to ``batch`` ``processed_events`` rows older than ``keep`` (they only
    guard against a redelivery, which comes within minutes); return how many. The ids
    of events parked in ``failed_events`` stay, so that replaying one still applies it
    once."""
    with factory() as session, session.begin():
        old = (
            select(_PROCESSED.c.handler, _PROCESSED.c.event_id)
            .where(
                _PROCESSED.c.processed_at < func.now() - keep,
                ~exists().where(FAILED_EVENTS.c.event_id == _PROCESSED.c.event_id),
            )
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        result = session.execute(
            delete(_PROCESSED).where(tuple_(_PROCESSED.c.handler, _PROCESSED.c.event_id).in_(old))
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def consume_once(session: Session, handler: str, envelope: EventEnvelope | dict[str, Any]) -> bool:
    """Mark an event as processed by ``handler`` in the caller's transaction.

    Returns False when it was processed before (the caller then does nothing).
    """
    event_id = envelope.id if isinstance(envelope, EventEnvelope) else envelope["id"]
    result = session.execute(
        pg_insert(_PROCESSED)
        .values(handler=handler, event_id=uuid.UUID(str(event_id)))
        .on_conflict_do_nothing()
        .returning(_PROCESSED.c.event_id)
    )
    return result.first() is not None
