"""What every client of the API relies on: error bodies, request ids, docs, operations."""

from __future__ import annotations

import httpx

from devstack.stack import Stack
from tests.support.gateway import Gateway, Org, expect_error, fresh_address, ok
from tests.support.stacks import unique


def test_unknown_routes_wrong_methods_and_bad_ids(gw: Gateway, org: Org):
    anonymous = gw.client()
    expect_error(anonymous.get("/no-such-thing"), 404, "not_found")
    # outside the API a path is the web workbench's (history-mode routes): its page
    page = gw.client().get("http://" + gw.base_url.split("//")[1] + "/nowhere")
    assert page.status_code == 200 and "公文 工作台" in page.text
    expect_error(anonymous.get("/no-such-thing/deeper"), 404, "not_found")
    expect_error(anonymous.delete("/auth/login"), 405, "method_not_allowed")
    expect_error(org.admin.get("/users/not-a-uuid"), 422, "invalid_input")
    expect_error(org.admin.get("/org-units/12345/subtree"), 422, "invalid_input")
    expect_error(org.admin.post("/delegations/xyz/revoke"), 422, "invalid_input")


def test_malformed_bodies_are_refused_with_a_code(gw: Gateway, org: Org):
    anonymous = gw.client(address=fresh_address())
    for content, content_type in (
        (b'{"tenant": "gz", "username": ', "application/json"),
        (b"\xff\xfe not json", "application/json"),
        (b"[]", "application/json"),
        (b"tenant=gz&username=a", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ):
        response = anonymous.post(
            "/auth/login", content=content, headers={"Content-Type": content_type}
        )
        expect_error(response, 422, "invalid_input")
    response = org.admin.post(
        "/org-units",
        content=b'{"name": "x", "kind": ',
        headers={"Content-Type": "application/json"},
    )
    error = expect_error(response, 422, "invalid_input")
    assert error["details"][0]["type"] == "json_invalid"


def test_validation_errors_name_each_bad_field(org: Org):
    response = org.admin.post(
        "/users",
        json={
            "username": "a b",
            "full_name": "",
            "password": "x",
            "org_unit_id": "nope",
            "roles": [],
            "x": 1,
        },
    )
    error = expect_error(response, 422, "invalid_input")
    fields = {tuple(d["loc"]) for d in error["details"]}
    assert {
        ("body", "username"),
        ("body", "full_name"),
        ("body", "password"),
        ("body", "org_unit_id"),
        ("body", "roles"),
        ("body", "x"),
    } <= fields


def test_request_ids_are_kept_or_made_and_reach_the_audit_trail(gw: Gateway, org: Org):
    client = gw.client()
    response = client.get("/auth/jwks", headers={"X-Request-ID": "e2e-check.01"})
    assert response.headers["X-Request-ID"] == "e2e-check.01"
    made = client.get("/auth/jwks", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] not in ("", "bad id with spaces")
    assert client.get("/nowhere").headers["X-Request-ID"]

    # the request id and the client address travel with the RPC into the audit trail
    address = fresh_address()
    admin = gw.login("gz", "gz-admin", address=address)
    request_id = unique("req-")
    created = admin.post(
        "/org-units",
        json={
            "name": unique("审计处"),
            "kind": "division",
            "parent_id": org.unit_id("省政府办公厅"),
        },
        headers={"X-Request-ID": request_id},
    )
    unit = ok(created, 201)
    entries = ok(admin.get("/audit", params={"limit": 50}))["items"]
    entry = next(e for e in entries if e["target_id"] == unit["id"])
    assert entry["action"] == "org_unit.created"
    assert entry["request_id"] == request_id and entry["client_ip"] == address
    assert entry["actor_id"] == admin.me()["id"]


def test_auditors_read_and_verify_the_trail(gw: Gateway, org: Org):
    auditor = gw.login("gz", "shenji1")
    page = ok(auditor.get("/audit", params={"limit": 5}))
    assert len(page["items"]) == 5 and page["total"] >= 5
    verified = ok(auditor.get("/audit/verify"))
    assert verified["ok"] is True and verified["checked"] >= page["total"]
    handler = gw.login("gz", "chengban1")
    expect_error(handler.get("/audit"), 403, "role_required")
    expect_error(auditor.get("/audit", params={"limit": 1000}), 422, "invalid_input")


def test_health_readiness_metrics_and_docs(stack: Stack, gw: Gateway):
    root = httpx.Client(base_url=stack.gateway_url, trust_env=False)
    with root:
        assert ok(root.get("/healthz")) == {"status": "alive"}
        ready = ok(root.get("/readyz"))
        assert ready["status"] == "ready" and ready["services"] == {"identity": "ok"}
        everything = ok(root.get("/readyz", params={"services": "all"}))
        assert set(everything["services"]) == {
            "identity",
            "documents",
            "routing",
            "notify",
            "ledger",
            "metrics",
        }
        metrics = root.get("/metrics").text
        assert (
            'gateway_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}'
            in metrics
        )
        assert 'gateway_rpc_duration_seconds_count{method="login",service="identity"}' in metrics
        assert "gateway_http_requests_in_flight" in metrics
        assert root.get("/docs").status_code == 200
        spec = ok(root.get("/openapi.json"))
        assert "/api/v1/users/{user_id}" in spec["paths"]
        body = spec["paths"]["/api/v1/tenants"]["post"]["requestBody"]["content"][
            "application/json"
        ]
        assert body["examples"]["default"]["value"]["code"] == "gz-gy"
