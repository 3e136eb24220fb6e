"""metrics: the facts of the monthly application indicators (运维指标数据 — 应用情况) —
the directory of tenants and org units, users, sign-ins, documents and tasks, each
fact keyed by its event's id; row-level security on every table

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
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
TABLES = (
    "dir_tenants", "dir_units", "user_facts", "signin_facts", "document_units",
    "document_facts", "task_facts",
)


def _fact(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("event_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        *extra,
        sa.Column("at", TS, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "dir_tenants",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("parent_id", UUID, nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
    )
    op.create_table(
        "dir_units",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_dir_units_tenant", "dir_units", ["tenant_id"])
    _fact(
        "user_facts",
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("org_unit_id", UUID, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_user_facts_user", "user_facts", ["user_id", "at"])
    _fact(
        "signin_facts",
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("org_unit_id", UUID, nullable=True),
    )
    op.create_index("ix_signin_facts_at", "signin_facts", ["at"])
    op.create_table(
        "document_units",
        sa.Column("document_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
    )
    for table in ("document_facts", "task_facts"):
        _fact(
            table,
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("document_id", UUID, nullable=False),
            sa.Column("unit_id", UUID, nullable=True),
        )
        op.create_index(f"ix_{table}_at", table, ["at"])
    for table in TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
