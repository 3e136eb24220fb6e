"""routing: failed_events (parked events) and the outbox's set-aside columns

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

from services.common.migrate import add_event_failures, drop_event_failures

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_event_failures(op)


def downgrade() -> None:
    drop_event_failures(op)
