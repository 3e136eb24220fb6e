"""documents: outgoing documents (发文) — a document's direction, bodies (正文, every
version kept) and attachments among its files, the outgoing record of each step, and
the sender's urges on inbox items (催签)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB()


def upgrade() -> None:
    op.add_column(
        "documents",
        sa.Column("direction", sa.String(10), nullable=False, server_default=sa.text("'incoming'")),
    )
    op.add_column(
        "document_files",
        sa.Column("role", sa.String(12), nullable=False, server_default=sa.text("'scan'")),
    )
    op.add_column("document_files", sa.Column("version", sa.Integer, nullable=True))
    op.create_index(
        "uq_document_files_body_version",
        "document_files",
        ["document_id", "version"],
        unique=True,
        postgresql_where=sa.text("role = 'body'"),
    )
    op.add_column("inbox_items", sa.Column("signed_by_name", sa.String(100), nullable=True))
    op.add_column("inbox_items", sa.Column("refused_by_name", sa.String(100), nullable=True))
    op.add_column("inbox_items", sa.Column("urged_at", TS, nullable=True))
    op.add_column(
        "inbox_items",
        sa.Column("urge_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "inbox_items",
        sa.Column("is_copy", sa.Boolean, nullable=False, server_default=sa.text("false")),
    )
    op.create_index("ix_inbox_items_source", "inbox_items", ["source_document_id"])
    op.create_table(
        "outgoing_documents",
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("drafting_unit_id", UUID, nullable=False),
        sa.Column("drafter_id", UUID, nullable=False),
        sa.Column("drafter_name", sa.String(100), nullable=True),
        sa.Column("drafted_at", TS, nullable=False),
        sa.Column("main_to", JSONB, nullable=False),
        sa.Column("copy_to", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("series_id", UUID, sa.ForeignKey("number_series.id"), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("signer_id", UUID, nullable=True),
        sa.Column("signer_name", sa.String(100), nullable=True),
        sa.Column("issued_at", TS, nullable=True),
        sa.Column("issue_entered_by", UUID, nullable=True),
        sa.Column("issue_entered_by_name", sa.String(100), nullable=True),
        sa.Column("number_id", UUID, sa.ForeignKey("document_numbers.id"), nullable=True),
        sa.Column("sealed_at", TS, nullable=True),
        sa.Column("sealed_by", UUID, nullable=True),
        sa.Column("sealed_by_name", sa.String(100), nullable=True),
        sa.Column("seal_note", sa.String(500), nullable=True),
        sa.Column("dispatched_at", TS, nullable=True),
        sa.Column("dispatched_by", UUID, nullable=True),
        sa.CheckConstraint(
            "stage IN ('draft', 'check', 'countersign', 'issue', 'number', 'seal', "
            "'dispatch', 'archive', 'archived')",
            name="ck_outgoing_documents_stage",
        ),
    )
    op.create_index(
        "ix_outgoing_documents_tenant_stage", "outgoing_documents", ["tenant_id", "stage"]
    )
    op.create_index(
        "ix_outgoing_documents_drafter", "outgoing_documents", ["tenant_id", "drafter_id"]
    )
    for statement in enable_tenant_rls("outgoing_documents"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("outgoing_documents")
    op.drop_index("ix_inbox_items_source", table_name="inbox_items")
    for column in ("is_copy", "urge_count", "urged_at", "refused_by_name", "signed_by_name"):
        op.drop_column("inbox_items", column)
    op.drop_index("uq_document_files_body_version", table_name="document_files")
    op.drop_column("document_files", "version")
    op.drop_column("document_files", "role")
    op.drop_column("documents", "direction")
