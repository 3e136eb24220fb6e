"""ledger: suppliers and their people, work items with their append-only history
(专项工作台账), daily ledger entries (每日台账); row-level security on each

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import append_only_trigger, enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)

TABLES = ("suppliers", "supplier_members", "ledger_items", "ledger_history", "daily_entries")
STATUSES = "status IN ('not_started', 'in_progress', 'done', 'delayed', 'suspended')"


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_suppliers_name"),
    )
    op.create_table(
        "supplier_members",
        sa.Column("supplier_id", UUID, sa.ForeignKey("suppliers.id"), primary_key=True),
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_supplier_members_user"),
    )
    op.create_table(
        "ledger_items",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("supplier_id", UUID, sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("supplier_person_id", UUID, nullable=True),
        sa.Column("supplier_person_name", sa.String(100), nullable=False),
        sa.Column("owner_id", UUID, nullable=True),
        sa.Column("owner_name", sa.String(100), nullable=False),
        sa.Column("planned_start", sa.Date, nullable=False),
        sa.Column("planned_end", sa.Date, nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("percent", sa.Integer, nullable=False),
        sa.Column("last_progress_at", TS, nullable=True),
        sa.Column("last_progress_text", sa.Text, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(STATUSES, name="ck_items_status"),
        sa.CheckConstraint("priority IN ('high', 'medium', 'low')", name="ck_items_priority"),
        sa.CheckConstraint("planned_end >= planned_start", name="ck_items_period"),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name="ck_items_percent"),
    )
    op.create_index("ix_ledger_items_supplier", "ledger_items", ["tenant_id", "supplier_id"])
    op.create_index("ix_ledger_items_end", "ledger_items", ["tenant_id", "planned_end"])
    op.create_table(
        "ledger_history",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("item_id", UUID, sa.ForeignKey("ledger_items.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("author_id", UUID, nullable=False),
        sa.Column("author_name", sa.String(100), nullable=False),
        sa.Column("percent", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status_from", sa.String(20), nullable=True),
        sa.Column("status_to", sa.String(20), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'progress', 'status', 'edited')", name="ck_history_kind"
        ),
    )
    op.create_index("ix_ledger_history_item", "ledger_history", ["item_id", "created_at"])
    op.create_table(
        "daily_entries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("org_unit_id", UUID, nullable=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("links", postgresql.JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_daily_entries_user_day", "daily_entries", ["tenant_id", "user_id", "day"])
    op.create_index("ix_daily_entries_day", "daily_entries", ["tenant_id", "day"])
    for table in TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only_trigger("ledger_history"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_history_append_only_row ON ledger_history")
    op.execute("DROP TRIGGER IF EXISTS ledger_history_append_only_stmt ON ledger_history")
    op.execute("DROP FUNCTION IF EXISTS ledger_history_append_only()")
    for table in reversed(TABLES):
        op.drop_table(table)
