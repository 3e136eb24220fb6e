"""notify: e-mail and SMS — users' channel preferences per kind, and every outbound
message with its status per channel (unique per notification and channel)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("tenant_id", UUID, primary_key=True),
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("channels", postgresql.ARRAY(sa.String(10)), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "outbound_messages",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("notification_id", UUID, sa.ForeignKey("notifications.id"), nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("only_if_unread", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("provider_message_id", sa.String(100), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("notification_id", "channel", name="uq_outbound_notification_channel"),
        sa.CheckConstraint("channel IN ('email', 'sms')", name="ck_outbound_channel"),
        sa.CheckConstraint(
            "status IN ('scheduled', 'queued', 'sending', 'sent', 'failed', 'dropped')",
            name="ck_outbound_status",
        ),
    )
    op.create_index(
        "ix_outbound_scheduled",
        "outbound_messages",
        ["not_before"],
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    op.create_index("ix_outbound_user", "outbound_messages", ["tenant_id", "user_id", "created_at"])
    op.create_index("ix_outbound_status", "outbound_messages", ["status", "updated_at"])
    for table in ("notification_preferences", "outbound_messages"):
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("outbound_messages")
    op.drop_table("notification_preferences")
