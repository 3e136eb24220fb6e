"""Tables of the notify service: the in-app inbox (站内通知) and what it needs of
routing's documents, the outbox and the processed events.

SMS, e-mail and notices with receipts (回执) arrive in later issues.

Every tenant table has row-level security keyed on ``tenant_id`` (see the
migration). A notification is unique per (event, recipient): an event delivered
twice, or to two instances at once, notifies each recipient once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.events import outbox_tables
from services.common.orm import service_registry
from services.notify.schemas import NotificationKind


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)

#: the tables of tenant data (row-level security on each)
TENANT_TABLES = ("notifications", "document_titles")

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
