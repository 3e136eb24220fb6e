"""A leader authorises a secretary (授权) for a time window, and revokes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.gateway import Org, expect_error, ok

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def window(start_minutes: int = -1, hours: int = 2) -> dict[str, str]:
    now = dt.datetime.now(SHANGHAI)
    return {
        "starts_at": (now + dt.timedelta(minutes=start_minutes)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=hours)).isoformat(),
    }


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {d["id"] for d in items}


def test_a_leader_authorises_a_secretary_and_revokes_it(org: Org):
    gw = org.admin.gateway
    leader = gw.login("gz", "tingzhang1")
    secretary = gw.login("gz", "mishu1")
    body = {"secretary_id": org.user_id("mishu1"), "note": "出差期间代为录入批示", **window()}
    delegation = ok(leader.post("/delegations", json=body), 201)
    assert delegation["leader_id"] == org.user_id("tingzhang1")
    assert delegation["secretary_id"] == org.user_id("mishu1")
    assert delegation["scope"] == "instructions" and delegation["active"] is True
    assert delegation["revoked_at"] is None

    assert delegation["id"] in ids(ok(leader.get("/delegations", params={"as_role": "leader"})))
    held = ok(secretary.get("/delegations", params={"as_role": "secretary"}))
    assert delegation["id"] in ids(held)
    assert delegation["id"] in ids(secretary.me()["delegations_received"])
    assert delegation["id"] not in ids(
        ok(leader.get("/delegations", params={"as_role": "secretary"}))
    )

    # another secretary cannot revoke it
    other = gw.login("gz", "mishu2")
    expect_error(other.post(f"/delegations/{delegation['id']}/revoke"), 403, "not_delegation_owner")

    revoked = ok(leader.post(f"/delegations/{delegation['id']}/revoke"))
    assert revoked["active"] is False and revoked["revoked_at"] is not None
    assert delegation["id"] not in ids(secretary.me()["delegations_received"])
    listed = {
        d["id"]: d for d in ok(secretary.get("/delegations", params={"as_role": "secretary"}))
    }
    assert listed[delegation["id"]]["active"] is False
    expect_error(leader.post(f"/delegations/{delegation['id']}/revoke"), 409, "already_revoked")


def test_a_future_window_is_not_active_yet(org: Org):
    leader = org.admin.gateway.login("gz", "shengzhang1")
    body = {"secretary_id": org.user_id("mishu2"), **window(start_minutes=60, hours=5)}
    delegation = ok(leader.post("/delegations", json=body), 201)
    assert delegation["active"] is False
    secretary = org.admin.gateway.login("gz", "mishu2")
    assert delegation["id"] not in ids(secretary.me()["delegations_received"])
    # the tenant administrator may revoke any delegation of the tenant
    assert ok(org.admin.post(f"/delegations/{delegation['id']}/revoke"))["revoked_at"]


def test_delegation_refusals_write_nothing(org: Org):
    gw = org.admin.gateway
    leader = gw.login("gz", "tingzhang1")
    before = ok(leader.get("/delegations", params={"as_role": "leader"}))
    secretary_id = org.user_id("mishu1")
    # only leaders delegate
    handler = gw.login("gz", "chengban1")
    expect_error(
        handler.post("/delegations", json={"secretary_id": secretary_id, **window()}),
        403,
        "role_required",
    )
    # only to a secretary
    expect_error(
        leader.post("/delegations", json={"secretary_id": org.user_id("wenshu1"), **window()}),
        422,
        "not_a_secretary",
    )
    # a window that ends before it starts, or without a time zone
    bad = window()
    expect_error(
        leader.post(
            "/delegations",
            json={
                "secretary_id": secretary_id,
                "starts_at": bad["ends_at"],
                "ends_at": bad["starts_at"],
            },
        ),
        422,
        "bad_delegation_window",
    )
    expect_error(
        leader.post(
            "/delegations",
            json={
                "secretary_id": secretary_id,
                "starts_at": "2026-01-01T00:00:00",
                "ends_at": "2099-01-01T00:00:00",
            },
        ),
        422,
        "naive_datetime",
    )
    expect_error(
        leader.post(
            "/delegations", json={"secretary_id": secretary_id, "scope": "everything", **window()}
        ),
        422,
        "invalid_input",
    )
    expect_error(leader.get("/delegations", params={"as_role": "boss"}), 422, "invalid_input")
    assert ok(leader.get("/delegations", params={"as_role": "leader"})) == before
