"""Tables of the routing service: process templates, workflow instances, tasks (待办),
urges (催办), read items (传阅), a projection of the documents they are about, the
working-day calendars (national years, tenant overrides, the tenant tree) and
routing's own audit trail.

Every tenant table has row-level security (see the migrations). Templates of the
platform (``tenant_id`` NULL) are readable by every tenant; a tenant also reads
the calendar overrides of its ancestors. The partial indexes on ``tasks`` serve
the to-do and done lists in their sort order (most urgent first, then newest)
without sorting a user's whole history, and the overdue / reminder scanner
without reading every open task.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import audit_table
from services.common.events import outbox_tables
from services.common.orm import service_registry


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
AUDIT_LOG = audit_table(Base.metadata)

#: Read by services.common.migrate: the app role may only INSERT and SELECT these.
APPEND_ONLY_TABLES = ("audit_log",)


class Template(Base):
    """A version of a process template (流程模板); rows are never changed once written."""

    __tablename__ = "templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(comment="NULL: the platform's default")
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(comment="TemplateDef as JSON")
    created_at: Mapped[dt.datetime]
    created_by: Mapped[uuid.UUID | None]


class TemplateAssignment(Base):
    """Which template of a kind an org unit uses (one per unit and kind)."""

    __tablename__ = "template_assignments"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("templates.id"))
    assigned_at: Mapped[dt.datetime]
    assigned_by: Mapped[uuid.UUID | None]

    __table_args__ = (Index("ix_template_assignments_template", "template_id"),)


class DocumentSummary(Base):
    """What routing knows of a document (from documents' events): enough for the lists."""

    __tablename__ = "document_summaries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(Text)
    doc_number: Mapped[str | None] = mapped_column(String(100))
    urgency: Mapped[str] = mapped_column(String(16))
    registry_unit_id: Mapped[uuid.UUID]
    registered_by: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(
        String(16), comment="registered|distributed|completed|archived"
    )
    kind: Mapped[str] = mapped_column(
        String(16), default="incoming", server_default="incoming", comment="incoming | outgoing"
    )
    lead_unit_id: Mapped[uuid.UUID | None]
    is_leader_instruction: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    distributed_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]


class WorkflowInstance(Base):
    """One branch of a document: the registry's own, or one division's (主办 / 协办)."""

    __tablename__ = "workflow_instances"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document_summaries.id"))
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("templates.id"))
    unit_id: Mapped[uuid.UUID]
    role_in_document: Mapped[str] = mapped_column(String(16), comment="registry|lead|assisting")
    status: Mapped[str] = mapped_column(
        String(16), comment="active|completed|returned|cancelled|archived"
    )
    handler_id: Mapped[uuid.UUID | None] = mapped_column(comment="承办人, once someone signed")
    created_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    signer_id: Mapped[uuid.UUID | None] = mapped_column(comment="发文: the leader who signs (签发)")
    countersign_queue: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)),
        default=list,
        server_default=text("'{}'"),
        comment="发文, 会签 in turn: the divisions still to countersign",
    )

    __table_args__ = (
        Index("ix_workflow_instances_document", "document_id"),
        Index(
            "uq_workflow_instances_registry",
            "document_id",
            unique=True,
            postgresql_where=text("role_in_document = 'registry'"),
        ),
        Index(
            "uq_workflow_instances_active_branch",
            "document_id",
            "unit_id",
            unique=True,
            postgresql_where=text("role_in_document <> 'registry' AND status = 'active'"),
        ),
    )


class Task(Base):
    """A to-do (待办) at one step of a branch, for one user or pooled to a unit."""

    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))  # unique by construction
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document_summaries.id"))
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_instances.id"))
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("templates.id"))
    step: Mapped[str] = mapped_column(String(64))
    step_name: Mapped[str] = mapped_column(String(50))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="roles of the step")
    unit_id: Mapped[uuid.UUID | None]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(comment="NULL: pooled to the unit")
    status: Mapped[str] = mapped_column(String(16))
    role_in_document: Mapped[str] = mapped_column(String(16))
    urgency_rank: Mapped[int] = mapped_column(SmallInteger, comment="0 特急, 1 加急, 2 平件")
    created_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime | None]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    previous_task_id: Mapped[uuid.UUID | None] = mapped_column(
        comment="the task whose action created this one"
    )
    completed_at: Mapped[dt.datetime | None]
    completed_by: Mapped[uuid.UUID | None]
    action: Mapped[str | None] = mapped_column(String(16))
    opinion: Mapped[str | None] = mapped_column(Text)
    on_behalf_of_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(default=1)
    due_rule: Mapped[str | None] = mapped_column(
        String(16), comment="distribution | step (NULL: no time limit)"
    )
    due_days: Mapped[int | None] = mapped_column(
        SmallInteger, comment="working days of the time limit"
    )
    remind_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    overdue_at: Mapped[dt.datetime | None] = mapped_column(
        comment="= due_at, set once the task is past due"
    )
    overdue_unit_id: Mapped[uuid.UUID | None]
    overdue_user_id: Mapped[uuid.UUID | None]

    __table_args__ = (
        Index(
            "ix_tasks_open_assignee",
            "tenant_id",
            "assignee_id",
            "urgency_rank",
            text("created_at DESC"),
            "id",
            postgresql_where=text("status = 'open' AND assignee_id IS NOT NULL"),
        ),
        Index(
            "ix_tasks_open_pool",
            "tenant_id",
            "unit_id",
            "urgency_rank",
            text("created_at DESC"),
            "id",
            postgresql_include=["roles"],
            postgresql_where=text("status = 'open' AND assignee_id IS NULL"),
        ),
        Index(
            "ix_tasks_done",
            "tenant_id",
            "completed_by",
            text("completed_at DESC"),
            "id",
            postgresql_where=text("completed_by IS NOT NULL"),
        ),
        Index("ix_tasks_document", "document_id", "seq"),
        Index("ix_tasks_instance_step", "instance_id", "step"),
        Index(
            "ix_tasks_overdue_scan",
            "due_at",
            postgresql_where=text("status = 'open' AND overdue_at IS NULL AND due_at IS NOT NULL"),
        ),
        Index(
            "ix_tasks_reminder_scan",
            "remind_at",
            postgresql_where=text(
                "status = 'open' AND reminded_at IS NULL AND overdue_at IS NULL"
                " AND remind_at IS NOT NULL"
            ),
        ),
        Index(
            "ix_tasks_tenant_due",
            "tenant_id",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL"),
        ),
    )


class UrgeRecord(Base):
    """A 催办: somebody asked the holder of an open task to get on with it."""

    __tablename__ = "urges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    document_id: Mapped[uuid.UUID]
    urged_by: Mapped[uuid.UUID]
    message: Mapped[str | None] = mapped_column(String(500))
    urged_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_urges_task", "task_id"),)


class ReadItem(Base):
    """A 传阅 item: a document sent to one person for reading."""

    __tablename__ = "read_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document_summaries.id"))
    recipient_id: Mapped[uuid.UUID]
    sent_by: Mapped[uuid.UUID]
    sent_at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("uq_read_items_document_recipient", "document_id", "recipient_id", unique=True),
        Index(
            "ix_read_items_recipient",
            "tenant_id",
            "recipient_id",
            text("(read_at IS NOT NULL)"),
            text("sent_at DESC"),
            "id",
        ),
    )


# -- working-day calendars (DESIGN 4.3) --------------------------------------------------------


class CalendarYear(Base):
    """The published national schedule of a year; a year without a row is provisional
    (weekends only) until a platform administrator publishes it."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holidays: Mapped[list[dt.date]] = mapped_column(ARRAY(Date), default=list)
    workdays: Mapped[list[dt.date]] = mapped_column(ARRAY(Date), default=list)
    note: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[dt.datetime]
    published_by: Mapped[uuid.UUID | None]


class CalendarState(Base):
    """One row: the calendar version, changed (from a sequence) by every calendar change."""

    __tablename__ = "calendar_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[dt.datetime]


class TenantNode(Base):
    """The tenant tree as identity announces it (``tenant.created``)."""

    __tablename__ = "tenant_nodes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    parent_id: Mapped[uuid.UUID | None]
    code: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text, comment="tenant codes from the root, gz/gz-qdn")
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("uq_tenant_nodes_path", "path", unique=True),
        Index("ix_tenant_nodes_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )


class CalendarOverride(Base):
    """A local day off or working day of a tenant (本地调整), inherited by its descendants."""

    __tablename__ = "calendar_overrides"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    day: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(16), comment="day_off | working_day")
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[uuid.UUID | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "day", name="uq_calendar_overrides_tenant_day"),
    )


class TestClock(Base):
    """The instant the tests set; honoured only when ``GONGWEN_ENV=test``."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    now: Mapped[dt.datetime | None]
    set_at: Mapped[dt.datetime]
