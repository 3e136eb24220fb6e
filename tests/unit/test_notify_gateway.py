"""The gateway's notification routes (通知) without a broker: what each sends to notify,
with whose context; bad queries refused before any call; errors mapped; OpenAPI."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.app import create_app
from services.common.errors import NotFound
from services.common.settings import Settings
from tests.support.gateway_app import ISSUER, Harness, error_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PAGE = {"items": [], "total": 0, "unread_count": 0, "limit": 20, "offset": 0}


@pytest.fixture()
def harness() -> Harness:
    return Harness()


@pytest.fixture()
def client(harness: Harness) -> Iterator[TestClient]:
    app = create_app(
        Settings(jwt_issuer=ISSUER, rpc_timeout=5),
        configure_logs=False,
        state_factory=harness.state,
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def notify_calls(harness: Harness) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    return [(m, kw, ctx) for s, m, kw, ctx in harness.rpc.calls if s == "notify"]


def test_my_inbox_is_asked_of_notify_with_my_context_and_the_query(
    harness: Harness, client: TestClient
):
    harness.rpc.script[("notify", "list_notifications")] = PAGE
    token = harness.token(roles=["handler"])
    response = client.get("/api/v1/notifications?unread_only=true&limit=5", headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["unread_count"] == 0
    [(method, kwargs, ctx)] = notify_calls(harness)
    assert method == "list_notifications"
    assert kwargs == {"query": {"unread_only": True, "limit": 5}}
    assert ctx["user_id"] and ctx["tenant_id"] and ctx["roles"] == "handler"


def test_bad_queries_and_ids_are_refused_before_reaching_notify(
    harness: Harness, client: TestClient
):
    token = harness.token()
    for path in (
        "/api/v1/notifications?limit=0",
        "/api/v1/notifications?limit=201",
        "/api/v1/notifications?offset=-1",
        "/api/v1/notifications?unread_only=maybe",
        "/api/v1/notifications?user_id=" + str(uuid.uuid4()),
    ):
        response = client.get(path, headers=token)
        assert response.status_code == 422, path
        assert error_of(response)["code"] == "invalid_input"
    response = client.post("/api/v1/notifications/42/read", headers=token)
    assert response.status_code == 422
    assert client.get("/api/v1/notifications").status_code == 401
    assert notify_calls(harness) == []


def test_marking_read_one_or_all(harness: Harness, client: TestClient):
    token = harness.token()
    nid = str(uuid.uuid4())
    harness.rpc.script[("notify", "mark_read")] = NotFound("notification_not_found", "no")
    response = client.post(f"/api/v1/notifications/{nid}/read", headers=token)
    assert response.status_code == 404
    assert error_of(response)["code"] == "notification_not_found"
    harness.rpc.script[("notify", "mark_all_read")] = {"marked": 3, "unread_count": 0}
    response = client.post("/api/v1/notifications/read-all", headers=token)
    assert response.status_code == 200 and response.json() == {"marked": 3, "unread_count": 0}
    assert [(m, kw) for m, kw, _ in notify_calls(harness)] == [
        ("mark_read", {"notification_id": nid}),
        ("mark_all_read", {}),
    ]


def test_openapi_documents_the_notification_routes_in_chinese_terms(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert "notifications" in {t["name"] for t in spec["tags"]}
    listed = spec["paths"]["/api/v1/notifications"]["get"]
    assert "通知" in listed["summary"] and "提醒" in listed["summary"]
    assert {p["name"] for p in listed["parameters"]} == {"unread_only", "limit", "offset"}
    assert (
        "通知" in spec["paths"]["/api/v1/notifications/{notification_id}/read"]["post"]["summary"]
    )
    assert "通知" in spec["paths"]["/api/v1/notifications/read-all"]["post"]["summary"]
