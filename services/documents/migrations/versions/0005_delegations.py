"""documents: the delegations (授权) identity announces, so that a secretary may open
what is routed to the leader they act for

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delegations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("secretary_id", UUID, nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_delegations_secretary", "delegations", ["tenant_id", "secretary_id"])
    for statement in enable_tenant_rls("delegations"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("delegations")
