"""ledger: the files attached to a progress update (进度附件) — append-only, row-level security

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import append_only_trigger, enable_tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_attachments",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("item_id", UUID, sa.ForeignKey("ledger_items.id"), nullable=False),
        sa.Column("history_id", UUID, sa.ForeignKey("ledger_history.id"), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("uploaded_by", UUID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_ledger_attachments_item", "ledger_attachments", ["item_id", "history_id"])
    for statement in enable_tenant_rls("ledger_attachments"):
        op.execute(statement)
    for statement in append_only_trigger("ledger_attachments"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_attachments_append_only_row ON ledger_attachments")
    op.execute("DROP TRIGGER IF EXISTS ledger_attachments_append_only_stmt ON ledger_attachments")
    op.execute("DROP FUNCTION IF EXISTS ledger_attachments_append_only()")
    op.drop_table("ledger_attachments")
