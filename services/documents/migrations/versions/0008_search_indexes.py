"""documents: word search that can use its GIN indexes under row-level security, and
the indexes of the instruction search's order and of a leader's year

Row-level security evaluates the tenant policy before any condition that is not
LEAKPROOF, so ``search_grams @@ query`` (``ts_match_vq``) could never be an index
condition: every word search scanned the whole table (bench/instructions.py: 1–3 s
at 1,000,000 instructions). ``ts_match_vq`` only compares an already parsed tsvector
with an already parsed tsquery; it raises no error that depends on the row's data,
so marking it LEAKPROOF leaks nothing. Only a superuser may mark it; the migration
does when it runs as one (as deploy/ and local runs do) and says so otherwise — the
search then still works, by scanning.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEAKPROOF = """
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ELSE
        RAISE NOTICE 'not a superuser: ts_match_vq stays non-leakproof, word search scans';
    END IF;
END $$
"""


def upgrade() -> None:
    op.execute(LEAKPROOF)
    op.create_index(
        "ix_instructions_recent", "instructions", ["tenant_id", "instructed_at", "id"]
    )
    op.drop_index("ix_instructions_leader", table_name="instructions")
    op.create_index(
        "ix_instructions_leader_year",
        "instructions",
        ["tenant_id", "leader_id", "year", "instructed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_instructions_leader_year", table_name="instructions")
    op.create_index(
        "ix_instructions_leader", "instructions", ["tenant_id", "leader_id", "instructed_at"]
    )
    op.drop_index("ix_instructions_recent", table_name="instructions")
