"""documents: series of document numbers (发文字号) per unit, their counters per year,
and every number given — assigned, reserved or voided

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "number_series",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("prefix", sa.String(30), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "prefix", name="uq_number_series_prefix"),
    )
    op.create_table(
        "series_counters",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("series_id", UUID, sa.ForeignKey("number_series.id"), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_n", sa.Integer, nullable=False),
    )
    op.create_table(
        "document_numbers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("series_id", UUID, sa.ForeignKey("number_series.id"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("document_id", UUID, nullable=True),
        sa.Column("purpose", sa.String(300), nullable=True),
        sa.Column("given_by", UUID, nullable=False),
        sa.Column("given_at", TS, nullable=False),
        sa.Column("voided_by", UUID, nullable=True),
        sa.Column("voided_at", TS, nullable=True),
        sa.Column("void_reason", sa.Text, nullable=True),
        sa.UniqueConstraint("series_id", "year", "n", name="uq_document_numbers_n"),
        sa.CheckConstraint(
            "state IN ('assigned', 'reserved', 'voided')", name="ck_document_numbers_state"
        ),
        sa.CheckConstraint("n >= 1", name="ck_document_numbers_n"),
    )
    op.create_index("ix_document_numbers_document", "document_numbers", ["document_id"])
    for table in ("number_series", "series_counters", "document_numbers"):
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("document_numbers", "series_counters", "number_series"):
        op.drop_table(table)
