"""Event envelope, the transactional outbox and idempotent consumption.

A service records what it decided and the event announcing it in one database
transaction (:func:`emit` adds an ``outbox`` row to the caller's session). The
relay publishes outbox rows to the service's nameko event exchange
(``<service>.events``, routing key = event type) with publisher confirms and
marks them published; rows are claimed with ``FOR UPDATE SKIP LOCKED`` so
several instances never publish one row at the same time. Delivery is
at-least-once; consumers call :func:`consume_once` in the transaction of their
own change so that a redelivered event is applied once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from services.common.context import CallContext
from services.common.settings import get_settings

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EventEnvelope(BaseModel):
    """What every published event looks like on the wire."""

    id: uuid.UUID
    type: str
    source: str
    occurred_at: dt.datetime
    tenant_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    request_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def outbox_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare the ``outbox`` and ``processed_events`` tables on a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
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
    return outbox, processed


# The kernel's own handle on the two tables (same names and columns in every
# service database; each service also declares them on its metadata for alembic).
_OUTBOX, _PROCESSED = outbox_tables(MetaData())


def emit(
    session: Session,
    source: str,
    event_type: str,
    data: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None = None,
    ctx: CallContext | None = None,
) -> EventEnvelope:
    """Record an event in the outbox, inside the caller's transaction."""
    ctx = ctx or session.info.get("ctx") or CallContext()
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type=event_type,
        source=source,
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


def relay_pending(factory: sessionmaker[Session], source: str, batch: int = 100) -> int:
    """Publish up to ``batch`` unpublished outbox rows; return how many were published."""
    settings = get_settings()
    exchange = get_event_exchange(source, {})
    with factory() as session, session.begin():
        rows = session.execute(
            select(_OUTBOX.c.id, _OUTBOX.c.event_type, _OUTBOX.c.envelope, _OUTBOX.c.headers)
            .where(_OUTBOX.c.published_at.is_(None))
            .order_by(_OUTBOX.c.created_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        publisher = Publisher(settings.amqp_uri, use_confirms=True, declare=[exchange])
        published: list[uuid.UUID] = []
        for row in rows:
            headers = {f"nameko.{k}": v for k, v in (row.headers or {}).items() if v is not None}
            publisher.publish(
                row.envelope,
                exchange=exchange,
                routing_key=row.event_type,
                headers=headers,
                message_id=str(row.id),
            )
            published.append(row.id)
        session.execute(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(published)).values(published_at=func.now())
        )
    log.debug("outbox: published %d events of %s", len(published), source)
    return len(published)


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
