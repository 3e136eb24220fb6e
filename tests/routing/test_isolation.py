"""Tenant isolation in routing's own database: every table with tenant rows has
row-level security, so a query that forgets its tenant filter still sees nothing
of another tenant; the platform's templates are the one thing all tenants read."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.support.people import Org
from tests.support.routing import distribute, register
from tests.support.stacks import SyncRpc


def test_every_tenant_table_has_forced_row_level_security(routing_db: Engine):
    with routing_db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity"
                " FROM pg_class c JOIN information_schema.columns col"
                "   ON col.table_name = c.relname AND col.column_name = 'tenant_id'"
                " WHERE c.relkind = 'r' AND col.table_schema = 'public'"
            )
        ).all()
    tables = {r.relname: (r.relrowsecurity, r.relforcerowsecurity) for r in rows}
    assert set(tables) >= {
        "templates",
        "template_assignments",
        "document_summaries",
        "workflow_instances",
        "tasks",
        "urges",
        "read_items",
    }
    assert all(flags == (True, True) for flags in tables.values()), tables


def test_an_unfiltered_query_sees_only_the_tenant_of_the_transaction(
    rpc: SyncRpc, org: Org, other_org: Org, routing_app_db: Engine
):
    mine = distribute(rpc, org, register(rpc, org), org.division())["tasks"][0]["id"]
    theirs = distribute(rpc, other_org, register(rpc, other_org), other_org.division())["tasks"][0][
        "id"
    ]
    with routing_app_db.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": org.tenant_id})
        seen = {str(r[0]) for r in conn.execute(text("SELECT id FROM tasks"))}
        tenants = {str(r[0]) for r in conn.execute(text("SELECT DISTINCT tenant_id FROM tasks"))}
        templates = conn.execute(
            text("SELECT count(*) FROM templates WHERE tenant_id IS NULL")
        ).scalar_one()
    assert mine in seen and theirs not in seen
    assert tenants == {org.tenant_id}
    assert templates == 2  # the platform defaults (收文, 发文) are readable by every tenant
    with routing_app_db.begin() as conn:  # no tenant at all: nothing
        assert conn.execute(text("SELECT count(*) FROM tasks")).scalar_one() == 0
