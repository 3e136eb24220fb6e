"""Tables of the metrics service: the facts it keeps from the other services' events
(运维指标数据 — 应用情况), from which the monthly indicators are computed, and the
outbox of its own events.

Every fact row is keyed by the id of the event that brought it, so a redelivered
event counts once; the directory (tenants, org units) is the latest state identity
announced. Every table has a ``tenant_id`` under row-level security."""

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.events import outbox_tables
from services.common.orm import service_registry


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)


class DirTenant(Base):
    """A tenant as identity announced it (``tenant_id`` = its own id)."""

    __tablename__ = "dir_tenants"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))


class DirUnit(Base):
    """An org unit as identity last announced it."""

    __tablename__ = "dir_units"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2000))
    depth: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UserFact(Base):
    """A user's account as of an event (created, updated, deactivated)."""

    __tablename__ = "user_facts"
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SigninFact(Base):
    __tablename__ = "signin_facts"
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DocumentUnit(Base):
    """The unit a document belongs to (its registry, or its drafting unit)."""

    __tablename__ = "document_units"
    document_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class DocumentFact(Base):
    """received (收文登记), sent (分发), processed (办结)."""

    __tablename__ = "document_facts"
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TaskFact(Base):
    """created (a to-do: an item started) or overdue (超期)."""

    __tablename__ = "task_facts"
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SiteReport(Base):
    """服务站点运维: one version of a tenant's report of a month (append-only: a
    correction is a new version; the highest is in force)."""

    __tablename__ = "site_reports"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    month: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    availability: Mapped[float] = mapped_column(Numeric(5, 2))
    incidents: Mapped[int] = mapped_column(Integer)
    tickets_opened: Mapped[int] = mapped_column(Integer)
    tickets_closed: Mapped[int] = mapped_column(Integer)
    mean_response_minutes: Mapped[float] = mapped_column(Numeric(10, 1))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    correction_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reported_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


#: rows never updated nor deleted (the app role loses UPDATE, DELETE, TRUNCATE on them)
APPEND_ONLY_TABLES = ("site_reports",)
