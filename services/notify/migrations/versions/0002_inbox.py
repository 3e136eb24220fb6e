"""notify: the in-app inbox (notifications) and the titles of routing's documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_id", UUID, nullable=True),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.UniqueConstraint("event_id", "user_id", name="uq_notifications_event_user"),
        sa.CheckConstraint(
            "kind IN ('todo', 'urge', 'returned', 'reminder', 'overdue')",
            name="ck_notifications_kind",
        ),
    )
    op.create_index(
        "ix_notifications_inbox", "notifications", ["tenant_id", "user_id", "created_at", "id"]
    )
    op.create_index("ix_notifications_task", "notifications", ["task_id", "user_id"])
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["tenant_id", "user_id", "created_at", "id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "document_titles",
        sa.Column("document_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    for table in ("notifications", "document_titles"):
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("document_titles")
    op.drop_table("notifications")
