"""identity: tenants, org units, users, delegations, signing keys, audit trail, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import append_only_trigger, enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # -- outbox (services.common.events) ---------------------------------------------
    op.create_table(
        "outbox",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", TS, nullable=True),
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["created_at"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "processed_events",
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column("event_id", UUID, primary_key=True),
        sa.Column("processed_at", TS, nullable=False, server_default=sa.func.now()),
    )

    # -- signing keys (no tenant) ---------------------------------------------------------
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )

    # -- tenants ----------------------------------------------------------------------------
    op.create_table(
        "tenants",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", UUID, sa.ForeignKey("tenants.id"), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("path", name="uq_tenants_path"),
    )
    op.create_index(
        "ix_tenants_path_prefix", "tenants", ["path"], postgresql_ops={"path": "text_pattern_ops"}
    )

    # -- org units --------------------------------------------------------------------------
    op.create_table(
        "org_units",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=True),
        sa.Column("parent_id", UUID, sa.ForeignKey("org_units.id"), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "parent_id", "name",
            name="uq_org_units_sibling_name", postgresql_nulls_not_distinct=True,
        ),
        sa.CheckConstraint("kind IN ('unit', 'division', 'section')", name="ck_org_units_kind"),
    )
    op.create_index(
        "ix_org_units_path", "org_units", ["path"], postgresql_ops={"path": "text_pattern_ops"}
    )
    op.create_index("ix_org_units_tenant_parent", "org_units", ["tenant_id", "parent_id"])
    op.create_index(
        "uq_org_units_code", "org_units", ["tenant_id", "code"], unique=True,
        postgresql_where=sa.text("code IS NOT NULL"),
    )

    # -- users -------------------------------------------------------------------------------
    op.create_table(
        "users",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, sa.ForeignKey("tenants.id"), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("org_unit_id", UUID, sa.ForeignKey("org_units.id"), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "username",
            name="uq_users_tenant_username", postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_users_tenant_org_unit", "users", ["tenant_id", "org_unit_id"])
    op.create_index("ix_users_roles", "users", ["roles"], postgresql_using="gin")

    # -- delegations (授权) -------------------------------------------------------------------
    op.create_table(
        "delegations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("leader_id", UUID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secretary_id", UUID, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", UUID, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ck_delegations_window"),
    )
    op.create_index("ix_delegations_leader", "delegations", ["tenant_id", "leader_id"])
    op.create_index("ix_delegations_secretary", "delegations", ["tenant_id", "secretary_id"])

    # -- audit trail (services.common.audit) ------------------------------------------------
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", UUID, nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_id", UUID, nullable=True),
        sa.Column("on_behalf_of", UUID, nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_tenant_id_id", "audit_log", ["tenant_id", "id"])

    # -- isolation and append-only -------------------------------------------------------------
    statements = [
        *enable_tenant_rls("tenants", column="id"),
        *enable_tenant_rls("org_units"),
        *enable_tenant_rls("users"),
        *enable_tenant_rls("delegations"),
        *enable_tenant_rls("audit_log"),
        *append_only_trigger("audit_log"),
    ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("delegations", "users", "org_units", "tenants", "signing_keys",
                  "processed_events", "outbox"):
        op.drop_table(table)
