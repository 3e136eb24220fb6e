"""metrics: site operations reports (服务站点运维) — append-only versions of a tenant's
month, unique per (tenant, month, version), row-level security

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


def upgrade() -> None:
    op.create_table(
        "site_reports",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("availability", sa.Numeric(5, 2), nullable=False),
        sa.Column("incidents", sa.Integer, nullable=False),
        sa.Column("tickets_opened", sa.Integer, nullable=False),
        sa.Column("tickets_closed", sa.Integer, nullable=False),
        sa.Column("mean_response_minutes", sa.Numeric(10, 1), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("correction_reason", sa.String(500), nullable=True),
        sa.Column("reported_by", UUID, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "month", "version", name="uq_site_reports_version"),
    )
    for statement in (*enable_tenant_rls("site_reports"), *append_only_trigger("site_reports")):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("site_reports")
    op.execute("DROP FUNCTION IF EXISTS site_reports_append_only()")
