"""documents: delivery through the platform — the inbox (收文箱) and the address book

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # -- the address book: tenants and org units as identity announces them ------------------
    # Platform-wide on purpose (no row-level security): a sender addresses a unit of
    # another tenant by it. Only ids, codes, names and kinds; never people.
    op.create_table(
        "directory_tenants",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", UUID, nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("as_of", TS, nullable=False),
        sa.UniqueConstraint("code", name="uq_directory_tenants_code"),
    )
    op.create_table(
        "directory_units",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", UUID, nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("as_of", TS, nullable=False),
    )
    op.create_index("ix_directory_units_tenant", "directory_units", ["tenant_id"])

    # -- the inbox: one row per recipient unit, in the recipient's tenant ----------------------
    op.create_table(
        "inbox_items",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("recipient_unit_id", UUID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("sender_tenant_id", UUID, nullable=False),
        sa.Column("sender_tenant_code", sa.String(64), nullable=False),
        sa.Column("sender_tenant_name", sa.String(200), nullable=False),
        sa.Column("sender_unit_id", UUID, nullable=False),
        sa.Column("sender_unit_name", sa.String(200), nullable=False),
        sa.Column("source_document_id", UUID, nullable=False),
        sa.Column("sent_by", UUID, nullable=False),
        sa.Column("sent_by_name", sa.String(100), nullable=True),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("source_org", sa.String(200), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("secrecy", sa.String(20), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("files", postgresql.JSONB(), nullable=False,
                  server_default=sa.text("'[]'::jsonb")),
        sa.Column("signed_by", UUID, nullable=True),
        sa.Column("signed_at", TS, nullable=True),
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("refused_by", UUID, nullable=True),
        sa.Column("refused_at", TS, nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'signed', 'refused')",
                           name="ck_inbox_items_status"),
        sa.CheckConstraint("secrecy IN ('none', 'internal')", name="ck_inbox_items_not_classified"),
        sa.CheckConstraint("urgency IN ('extra_urgent', 'urgent', 'normal')",
                           name="ck_inbox_items_urgency"),
        sa.CheckConstraint("status <> 'signed' OR document_id IS NOT NULL",
                           name="ck_inbox_items_signed_document"),
    )
    # a document reaches a unit once, unless that unit refused it (then it may be sent again)
    op.create_index("uq_inbox_items_delivery", "inbox_items",
                    ["source_document_id", "tenant_id", "recipient_unit_id"], unique=True,
                    postgresql_where=sa.text("status <> 'refused'"))
    op.create_index("ix_inbox_items_recipient", "inbox_items",
                    ["tenant_id", "recipient_unit_id", "sent_at"])
    for statement in enable_tenant_rls("inbox_items"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("inbox_items")
    op.drop_table("directory_units")
    op.drop_table("directory_tenants")
