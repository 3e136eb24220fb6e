"""documents: leader instructions and their numbers (领导批示编号), who holds a document
now, the scope of leader-instruction documents, forwarding (转办笺)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB()


def upgrade() -> None:
    op.add_column("documents", sa.Column("forwarded_at", TS, nullable=True))
    op.add_column(
        "documents",
        sa.Column("forwarded_to", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column("documents", sa.Column("forwarding_slip", JSONB, nullable=True))
    op.add_column("inbox_items", sa.Column("forwarding_slip", JSONB, nullable=True))

    op.create_table(
        "instructions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("opinion_id", UUID, sa.ForeignKey("opinions.id"), nullable=False),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("leader_name", sa.String(100), nullable=True),
        sa.Column("leader_kind", sa.String(20), nullable=False),
        sa.Column("entered_by", UUID, nullable=False),
        sa.Column("entered_by_name", sa.String(100), nullable=True),
        sa.Column("unit_id", UUID, nullable=True),
        sa.Column("instructed_at", TS, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("instructed_on", sa.Date, nullable=False),
        sa.Column("serial", sa.Integer, nullable=True),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("number_key", sa.String(100), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("search_grams", postgresql.TSVECTOR, nullable=False),
        sa.Column("numbered_by", UUID, nullable=True),
        sa.Column("numbered_at", TS, nullable=True),
        sa.CheckConstraint(
            "leader_kind IN ('gov_leader', 'office_leader')", name="ck_instructions_leader_kind"
        ),
        sa.CheckConstraint(
            "serial IS NULL OR leader_kind = 'office_leader'", name="ck_instructions_serial_kind"
        ),
        sa.UniqueConstraint("opinion_id", name="uq_instructions_opinion"),
    )
    op.create_index(
        "uq_instructions_serial",
        "instructions",
        ["tenant_id", "leader_id", "year", "serial"],
        unique=True,
        postgresql_where=sa.text("serial IS NOT NULL"),
    )
    op.create_index(
        "uq_instructions_number",
        "instructions",
        ["tenant_id", "leader_id", "year", "number_key"],
        unique=True,
        postgresql_where=sa.text("number_key IS NOT NULL"),
    )
    op.create_index("ix_instructions_number_key", "instructions", ["tenant_id", "number_key"])
    op.create_index(
        "ix_instructions_leader", "instructions", ["tenant_id", "leader_id", "instructed_at"]
    )
    op.create_index("ix_instructions_document", "instructions", ["document_id"])
    op.create_index(
        "ix_instructions_grams", "instructions", ["search_grams"], postgresql_using="gin"
    )

    op.create_table(
        "instruction_counters",
        sa.Column("tenant_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_serial", sa.Integer, nullable=False),
    )
    op.create_table(
        "leader_numbering",
        sa.Column("tenant_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, primary_key=True),
        sa.Column("serial_format", sa.String(60), nullable=False),
        sa.Column("updated_by", UUID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "document_holds",
        sa.Column("task_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("step", sa.String(50), nullable=True),
        sa.Column("unit_id", UUID, nullable=True),
        sa.Column("assignee_id", UUID, nullable=True),
        sa.Column(
            "roles",
            postgresql.ARRAY(sa.String(40)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_document_holds_document", "document_holds", ["document_id"])
    for table in ("instructions", "instruction_counters", "leader_numbering", "document_holds"):
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("document_holds", "leader_numbering", "instruction_counters", "instructions"):
        op.drop_table(table)
    op.drop_column("inbox_items", "forwarding_slip")
    op.drop_column("documents", "forwarding_slip")
    op.drop_column("documents", "forwarded_to")
    op.drop_column("documents", "forwarded_at")
