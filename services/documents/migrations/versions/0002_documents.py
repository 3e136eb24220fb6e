"""documents: records, scans, access projection, opinions, audit trail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import append_only_trigger, enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_search", sa.Text(), nullable=False),
        sa.Column("title_grams", postgresql.TSVECTOR(), nullable=False),
        sa.Column("source_org", sa.String(200), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("secrecy", sa.String(20), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("registry_unit_id", UUID, nullable=False),
        sa.Column("registered_by", UUID, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("lead_unit_id", UUID, nullable=True),
        sa.Column("assisting_unit_ids", postgresql.ARRAY(UUID), nullable=False,
                  server_default=sa.text("'{}'")),
        sa.Column("is_leader_instruction", sa.Boolean(), nullable=False,
                  server_default=sa.text("false")),
        sa.Column("overdue", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("distributed_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("archived_at", TS, nullable=True),
        sa.Column("opinion_seq", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("secrecy IN ('none', 'internal')", name="ck_documents_not_classified"),
        sa.CheckConstraint("status IN ('registered', 'distributed', 'completed', 'archived')",
                           name="ck_documents_status"),
        sa.CheckConstraint("urgency IN ('extra_urgent', 'urgent', 'normal')",
                           name="ck_documents_urgency"),
    )
    op.create_index("ix_documents_tenant_registered", "documents",
                    ["tenant_id", "registered_at", "id"])
    op.create_index("ix_documents_tenant_received", "documents", ["tenant_id", "received_date"])
    op.create_index("ix_documents_tenant_status", "documents", ["tenant_id", "status"])
    op.create_index("ix_documents_lead_unit", "documents", ["lead_unit_id"])
    op.create_index("ix_documents_assisting_units", "documents", ["assisting_unit_ids"],
                    postgresql_using="gin")
    op.create_index("ix_documents_title_grams", "documents", ["title_grams"],
                    postgresql_using="gin")
    # exact and prefix search of 文号 (LIKE 'prefix%' needs the pattern operator class)
    op.execute("CREATE INDEX ix_documents_doc_number ON documents "
               "(tenant_id, doc_number text_pattern_ops)")

    op.create_table(
        "document_files",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("upload_id", UUID, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(100), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("uploaded_by", UUID, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "upload_id", name="uq_document_files_upload"),
    )
    op.create_index("ix_document_files_document", "document_files", ["document_id", "uploaded_at"])

    op.create_table(
        "document_access",
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("principal_kind", sa.String(10), primary_key=True),
        sa.Column("principal_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.CheckConstraint("principal_kind IN ('unit', 'user')", name="ck_document_access_kind"),
    )
    op.create_index("ix_document_access_principal", "document_access",
                    ["tenant_id", "principal_kind", "principal_id"])

    op.create_table(
        "opinions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", UUID, nullable=False),
        sa.Column("author_name", sa.String(100), nullable=True),
        sa.Column("on_behalf_of_id", UUID, nullable=True),
        sa.Column("on_behalf_of_name", sa.String(100), nullable=True),
        sa.Column("org_unit_id", UUID, nullable=True),
        sa.Column("step", sa.String(50), nullable=True),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("document_id", "seq", name="uq_opinions_document_seq"),
    )

    # -- audit trail (services.common.audit) ------------------------------------------------
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", UUID, nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_id", UUID, nullable=True),
        sa.Column("on_behalf_of", UUID, nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_tenant_id_id", "audit_log", ["tenant_id", "id"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id", "id"])

    # -- isolation and append-only -------------------------------------------------------------
    statements = [
        *enable_tenant_rls("documents"),
        *enable_tenant_rls("document_files"),
        *enable_tenant_rls("document_access"),
        *enable_tenant_rls("opinions"),
        *enable_tenant_rls("audit_log"),
        *append_only_trigger("audit_log"),
    ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("opinions", "document_access", "document_files", "documents"):
        op.drop_table(table)
