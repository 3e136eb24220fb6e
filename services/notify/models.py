"""Tables of the notify service: the in-app inbox (站内通知) and what it needs of
routing's documents, the outbox and the processed events.

users' channel preferences and the outbound e-mails and texts (``outbound_messages``);
notices with receipts (``notices``, ``notice_recipients``: 通知 + 回执).

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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    "notices",
    "notice_recipients",
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
    #: the notice it is about (通知公告, 回执提醒)
    notice_id: Mapped[uuid.UUID | None]
    event_id: Mapped[uuid.UUID]  # the event (or the notice's sending, its reminder) behind it
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


# -- notices with receipts (通知 + 回执) -----------------------------------------------------------


class Notice(Base):
    """A notice (通知) of its sender's tenant: a draft until sent. Its recipients — of
    this tenant or of tenants below it — read it through their ``notice_recipients``
    row (the row-level policy lets a tenant see a notice one of its people received)."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'sent')", name="ck_notices_status"),
        Index("ix_notices_sender", "tenant_id", "sender_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(10))
    sender_id: Mapped[uuid.UUID]
    sender_name: Mapped[str] = mapped_column(String(100))
    sender_unit_name: Mapped[str] = mapped_column(String(200))
    sender_tenant_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: the receipt form: [{key, label, type, required, options}]
    form: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    reply_deadline: Mapped[dt.datetime | None]
    sms_after_minutes: Mapped[int] = mapped_column(Integer)
    #: as the sender named them: [{kind, id, name, tenant_id, tenant_code, tenant_name}]
    recipients: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    #: [{id, object_key, filename, size, sha256, content_type}]
    attachments: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


class NoticeRecipient(Base):
    """One person a notice was sent to (a unit's people each get one), in their own
    tenant, with what they did: read, replied (the reply's values), changed it."""

    __tablename__ = "notice_recipients"
    __table_args__ = (
        Index("ix_notice_recipients_inbox", "tenant_id", "user_id", "created_at"),
        Index("ix_notice_recipients_sender", "sender_tenant_id", "notice_id"),
    )

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    sender_tenant_id: Mapped[uuid.UUID]
    user_name: Mapped[str] = mapped_column(String(100))
    unit_name: Mapped[str] = mapped_column(String(200))
    tenant_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    reply: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[dt.datetime | None]
    remind_count: Mapped[int] = mapped_column(Integer, default=0)


class TestClock(Base):
    """The instant a test stack froze notify's clock at (one row; test stacks only)."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instant: Mapped[dt.datetime | None]
