"""routing: drop the unique index on tasks.seq. The column is an identity (always
generated), unique by construction, and it is read only after document_id or
instance_id (ix_tasks_document); the index cost one more insertion on every new task
and every overdue mark (a non-HOT update), ~10% of the scanner's pass.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("tasks_seq_key", "tasks", type_="unique")


def downgrade() -> None:
    op.create_unique_constraint("tasks_seq_key", "tasks", ["seq"])
