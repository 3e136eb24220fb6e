"""Create each service's database and app role, and run its alembic migrations.

``python -m services.common.migrate [service ...]`` (all services by default).

Migrations run as the admin role, which owns the tables. Services connect as
the app role (``PG_APP_USER``): not a superuser, no BYPASSRLS, so the
row-level-security policies apply to everything they do. Append-only tables
(the audit trail) get INSERT and SELECT only, and a trigger refuses UPDATE and
DELETE even to the owner.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import psycopg2
from alembic import command
from alembic.config import Config
from psycopg2 import sql
from sqlalchemy import MetaData, create_engine, pool, text

from services.common.catalog import SERVICES
from services.common.settings import get_settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


def _admin_connect(database: str = "postgres") -> psycopg2.extensions.connection:
    s = get_settings()
    conn = psycopg2.connect(
        host=s.pg_host,
        port=s.pg_port,
        user=s.pg_admin_user,
        password=s.pg_admin_password or None,
        dbname=database,
    )
    conn.autocommit = True
    return conn


_ROLE_LOCK = 0x67_6F6E_6777  # "gongw": the advisory lock key of the app role's creation


def ensure_database(service: str) -> None:
    s = get_settings()
    dbname = s.database_name(service)
    conn = _admin_connect()
    try:
        with conn.cursor() as cur:
            # Two migrations may start together (services deployed side by side, stacks of
            # parallel test workers): the role is cluster-wide, so its check-then-create
            # runs under a cluster-wide advisory lock, released with the session.
            cur.execute("SELECT pg_advisory_lock(%s)", (_ROLE_LOCK,))
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (s.pg_app_user,))
            if cur.fetchone() is None:
                if s.pg_app_password:
                    cur.execute(
                        sql.SQL(
                            "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD %s"
                        ).format(sql.Identifier(s.pg_app_user)),
                        (s.pg_app_password,),
                    )
                else:
                    cur.execute(
                        sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB").format(
                            sql.Identifier(s.pg_app_user)
                        )
                    )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                log.info("created database %s", dbname)
    finally:
        conn.close()


def drop_database(service: str) -> None:
    dbname = get_settings().database_name(service)
    conn = _admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
    finally:
        conn.close()


def alembic_config(service: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / service / "migrations"))
    cfg.set_main_option(
        "sqlalchemy.url",
        get_settings().admin_database_url(get_settings().database_name(service)),
    )
    cfg.attributes["service"] = service
    return cfg


def _append_only_tables(service: str) -> tuple[str, ...]:
    module = importlib.import_module(f"services.{service}.models")
    return tuple(getattr(module, "APPEND_ONLY_TABLES", ()))


def grant_app_privileges(service: str) -> None:
    s = get_settings()
    engine = create_engine(s.admin_database_url(s.database_name(service)), poolclass=pool.NullPool)
    role = s.pg_app_user
    with engine.begin() as conn:
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(
            text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        )
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        for table in _append_only_tables(service):
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM "{role}"'))
    engine.dispose()


def upgrade(service: str) -> None:
    ensure_database(service)
    command.upgrade(alembic_config(service), "head")
    grant_app_privileges(service)


def run_alembic_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    from alembic import context

    config = context.config
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# -- SQL helpers for migrations ------------------------------------------------------

TENANT_SETTING = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
BYPASS_SETTING = "current_setting('app.bypass_rls', true) = 'on'"


def enable_tenant_rls(table: str, column: str = "tenant_id") -> list[str]:
    """SQL that makes ``table`` visible only to its own tenant (or to bypass mode)."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY tenant_isolation ON "{table}" '
        f"USING ({column} = {TENANT_SETTING} OR {BYPASS_SETTING}) "
        f"WITH CHECK ({column} = {TENANT_SETTING} OR {BYPASS_SETTING})",
    ]


def append_only_trigger(table: str) -> list[str]:
    """SQL that refuses UPDATE, DELETE and TRUNCATE on ``table`` for everyone."""
    fn = f"{table}_append_only"
    return [
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
        f'CREATE TRIGGER {fn}_row BEFORE UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
        f'CREATE TRIGGER {fn}_stmt BEFORE TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
    ]


def add_event_failures(op: Any) -> None:
    """The ``failed_events`` table and the outbox's set-aside columns (DESIGN 10), as
    every service's migration of that name creates them. Frozen: a later change to
    these tables is a new function and a new migration."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    op.add_column(
        "outbox", sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column("outbox", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "failed_events",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("queue", sa.String(300), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("error_kind", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'parked'")),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ux_failed_events_consumer_event", "failed_events", ["consumer", "event_id"], unique=True
    )
    op.create_index(
        "ix_failed_events_parked",
        "failed_events",
        ["consumer"],
        postgresql_where=sa.text("status = 'parked'"),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])


def drop_event_failures(op: Any) -> None:
    op.drop_index("ix_processed_events_processed_at", "processed_events")
    op.drop_table("failed_events")
    for column in ("set_aside_at", "last_error", "attempts"):
        op.drop_column("outbox", column)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    services = argv or list(SERVICES)
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    for service in services:
        upgrade(service)
        print(f"migrated {service} ({get_settings().database_name(service)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
