"""Tables of the ledger service: supplier work ledger (专项工作台账) and daily work ledger (每日台账).

* ``suppliers`` and ``supplier_members`` (a supplier's people: users of the tenant with
  the ``supplier`` role, each in one supplier at most);
* ``ledger_items`` (the work items) and ``ledger_history`` (every progress update,
  status change and edit of an item: append-only — no UPDATE or DELETE, not even by the
  owner, see the migration);
* ``daily_entries`` (每日台账: one row per entry of a person and a Shanghai day).

Every tenant table has row-level security keyed on ``tenant_id`` (migration 0003).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.events import outbox_tables
from services.common.orm import one_of, service_registry
from services.ledger.schemas import HistoryKind, ItemStatus, Priority


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)

#: the tables of tenant data (row-level security on each)
TENANT_TABLES = (
    "suppliers",
    "supplier_members",
    "ledger_items",
    "ledger_history",
    "daily_entries",
    "ledger_attachments",
)
#: rows never changed nor removed once written (the app role gets INSERT and SELECT)
APPEND_ONLY_TABLES = ("ledger_history", "ledger_attachments")


class Supplier(Base):
    """A supplier company (供应商) of the tenant's e-government division."""

    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_suppliers_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SupplierMember(Base):
    """One of a supplier's people (a user with the ``supplier`` role)."""

    __tablename__ = "supplier_members"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_supplier_members_user"),)

    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))


class Item(Base):
    """A work item (专项工作) of a supplier."""

    __tablename__ = "ledger_items"
    __table_args__ = (
        CheckConstraint(one_of("status", [s.value for s in ItemStatus]), name="ck_items_status"),
        CheckConstraint(one_of("priority", [p.value for p in Priority]), name="ck_items_priority"),
        CheckConstraint("planned_end >= planned_start", name="ck_items_period"),
        CheckConstraint("percent BETWEEN 0 AND 100", name="ck_items_percent"),
        Index("ix_ledger_items_supplier", "tenant_id", "supplier_id"),
        Index("ix_ledger_items_end", "tenant_id", "planned_end"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    project: Mapped[str] = mapped_column(String(200))
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"))
    supplier_person_id: Mapped[uuid.UUID | None]
    supplier_person_name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[uuid.UUID | None]
    owner_name: Mapped[str] = mapped_column(String(100))
    planned_start: Mapped[dt.date]
    planned_end: Mapped[dt.date]
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int] = mapped_column(Integer)
    last_progress_at: Mapped[dt.datetime | None]
    last_progress_text: Mapped[str] = mapped_column(Text)
    completed_at: Mapped[dt.datetime | None]
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class History(Base):
    """One entry of an item's history: created, a progress update, a status change, an
    edit. Append-only."""

    __tablename__ = "ledger_history"
    __table_args__ = (
        CheckConstraint(one_of("kind", [k.value for k in HistoryKind]), name="ck_history_kind"),
        Index("ix_ledger_history_item", "item_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_items.id"))
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[uuid.UUID]
    author_name: Mapped[str] = mapped_column(String(100))
    percent: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]


class Attachment(Base):
    """A file attached to a progress update (进度附件), stored in the object store under
    ``ledger/<tenant>/<item>/<file>``. Append-only."""

    __tablename__ = "ledger_attachments"
    __table_args__ = (Index("ix_ledger_attachments_item", "item_id", "history_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_items.id"))
    history_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_history.id"))
    object_key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime]


class DailyEntry(Base):
    """An entry of a person's daily work ledger (每日台账) for a Shanghai calendar day."""

    __tablename__ = "daily_entries"
    __table_args__ = (
        Index("ix_daily_entries_user_day", "tenant_id", "user_id", "day"),
        Index("ix_daily_entries_day", "tenant_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    user_name: Mapped[str] = mapped_column(String(100))
    org_unit_id: Mapped[uuid.UUID | None]
    day: Mapped[dt.date]
    content: Mapped[str] = mapped_column(Text)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
