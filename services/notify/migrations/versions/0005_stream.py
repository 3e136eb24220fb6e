"""notify: a sequence number on every notification, the position a live stream resumes
from (Last-Event-ID)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
    )
    op.create_index("ix_notifications_stream", "notifications", ["tenant_id", "user_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_notifications_stream", table_name="notifications")
    op.drop_column("notifications", "seq")
