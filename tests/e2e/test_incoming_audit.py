"""An auditor verifies the documents trail (全程留痕) of the tenant through the gateway and,
once a row has been altered behind the services' back, is told the first broken link.

A tenant of its own: its chain stays broken afterwards."""

from __future__ import annotations

import psycopg2

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.gateway import (
    Gateway,
    User,
    expect_error,
    ok,
    real_pdf,
    register,
    setup_office,
    upload,
)
from tests.support.stacks import unique


def tamper(stack: Stack, settings: Settings, tenant_id: str, document_id: str) -> int:
    """Alter the row of the tenant's documents trail that registered a document, as the
    database superuser, past the append-only trigger; the row's id."""
    conn = psycopg2.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_admin_user,
        password=settings.pg_admin_password or None,
        dbname=stack.env["DB_PREFIX"] + "documents",
    )
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                """SELECT id FROM audit_log
                    WHERE tenant_id = %s AND action = 'document.register' AND target_id = %s""",
                (tenant_id, document_id),
            )
            (row_id,) = cur.fetchone()
            cur.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            cur.execute(
                """UPDATE audit_log
                      SET after = jsonb_set(after, '{title}', to_jsonb('篡改后的标题'::text))
                    WHERE id = %s""",
                (row_id,),
            )
            cur.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        conn.close()
    return int(row_id)


def test_an_auditor_is_told_the_first_broken_link_of_the_documents_trail(
    gw: Gateway, platform_admin: User, stack: Stack, settings: Settings
):
    office = setup_office(gw, platform_admin, unique("sj"), "审计测试厅")
    office.add_unit("文书处")
    registrar = office.add_person("wenshu", "审计文书", "文书处", ["registrar"])
    auditor = office.add_person("shenji", "审计员", "文书处", ["auditor"])
    documents = [register(registrar, f"审计测试来文{n}") for n in range(3)]
    ok(upload(registrar, documents[0]["id"], ("正文.pdf", real_pdf())), 201)

    intact = ok(auditor.get("/audit/verify", params={"service": "documents"}))
    # 3 registrations, 1 scan, and the registry's tasks as documents learns of them
    assert intact["ok"] is True and intact["checked"] >= 4
    assert (intact["first_broken_id"], intact["reason"]) == (None, None)
    # the tenant administrator and the registry do not verify the documents trail
    expect_error(
        office.admin.get("/audit/verify", params={"service": "documents"}), 403, "role_required"
    )
    expect_error(
        registrar.get("/audit/verify", params={"service": "documents"}), 403, "role_required"
    )
    expect_error(auditor.get("/audit/verify", params={"service": "ledger"}), 422, "invalid_input")

    # the registration of the second document is rewritten behind the services' back
    altered = tamper(stack, settings, office.tenant["id"], documents[1]["id"])
    broken = ok(auditor.get("/audit/verify", params={"service": "documents"}))
    assert broken["ok"] is False and broken["first_broken_id"] == altered
    assert broken["reason"]
    # identity's trail is another chain, untouched (the default of the endpoint)
    assert ok(auditor.get("/audit/verify"))["ok"] is True
    assert ok(auditor.get("/audit/verify", params={"service": "identity"}))["ok"] is True
