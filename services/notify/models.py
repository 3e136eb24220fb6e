"""Tables of the notify service: the in-app inbox (站内通知) and what it needs of
routing's documents, the outbox and the processed events.

users' channel preferences and the outbound e-mails and texts (``outbound_messages``);
notices with receipts (回执) arrive later.

Every tenant table has row-level security keyed on ``tenant_id`` (see the
migration). A notification is unique per (event, recipient): an event delivered
twice, or to two instances at once, notifies each recipient once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.events import outbox_tables
from services.common.orm import service_registry
from services.notify.schemas import NotificationKind


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)

#: the tables of tenant data (row-level security on each)
TENANT_TABLES = (
    "notifications",
    "document_titles",
    "notification_preferences",
    "outbound_messages",
)

KINDS = tuple(k.value for k in NotificationKind)


class Notification(Base):
    """One message in one user's in-app inbox (站内通知)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_notifications_event_user"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name="ck_notifications_kind"
        ),
        # the inbox, newest first
        Index("ix_notifications_inbox", "tenant_id", "user_id", "created_at", "id"),
        # what a user was told about one task (a return and its to-do, see inbox)
        Index("ix_notifications_task", "task_id", "user_id"),
        Index("ix_notifications_stream", "tenant_id", "user_id", "seq"),
        # the unread count and the unread-only inbox
        Index(
            "ix_notifications_unread",
            "tenant_id",
            "user_id",
            "created_at",
            "id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    event_id: Mapped[uuid.UUID]  # the routing event that caused it
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]
    #: the order notifications were written in: where a live stream resumes from
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))


class DocumentTitle(Base):
    """The title of a document, as routing's events carry it (``task.created``,
    ``task.reminded``, ``task.overdue``): ``task.urged`` and ``task.returned`` do
    not, and their notifications name the document from here."""

    __tablename__ = "document_titles"

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(300))
    urgency: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime]


# -- outbound channels: e-mail and SMS (issue 12) ---------------------------------------------------


class Preference(Base):
    """A user's channels for one kind of notification (the in-app inbox always among them)."""

    __tablename__ = "notification_preferences"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    updated_at: Mapped[dt.datetime]


class OutboundMessage(Base):
    """One notification's message by one channel (e-mail or SMS) — unique per
    notification and channel, so that no person gets it twice by the same channel —
    with its status: ``scheduled`` (waiting for its time, e.g. an SMS sent only if the
    notification is still unread), ``queued`` (announced to the channel's queue),
    ``sending``, ``sent``, ``failed`` (the provider refused it for good, with its
    reason) or ``dropped`` (read before its time came)."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_outbound_notification_channel"),
        CheckConstraint("channel IN ('email', 'sms')", name="ck_outbound_channel"),
        CheckConstraint(
            "status IN ('scheduled', 'queued', 'sending', 'sent', 'failed', 'dropped')",
            name="ck_outbound_status",
        ),
        Index(
            "ix_outbound_scheduled",
            "not_before",
            postgresql_where=text("status = 'scheduled'"),
        ),
        Index("ix_outbound_user", "tenant_id", "user_id", "created_at"),
        Index("ix_outbound_status", "status", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"))
    user_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    not_before: Mapped[dt.datetime]
    only_if_unread: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
