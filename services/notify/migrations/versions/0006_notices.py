"""notify: notices with receipts (通知 + 回执) — the notice of its sender's tenant, one
row per recipient in the recipient's tenant, notifications about a notice, and the
test clock

A recipient's tenant sees a notice through its recipient rows; the sender's tenant sees
the recipient rows of its notices (recipients may be in tenants below it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import BYPASS_SETTING, TENANT_SETTING

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB

OLD_KINDS = ("todo", "urge", "returned", "reminder", "overdue")
KINDS = (*OLD_KINDS, "notice", "notice_reminder")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _rls(table: str, using: str, check: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY tenant_isolation ON "{table}" USING ({using}) WITH CHECK ({check})',
    ]


def upgrade() -> None:
    op.drop_constraint("ck_notifications_kind", "notifications", type_="check")
    op.create_check_constraint("ck_notifications_kind", "notifications", _kinds(KINDS))
    op.add_column("notifications", sa.Column("notice_id", UUID, nullable=True))
    op.create_index(
        "ix_notifications_notice",
        "notifications",
        ["notice_id", "user_id"],
        postgresql_where=sa.text("notice_id IS NOT NULL"),
    )
    op.create_table(
        "notices",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("sender_id", UUID, nullable=False),
        sa.Column("sender_name", sa.String(100), nullable=False),
        sa.Column("sender_unit_name", sa.String(200), nullable=False),
        sa.Column("sender_tenant_name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("form", JSONB, nullable=False),
        sa.Column("reply_deadline", TS, nullable=True),
        sa.Column("sms_after_minutes", sa.Integer, nullable=False),
        sa.Column("recipients", JSONB, nullable=False),
        sa.Column("attachments", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('draft', 'sent')", name="ck_notices_status"),
    )
    op.create_index("ix_notices_sender", "notices", ["tenant_id", "sender_id", "created_at"])
    op.create_table(
        "notice_recipients",
        sa.Column("notice_id", UUID, sa.ForeignKey("notices.id"), primary_key=True),
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("sender_tenant_id", UUID, nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("unit_name", sa.String(200), nullable=False),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("reply", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("changes", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("remind_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_index(
        "ix_notice_recipients_inbox", "notice_recipients", ["tenant_id", "user_id", "created_at"]
    )
    op.create_index(
        "ix_notice_recipients_sender", "notice_recipients", ["sender_tenant_id", "notice_id"]
    )
    own = f"tenant_id = {TENANT_SETTING} OR {BYPASS_SETTING}"
    # a recipient's tenant reads the notice (not writes it): the policy of the recipient
    # rows does not look back at notices, so the two policies cannot recurse
    for statement in _rls(
        "notices",
        f"{own} OR id IN (SELECT r.notice_id FROM notice_recipients r "
        f"WHERE r.tenant_id = {TENANT_SETTING})",
        own,
    ):
        op.execute(statement)
    both = f"{own} OR sender_tenant_id = {TENANT_SETTING}"
    for statement in _rls("notice_recipients", both, both):
        op.execute(statement)
    op.create_table(
        "test_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instant", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("test_clock")
    op.drop_table("notice_recipients")
    op.drop_table("notices")
    notice_kinds = "kind IN ('notice', 'notice_reminder')"
    op.execute(f"DELETE FROM outbound_messages WHERE {notice_kinds}")
    op.execute(f"DELETE FROM notifications WHERE {notice_kinds}")
    op.drop_index("ix_notifications_notice", table_name="notifications")
    op.drop_column("notifications", "notice_id")
    op.drop_constraint("ck_notifications_kind", "notifications", type_="check")
    op.create_check_constraint("ck_notifications_kind", "notifications", _kinds(OLD_KINDS))
