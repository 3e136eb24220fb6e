"""Row-level security seen from the database itself, and the hash-chained audit trail."""

from __future__ import annotations

import time

import psycopg2
import psycopg2.errors
import pytest

from services.common.errors import Forbidden, Unauthenticated
from tests.support.identity import (
    PASSWORD,
    Actor,
    Identity,
    Province,
    connect,
    expect_error,
    make_user,
    sign_in_as,
)


@pytest.fixture()
def app_db(settings, identity_db):
    """A direct connection as the services' own (non-superuser) role."""
    with connect(settings, identity_db, superuser=False) as conn:
        conn.autocommit = True
        yield conn


def _scalar_rows(conn, sql: str) -> list:
    with conn.cursor() as cur:
        cur.execute(sql)
        return [row[0] for row in cur.fetchall()]


def test_the_database_itself_keeps_tenants_apart(app_db, province: Province):
    gy_id = province.tenants["gz-gy"]["id"]
    make_user(province.admins["gz"], ["handler"])  # rows of other tenants exist
    with app_db.cursor() as cur:
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", (gy_id,))
    for table in ("users", "org_units", "audit_log"):
        tenants = _scalar_rows(app_db, f"SELECT tenant_id::text FROM {table}")
        assert tenants and set(tenants) == {gy_id}, table
    assert _scalar_rows(app_db, "SELECT id::text FROM tenants") == [gy_id]
    assert set(_scalar_rows(app_db, "SELECT tenant_id::text FROM delegations")) <= {gy_id}

    with app_db.cursor() as cur:  # no tenant at all: nothing
        cur.execute("SELECT set_config('app.tenant_id', '', false)")
    assert _scalar_rows(app_db, "SELECT count(*) FROM users") == [0]
    # Writing into another tenant is refused too.
    with app_db.cursor() as cur:
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", (gy_id,))
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(
                "UPDATE users SET tenant_id = %s WHERE tenant_id = %s",
                (province.tenants["gz"]["id"], gy_id),
            )


def test_the_audit_trail_cannot_be_changed_by_the_services(app_db, pg_superuser, province):
    with app_db.cursor() as cur:
        cur.execute(
            "SELECT set_config('app.tenant_id', %s, false)", (province.tenants["gz"]["id"],)
        )
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)
    with pg_superuser.cursor() as cur, pytest.raises(psycopg2.Error) as err:
        cur.execute("DELETE FROM audit_log")  # not even the owner, while the trigger is on
    assert "append-only" in str(err.value)


def _onboard_with_auditor(admin: Actor, identity: Identity, code: str) -> tuple[Actor, Actor]:
    admin.call(
        "create_tenant",
        tenant={
            "code": code,
            "name": f"{code}市",
            "admin": {"username": f"{code}-admin", "full_name": "管理员", "password": PASSWORD},
        },
    )
    tenant_admin = identity.login(f"{code}-admin", PASSWORD, code)
    auditor = sign_in_as(identity, make_user(tenant_admin, ["auditor"], full_name="审计员"), code)
    return tenant_admin, auditor


def test_every_change_is_in_the_tenants_audit_trail(admin: Actor, identity: Identity):
    tenant_admin, auditor = _onboard_with_auditor(admin, identity, "lps")
    unit = tenant_admin.call(
        "create_org_unit",
        unit={"name": "市政府办公室", "kind": "unit", "parent_id": tenant_admin.ctx["org_unit_id"]},
    )
    user = make_user(tenant_admin, ["handler"], full_name="吴承办")
    tenant_admin.call("update_user", user_id=user["id"], changes={"org_unit_id": unit["id"]})
    tenant_admin.call("deactivate_user", user_id=user["id"])

    page = auditor.call("list_audit", limit=100)
    entries = page["items"]
    assert page["total"] == len(entries) and [e["id"] for e in entries] == sorted(
        (e["id"] for e in entries), reverse=True
    )
    actions = [e["action"] for e in reversed(entries)]
    for expected in (
        "tenant.created",
        "org_unit.created",
        "user.created",
        "login.succeeded",
        "user.moved",
        "user.deactivated",
    ):
        assert expected in actions
    moved = next(e for e in entries if e["action"] == "user.moved")
    assert moved["actor_id"] == tenant_admin.user_id and moved["target_id"] == user["id"]
    assert moved["before"] == {"org_unit_id": tenant_admin.ctx["org_unit_id"]}
    assert moved["after"] == {"org_unit_id": unit["id"]}
    assert moved["client_ip"] == tenant_admin.client_ip and moved["request_id"]
    assert all(e["tenant_id"] == tenant_admin.tenant_id for e in entries)
    assert "password_hash" not in str(entries)

    # Only auditors (and, for reading, tenant admins) see the trail.
    handler = sign_in_as(identity, make_user(tenant_admin, ["handler"]), "lps")
    expect_error(Forbidden, "auditor_required", handler.call, "list_audit")
    expect_error(Forbidden, "auditor_required", tenant_admin.call, "verify_audit_chain")
    assert tenant_admin.call("list_audit", limit=1)["total"] >= page["total"]


def test_login_failures_and_refresh_reuse_are_audited(admin: Actor, identity: Identity):
    tenant_admin, auditor = _onboard_with_auditor(admin, identity, "aud")
    with pytest.raises(Unauthenticated):
        identity.login("aud-admin", "wrong-password", "aud", "10.9.9.9")
    session = identity.login("aud-admin", PASSWORD, "aud")
    identity.call("refresh", refresh_token=session.tokens["refresh_token"])
    with pytest.raises(Unauthenticated):
        identity.call("refresh", refresh_token=session.tokens["refresh_token"])
    entries = auditor.call("list_audit", limit=100)["items"]
    failed = next(e for e in entries if e["action"] == "login.failed")
    assert failed["client_ip"] == "10.9.9.9" and failed["after"]["reason"] == "wrong_password"
    assert any(e["action"] == "refresh_token.reused" for e in entries)


def test_platform_admin_reads_the_platform_chain(admin: Actor, province: Province):
    page = admin.call("list_audit", limit=200)
    assert page["items"] and all(e["tenant_id"] is None for e in page["items"])
    actions = {e["action"] for e in page["items"]}
    assert {"platform_admin.bootstrapped", "tenant.created", "login.succeeded"} <= actions
    assert admin.call("verify_audit_chain")["ok"] is True


def test_the_chain_verifies_and_shows_where_it_was_tampered_with(
    admin: Actor, identity: Identity, pg_superuser
):
    tenant_admin, auditor = _onboard_with_auditor(admin, identity, "tamper")
    for i in range(3):
        make_user(tenant_admin, ["handler"], full_name=f"郑{i}")
    report = auditor.call("verify_audit_chain")
    assert report["ok"] is True and report["reason"] is None and report["checked"] >= 8

    entries = auditor.call("list_audit", limit=100)["items"]
    victim = next(e for e in reversed(entries) if e["action"] == "user.created" and "郑1" in str(e))
    with pg_superuser.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        cur.execute(
            "UPDATE audit_log SET after = jsonb_set(after, '{full_name}', '\"篡改\"') WHERE id = %s",
            (victim["id"],),
        )
        cur.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
        cur.execute("COMMIT")
    report = auditor.call("verify_audit_chain")
    assert report == {
        "ok": False,
        "checked": report["checked"],
        "first_broken_id": victim["id"],
        "reason": "hash_mismatch",
    }
    # Other tenants' chains are untouched.
    assert admin.call("verify_audit_chain")["ok"] is True


def test_state_changes_are_announced_through_the_outbox(pg_superuser, province: Province):
    user = make_user(province.admins["gz-gy"], ["handler"], full_name="冯事件")
    deadline = time.monotonic() + 10
    while True:
        with pg_superuser.cursor() as cur:
            cur.execute(
                "SELECT envelope, published_at FROM outbox"
                " WHERE event_type = 'user.created' AND envelope->'data'->>'id' = %s",
                (user["id"],),
            )
            envelope, published_at = cur.fetchone()
        if published_at is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert envelope["source"] == "identity"
    assert envelope["tenant_id"] == province.tenants["gz-gy"]["id"]
    assert envelope["data"]["full_name"] == "冯事件"
    assert published_at is not None  # the relay delivered it to the broker
