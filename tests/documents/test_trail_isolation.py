"""The hash-chained trail (全程留痕) and tenant isolation in the database itself:
an auditor verifies the chain and learns the first altered row; the service's role
can neither change the trail nor see another tenant's rows."""

from __future__ import annotations

import psycopg2
import pytest

from services.common.errors import Forbidden
from tests.support.documents import Office, a_document, count_rows, onboard
from tests.support.identity import connect, expect_error


@pytest.fixture(scope="module")
def anshun(rpc, platform_admin) -> Office:
    """A tenant of its own: its chain gets tampered with."""
    return onboard(rpc, platform_admin, "gz-as", "安顺市")


def test_an_auditor_verifies_the_chain_of_the_tenant(office):
    office.registrar.call("register_document", document=a_document())
    result = office.auditor.call("verify_audit_chain")
    assert result["ok"] is True and result["checked"] >= 1
    assert result["first_broken_id"] is None and result["reason"] is None


def test_only_an_auditor_verifies(office):
    for person in (office.registrar, office.leader, office.handler_a):
        expect_error(Forbidden, "role_required", person.call, "verify_audit_chain")


def test_an_altered_row_is_found(anshun, office, pg_superuser):
    clerk = anshun.registrar
    docs = [
        clerk.call("register_document", document=a_document(title=f"安顺来文{i}")) for i in range(3)
    ]
    with pg_superuser.cursor() as cur:
        cur.execute(
            "SELECT id FROM audit_log WHERE tenant_id = %s AND target_id = %s",
            (anshun.tenant_id, docs[1]["id"]),
        )
        [(victim,)] = cur.fetchall()
    assert anshun.auditor.call("verify_audit_chain")["ok"] is True

    with pg_superuser.cursor() as cur:
        cur.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        try:
            cur.execute(
                "UPDATE audit_log SET after = jsonb_set(after, '{title}', '\"改过的标题\"') WHERE id = %s",
                (victim,),
            )
        finally:
            cur.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")

    result = anshun.auditor.call("verify_audit_chain")
    assert result == {
        "ok": False,
        "checked": result["checked"],
        "first_broken_id": victim,
        "reason": "hash_mismatch",
    }
    assert office.auditor.call("verify_audit_chain")["ok"] is True  # other chains stand


def test_the_trail_is_append_only(office, settings, documents_db, pg_superuser):
    office.registrar.call("register_document", document=a_document())
    with pytest.raises(psycopg2.errors.RaiseException), pg_superuser.cursor() as cur:
        cur.execute("UPDATE audit_log SET action = 'x' WHERE tenant_id = %s", (office.tenant_id,))
    with pytest.raises(psycopg2.errors.RaiseException), pg_superuser.cursor() as cur:
        cur.execute("DELETE FROM audit_log WHERE tenant_id = %s", (office.tenant_id,))
    with connect(settings, documents_db, superuser=False) as conn, conn.cursor() as cur:
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", (office.tenant_id,))
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("UPDATE audit_log SET action = 'x'")


TENANT_TABLES = ("documents", "document_files", "document_access", "opinions", "audit_log")


def test_row_level_security_hides_other_tenants_from_the_service_role(
    office, other_office, settings, documents_db, pg_superuser
):
    office.registrar.call("register_document", document=a_document())
    other_office.registrar.call("register_document", document=a_document())
    with connect(settings, documents_db, superuser=False) as conn, conn.cursor() as cur:
        for table in TENANT_TABLES:  # no tenant chosen: nothing at all
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            assert cur.fetchone()[0] == 0, table
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", (office.tenant_id,))
        for table in TENANT_TABLES:
            cur.execute(
                f"SELECT count(*), count(*) FILTER (WHERE tenant_id <> %s) FROM {table}",  # noqa: S608
                (office.tenant_id,),
            )
            total, foreign = cur.fetchone()
            mine = count_rows(
                pg_superuser,
                f"SELECT count(*) FROM {table} WHERE tenant_id = %s",  # noqa: S608
                office.tenant_id,
            )
            assert (total, foreign) == (mine, 0), table
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):  # WITH CHECK of the policy
            cur.execute(
                "INSERT INTO document_access (document_id, principal_kind, principal_id,"
                " tenant_id, reason, granted_at) SELECT id, 'unit', gen_random_uuid(), %s,"
                " 'lead', now() FROM documents LIMIT 1",
                (other_office.tenant_id,),
            )


def test_title_search_can_use_the_gram_index(pg_superuser):
    with pg_superuser.cursor() as cur:
        cur.execute("BEGIN")
        try:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute(
                "EXPLAIN SELECT id FROM documents WHERE title_grams @@ '''数据'' & ''共享'''::tsquery"
            )
            plan = "\n".join(row[0] for row in cur.fetchall())
        finally:
            cur.execute("ROLLBACK")
    assert "ix_documents_title_grams" in plan
