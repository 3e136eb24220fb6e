"""A request id longer than the trails store (their ``request_id`` column holds 100
characters) no longer breaks anything: the gateway replaces a longer ``X-Request-ID``
(and says so in the response header), keeps one of up to 100, and a service given a
long id by another producer cuts it; every trail row of the flow is written."""

from __future__ import annotations

import psycopg2

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.gateway import Office, act, ok, open_task
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

LONG = "r" * 120
KEPT = "k" * 99 + "1"  # exactly 100


def trail(stack: Stack, settings: Settings, service: str, tenant_id: str) -> list[tuple]:
    """(action, target_id, request_id) of a tenant's trail rows in a service's database."""
    conn = psycopg2.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_admin_user,
        password=settings.pg_admin_password or None,
        dbname=stack.env["DB_PREFIX"] + service,
    )
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT action, target_id, request_id FROM audit_log WHERE tenant_id = %s"
                " ORDER BY id",
                (tenant_id,),
            )
            return [tuple(row) for row in cur.fetchall()]
    finally:
        conn.close()


def test_a_120_character_request_id_leaves_every_trail_complete(
    office: Office, stack: Stack, settings: Settings, rpc: SyncRpc
):
    registrar, handler = office["wenshu"], office["dz_ban1"]
    tenant_id = str(office.tenant["id"])
    body = {
        "title": "关于报送长请求号测试材料的通知",
        "source_org": "国务院办公厅",
        "received_date": "2026-11-20",
        "urgency": "平件",
        "secrecy": "非密",
        "page_count": 1,
    }
    # an id of 100 is kept and stored as it is
    response = registrar.post("/documents", json=body, headers={"X-Request-ID": KEPT})
    doc = ok(response, 201)
    assert response.headers["X-Request-ID"] == KEPT

    # one of 120 is replaced by the gateway (the response says by which)
    response = registrar.post(
        f"/documents/{doc['id']}/distribute",
        json={"lead_unit_id": office.units["电子政务处"]},
        headers={"X-Request-ID": LONG},
    )
    ok(response)
    replaced = response.headers["X-Request-ID"]
    assert replaced != LONG and 0 < len(replaced) <= 100

    sign = open_task(handler, doc["id"])
    response = handler.post(
        f"/tasks/{sign['id']}/actions", json={"action": "sign"}, headers={"X-Request-ID": LONG}
    )
    [propose] = ok(response)["next_tasks"]

    # a producer other than the gateway (a script, an operator's tool) sends 120 characters:
    # the services cut it to what they store, and the flow goes on
    context = {
        "tenant_id": tenant_id,
        "user_id": handler.id,
        "username": handler.username,
        "roles": ",".join(handler.roles),
        "org_unit_id": handler.unit_id,
        "request_id": "p" * 120,
    }
    out = rpc.call(
        "routing",
        "act",
        context=context,
        task_id=propose["id"],
        action={"action": "propose", "opinion": "拟请王处长审核"},
    )
    assert out["next_tasks"]

    # every trail row is there: documents applied routing's events (no event stuck)
    def documents_trail() -> list[tuple]:
        rows = [r for r in trail(stack, settings, "documents", tenant_id) if r[1] == doc["id"]]
        return rows if {KEPT, replaced, "p" * 100} <= {r[2] for r in rows} else []

    rows = eventually(documents_trail, timeout=20)
    assert all(r[2] is None or len(r[2]) <= 100 for r in rows)
    assert len(rows) >= 4  # registered, distributed, signed, proposed
    slip = eventually(
        lambda: (s := ok(registrar.get(f"/documents/{doc['id']}/slip")))["opinions"] and s
    )
    assert [o["text"] for o in slip["opinions"]] == ["拟请王处长审核"]
    # documents still answers at once (no redelivery loop eating it)
    assert ok(registrar.get(f"/documents/{doc['id']}"))["id"] == doc["id"]
    act(office["dz_chu"], open_task(office["dz_chu"], doc["id"])["id"], action="approve")
    # every service still answers, and no consumer parked an event of this flow
    for service in ("identity", "documents", "routing", "notify", "ledger", "metrics"):
        assert rpc.call(service, "health")["status"] == "ok"
        parked = rpc.call(service, "ops_failed_events", context={"roles": "ops"})
        assert [
            p for p in parked if (p["envelope"].get("data") or {}).get("document_id") == doc["id"]
        ] == []
