"""An auditor verifies the documents trail (全程留痕) of the tenant through the gateway and,
once a row has been altered behind the services' back, is told the first broken link.

A tenant of its own: its chain stays broken afterwards."""

from __future__ import annotations

import datetime as dt

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


def test_an_auditor_narrows_either_trail_by_action_actor_target_and_time(
    gw: Gateway, platform_admin: User
):
    office = setup_office(gw, platform_admin, unique("sf"), "审计筛选厅")
    office.add_unit("文书处")
    registrar = office.add_person("wenshu", "筛选文书", "文书处", ["registrar"])
    auditor = office.add_person("shenji", "筛选审计", "文书处", ["auditor"])
    before = dt.datetime.now(dt.UTC)
    first, second = (register(registrar, f"筛选测试来文{n}") for n in range(2))

    registered = ok(
        auditor.get("/audit", params={"service": "documents", "action": "document.reg"})
    )
    assert registered["total"] == 2
    assert {e["target_id"] for e in registered["items"]} == {first["id"], second["id"]}
    assert all(e["actor_id"] == registrar.id for e in registered["items"])
    one = ok(auditor.get("/audit", params={"service": "documents", "target_id": first["id"]}))
    assert one["total"] >= 1 and {e["target_id"] for e in one["items"]} == {first["id"]}
    by_actor = ok(auditor.get("/audit", params={"service": "documents", "actor_id": auditor.id}))
    assert by_actor["total"] == 0  # the auditor did nothing to documents
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert ok(auditor.get("/audit", params={"service": "documents", "since": later}))["total"] == 0
    window = {"service": "documents", "since": before.isoformat(), "until": later}
    assert ok(auditor.get("/audit", params=window))["total"] >= 2
    # identity's trail: the users made for this office, by the tenant administrator
    created = ok(auditor.get("/audit", params={"action": "user.created"}))
    assert created["total"] >= 2 and all(e["action"] == "user.created" for e in created["items"])
    # a time without a zone, a tenant administrator on the documents trail
    expect_error(
        auditor.get("/audit", params={"since": "2026-12-01T08:00:00"}), 422, "naive_datetime"
    )
    expect_error(office.admin.get("/audit", params={"service": "documents"}), 403, "role_required")
