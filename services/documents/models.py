"""Tables of the documents service (公文): document records, their scans, who may see
them, the opinions of the processing slip (处理笺), the audit trail and the outbox.

Every tenant table has row-level security keyed on ``tenant_id`` (see the
migration). ``audit_log`` is append-only and hash-chained per tenant
(``services.common.audit``); a document's trace is read from it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import audit_table
from services.common.events import outbox_tables
from services.common.orm import one_of, service_registry
from services.common.vocabulary import DocumentStatus, Urgency, utcnow


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
AUDIT_LOG = audit_table(Base.metadata)
#: a document's trace is the audit rows that target it
Index("ix_audit_log_target", AUDIT_LOG.c.target_type, AUDIT_LOG.c.target_id, AUDIT_LOG.c.id)

#: Read by services.common.migrate: the app role may only INSERT and SELECT these.
APPEND_ONLY_TABLES = ("audit_log",)

#: the tables of tenant data (row-level security on each)
TENANT_TABLES = (
    "documents",
    "document_files",
    "document_access",
    "opinions",
    "audit_log",
    "inbox_items",
    "instructions",
    "instruction_counters",
    "leader_numbering",
    "document_holds",
    "number_series",
    "series_counters",
    "document_numbers",
    "outgoing_documents",
)


class Document(Base):
    """A received document (收文) as the registry registered it, and where it stands."""

    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(300))
    #: the title normalised for matching (NFKC, case-folded), see rules.normalise_text
    title_search: Mapped[str] = mapped_column(Text)
    #: character unigrams and bigrams of the title (Chinese has no spaces between words)
    title_grams: Mapped[Any] = mapped_column(TSVECTOR)
    source_org: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    received_date: Mapped[dt.date]
    urgency: Mapped[str] = mapped_column(String(20))
    secrecy: Mapped[str] = mapped_column(String(20))
    page_count: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="registered")
    registry_unit_id: Mapped[uuid.UUID]
    registered_by: Mapped[uuid.UUID]
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lead_unit_id: Mapped[uuid.UUID | None]
    assisting_unit_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'")
    )
    is_leader_instruction: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    overdue: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    distributed_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]
    #: the last opinion number given on this document's processing slip
    opinion_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: 已转办: when, and to whom (tenant_name, unit_name, inbox_item_id)
    forwarded_at: Mapped[dt.datetime | None]
    forwarded_to: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    #: 转办笺: this document came forwarded by another unit (see ForwardingSlipOut)
    forwarding_slip: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: incoming (收文) | outgoing (发文: see OutgoingDocument)
    direction: Mapped[str] = mapped_column(
        String(10), default="incoming", server_default=text("'incoming'")
    )

    __table_args__ = (
        # the database refuses classified documents too (DESIGN 4.7)
        CheckConstraint("secrecy IN ('none', 'internal')", name="ck_documents_not_classified"),
        CheckConstraint(
            one_of("status", DocumentStatus),
            name="ck_documents_status",
        ),
        CheckConstraint(one_of("urgency", Urgency), name="ck_documents_urgency"),
        Index("ix_documents_tenant_registered", "tenant_id", "registered_at", "id"),
        Index("ix_documents_tenant_received", "tenant_id", "received_date"),
        Index("ix_documents_tenant_status", "tenant_id", "status"),
        Index("ix_documents_lead_unit", "lead_unit_id"),
        Index("ix_documents_assisting_units", "assisting_unit_ids", postgresql_using="gin"),
        Index("ix_documents_title_grams", "title_grams", postgresql_using="gin"),
        # doc_number prefix search: text_pattern_ops index created in the migration
    )


class DocumentFile(Base):
    """A scan (扫描件) of a document, kept in object storage under an id-derived key."""

    __tablename__ = "document_files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    #: the staging upload it came from (attached once)
    upload_id: Mapped[uuid.UUID]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[str] = mapped_column(String(100))
    object_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[uuid.UUID]
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: scan (扫描件) | body (正文 of an outgoing document) | attachment (附件)
    role: Mapped[str] = mapped_column(String(12), default="scan", server_default=text("'scan'"))
    #: a body's version: every upload of the body is a new one, all kept
    version: Mapped[int | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "upload_id", name="uq_document_files_upload"),
        Index(
            "uq_document_files_body_version",
            "document_id",
            "version",
            unique=True,
            postgresql_where=text("role = 'body'"),
        ),
        Index("ix_document_files_document", "document_id", "uploaded_at"),
    )


class DocumentAccess(Base):
    """Who besides the registry and the leaders may open a document (a projection of
    routing's events): a division it was sent to, or a person (a task, a circulation)."""

    __tablename__ = "document_access"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    principal_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # unit | user
    principal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(String(20))  # lead | assisting | task | circulation
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("principal_kind IN ('unit', 'user')", name="ck_document_access_kind"),
        Index("ix_document_access_principal", "tenant_id", "principal_kind", "principal_id"),
    )


class Opinion(Base):
    """One opinion on the processing slip (处理笺), in order; names are a snapshot
    taken when it was written, as on paper."""

    __tablename__ = "opinions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID]
    author_name: Mapped[str | None] = mapped_column(String(100))
    on_behalf_of_id: Mapped[uuid.UUID | None]
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(100))
    org_unit_id: Mapped[uuid.UUID | None]
    step: Mapped[str | None] = mapped_column(String(50))
    task_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("document_id", "seq", name="uq_opinions_document_seq"),)


# -- delivery through the platform (收文箱) -------------------------------------------------------


class DirectoryTenant(Base):
    """A tenant as identity announced it (``tenant.created``): the address book of
    delivery. Platform-wide (no row-level security): ids, codes and names only."""

    __tablename__ = "directory_tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None]
    path: Mapped[str] = mapped_column(Text)
    #: when identity said so (a later fact never gives way to an earlier one)
    as_of: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("code", name="uq_directory_tenants_code"),)


class DirectoryUnit(Base):
    """An org unit as identity announced it (``org_unit.created`` / ``org_unit.updated``)."""

    __tablename__ = "directory_units"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[uuid.UUID | None]
    #: ids from the tenant's root unit, joined by "/" (as identity keeps them)
    path: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    as_of: Mapped[dt.datetime]

    __table_args__ = (Index("ix_directory_units_tenant", "tenant_id"),)


class DelegationView(Base):
    """A delegation (授权) as identity announced it (``delegation.created`` /
    ``delegation.revoked``): a secretary may open the documents routed to the leader
    whose instructions they enter, while it is valid."""

    __tablename__ = "delegations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    leader_id: Mapped[uuid.UUID]
    secretary_id: Mapped[uuid.UUID]
    scope: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_delegations_secretary", "tenant_id", "secretary_id"),)


class InboxItem(Base):
    """A document another unit sent through the platform, waiting in the recipient
    registry's inbox (收文箱) to be signed for (签收). Lives in the recipient's tenant;
    holds a snapshot of the metadata and references to the sender's scans."""

    __tablename__ = "inbox_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: the recipient's tenant
    tenant_id: Mapped[uuid.UUID]
    recipient_unit_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    sender_tenant_id: Mapped[uuid.UUID]
    sender_tenant_code: Mapped[str] = mapped_column(String(64))
    sender_tenant_name: Mapped[str] = mapped_column(String(200))
    sender_unit_id: Mapped[uuid.UUID]
    sender_unit_name: Mapped[str] = mapped_column(String(200))
    #: the sender's document (in the sender's tenant: never opened from here)
    source_document_id: Mapped[uuid.UUID]
    sent_by: Mapped[uuid.UUID]
    sent_by_name: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[dt.datetime]
    title: Mapped[str] = mapped_column(String(300))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    source_org: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[str] = mapped_column(String(20))
    secrecy: Mapped[str] = mapped_column(String(20))
    page_count: Mapped[int]
    received_date: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)
    #: the scans as sent: filename, content_type, size, sha256, bucket, object_key
    files: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    signed_by: Mapped[uuid.UUID | None]
    signed_at: Mapped[dt.datetime | None]
    #: the incoming document made when it was signed for
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    refused_by: Mapped[uuid.UUID | None]
    refused_at: Mapped[dt.datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    #: 转办笺 when the sender forwarded it (转办 / 限制转办); None for a plain 发送
    forwarding_slip: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: who signed or refused it, by name (the sender's receipts cannot ask another tenant)
    signed_by_name: Mapped[str | None] = mapped_column(String(100))
    refused_by_name: Mapped[str | None] = mapped_column(String(100))
    #: 催签: the sender's urges to sign for it
    urged_at: Mapped[dt.datetime | None]
    urge_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: 抄送 (a copy) rather than 主送, when an outgoing document was dispatched
    is_copy: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'signed', 'refused')", name="ck_inbox_items_status"),
        CheckConstraint("secrecy IN ('none', 'internal')", name="ck_inbox_items_not_classified"),
        CheckConstraint(one_of("urgency", Urgency), name="ck_inbox_items_urgency"),
        CheckConstraint(
            "status <> 'signed' OR document_id IS NOT NULL", name="ck_inbox_items_signed_document"
        ),
        # a document reaches a unit once, unless that unit refused it
        Index(
            "uq_inbox_items_delivery",
            "source_document_id",
            "tenant_id",
            "recipient_unit_id",
            unique=True,
            postgresql_where=text("status <> 'refused'"),
        ),
        Index("ix_inbox_items_recipient", "tenant_id", "recipient_unit_id", "sent_at"),
        Index("ix_inbox_items_source", "source_document_id"),
    )


# -- leader instructions (领导批示) ----------------------------------------------------------------


class Instruction(Base):
    """A leader's instruction (批示) on a document, with its number (领导批示编号): a
    厅领导's gets the next serial of ``instruction_counters`` in the transaction that
    records it; a 省政府领导's is numbered by hand (``number``), then or afterwards.
    Numbers are unique per leader and year (the indexes below)."""

    __tablename__ = "instructions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    opinion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opinions.id"))
    task_id: Mapped[uuid.UUID | None]
    leader_id: Mapped[uuid.UUID]
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_kind: Mapped[str] = mapped_column(String(20))
    entered_by: Mapped[uuid.UUID]
    entered_by_name: Mapped[str | None] = mapped_column(String(100))
    unit_id: Mapped[uuid.UUID | None]
    instructed_at: Mapped[dt.datetime]
    #: the year it counts in (Asia/Shanghai) and the day, for the leader's yearly count
    year: Mapped[int]
    instructed_on: Mapped[dt.date]
    serial: Mapped[int | None]
    #: the number as shown (a serial in the leader's format, or the hand number)
    number: Mapped[str | None] = mapped_column(String(100))
    #: the number normalised for matching (NFKC, case-folded, no spaces)
    number_key: Mapped[str | None] = mapped_column(String(100))
    #: the instruction's text (column ``text``)
    content: Mapped[str] = mapped_column("text", Text)
    #: the instruction's text and the document's title, normalised, for the words' check
    search_text: Mapped[str] = mapped_column(Text)
    #: character unigrams and bigrams of both (see rules.title_grams)
    search_grams: Mapped[Any] = mapped_column(TSVECTOR)
    numbered_by: Mapped[uuid.UUID | None]
    numbered_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint(
            "leader_kind IN ('gov_leader', 'office_leader')", name="ck_instructions_leader_kind"
        ),
        CheckConstraint(
            "serial IS NULL OR leader_kind = 'office_leader'", name="ck_instructions_serial_kind"
        ),
        UniqueConstraint("opinion_id", name="uq_instructions_opinion"),
        Index(
            "uq_instructions_serial",
            "tenant_id",
            "leader_id",
            "year",
            "serial",
            unique=True,
            postgresql_where=text("serial IS NOT NULL"),
        ),
        Index(
            "uq_instructions_number",
            "tenant_id",
            "leader_id",
            "year",
            "number_key",
            unique=True,
            postgresql_where=text("number_key IS NOT NULL"),
        ),
        Index("ix_instructions_number_key", "tenant_id", "number_key"),
        Index("ix_instructions_recent", "tenant_id", "instructed_at", "id"),
        Index("ix_instructions_leader_year", "tenant_id", "leader_id", "year", "instructed_at"),
        Index("ix_instructions_document", "document_id"),
        Index("ix_instructions_grams", "search_grams", postgresql_using="gin"),
    )


class InstructionCounter(Base):
    """The last serial number given to a 厅领导's instructions in a year: the row is
    locked and advanced in the transaction that records the instruction, so that
    numbers have neither gaps nor duplicates (a rolled-back instruction gives its
    number back with it)."""

    __tablename__ = "instruction_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    leader_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int]


class LeaderNumbering(Base):
    """How a 厅领导's serial numbers are shown (``{n}``, ``{year}``), e.g. 厅批〔{year}〕{n}号."""

    __tablename__ = "leader_numbering"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    leader_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    serial_format: Mapped[str] = mapped_column(String(60))
    updated_by: Mapped[uuid.UUID]
    updated_at: Mapped[dt.datetime]


class DocumentHold(Base):
    """An open task of a document, as routing announced it (``task.created``, closed by
    ``task.completed`` / ``task.returned`` / ``task.cancelled``): who holds the document
    now — for 转办 (only its holder forwards it), a 领导批示件's scope (a division
    holding a pooled task is on its route) and where a document stands (我的批示)."""

    __tablename__ = "document_holds"

    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    step: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[uuid.UUID | None]
    assignee_id: Mapped[uuid.UUID | None]
    #: a pooled task: the roles that may act on it (who of the division holds it)
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), default=list, server_default=text("'{}'")
    )
    due_at: Mapped[dt.datetime | None]
    overdue: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_document_holds_document", "document_id"),)


# -- document numbers of outgoing documents (发文字号, GB/T 9704) ------------------------------------


class NumberSeries(Base):
    """A unit's series of document numbers (e.g. 黔府办函): numbers are
    ``<prefix>〔<year>〕<n>号``, gap-free per series and year and never reused."""

    __tablename__ = "number_series"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    #: the unit (单位) whose series it is; its registry numbers in it
    unit_id: Mapped[uuid.UUID]
    prefix: Mapped[str] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("tenant_id", "prefix", name="uq_number_series_prefix"),)


class SeriesCounter(Base):
    """The last number given in a series and year (locked while one is given)."""

    __tablename__ = "series_counters"

    tenant_id: Mapped[uuid.UUID]
    series_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("number_series.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_n: Mapped[int]


class DocumentNumber(Base):
    """One number of a series and year: assigned to a document, reserved (e.g. for a
    document issued on paper), or voided with a reason — every number is accounted for."""

    __tablename__ = "document_numbers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID]
    series_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("number_series.id"))
    year: Mapped[int]
    n: Mapped[int]
    number: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(10))  # assigned | reserved | voided
    document_id: Mapped[uuid.UUID | None]
    #: what it is for (a reserved number: the paper document's title)
    purpose: Mapped[str | None] = mapped_column(String(300))
    given_by: Mapped[uuid.UUID]
    given_at: Mapped[dt.datetime]
    voided_by: Mapped[uuid.UUID | None]
    voided_at: Mapped[dt.datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("series_id", "year", "n", name="uq_document_numbers_n"),
        CheckConstraint(
            "state IN ('assigned', 'reserved', 'voided')", name="ck_document_numbers_state"
        ),
        CheckConstraint("n >= 1", name="ck_document_numbers_n"),
        Index("ix_document_numbers_document", "document_id"),
    )


# -- outgoing documents (发文) ----------------------------------------------------------------------


class OutgoingDocument(Base):
    """What an outgoing document (发文) has beyond a document's row: who drafted it,
    its recipients (主送, 抄送), its series, and each step's record — 签发 (by whom,
    entered by whom), 编号, 用印, 分发. ``stage`` follows routing's open task."""

    __tablename__ = "outgoing_documents"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    drafting_unit_id: Mapped[uuid.UUID]
    drafter_id: Mapped[uuid.UUID]
    drafter_name: Mapped[str | None] = mapped_column(String(100))
    drafted_at: Mapped[dt.datetime]
    #: each {tenant_id, tenant_code, tenant_name, unit_id, unit_name}
    main_to: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    copy_to: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("number_series.id"))
    stage: Mapped[str] = mapped_column(String(20), default="draft")
    signer_id: Mapped[uuid.UUID | None]
    signer_name: Mapped[str | None] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime | None]
    issue_entered_by: Mapped[uuid.UUID | None]
    issue_entered_by_name: Mapped[str | None] = mapped_column(String(100))
    number_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document_numbers.id"))
    sealed_at: Mapped[dt.datetime | None]
    sealed_by: Mapped[uuid.UUID | None]
    sealed_by_name: Mapped[str | None] = mapped_column(String(100))
    seal_note: Mapped[str | None] = mapped_column(String(500))
    dispatched_at: Mapped[dt.datetime | None]
    dispatched_by: Mapped[uuid.UUID | None]

    __table_args__ = (
        CheckConstraint(
            "stage IN ('draft', 'check', 'countersign', 'issue', 'number', 'seal', "
            "'dispatch', 'archive', 'archived')",
            name="ck_outgoing_documents_stage",
        ),
        Index("ix_outgoing_documents_tenant_stage", "tenant_id", "stage"),
        Index("ix_outgoing_documents_drafter", "tenant_id", "drafter_id"),
    )
