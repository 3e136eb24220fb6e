"""The gateway application without a broker: errors, request ids, roles, RPC context.

The RPC client is replaced by a scripted stand-in (the gateway only needs
``connect``, ``call`` and ``close``); tokens are signed with a local key.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
import warnings
from collections.abc import Iterator

import pytest

from gateway.app import create_app
from gateway.logs import RequestIdFilter, sanitize_request_id
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RemoteError,
    ServiceTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from services.common.observability import JsonFormatter
from services.common.settings import Settings
from tests.support.gateway_app import ISSUER, USER, FakeLimiter, Harness, claims, error_of

with warnings.catch_warnings():  # starlette's TestClient frowns on httpx; it works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


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


# -- error mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidInput("parent_in_other_tenant", "x"), 422, "parent_in_other_tenant"),
        (Unauthenticated("bad_credentials", "x"), 401, "bad_credentials"),
        (Forbidden("role_not_grantable", "x"), 403, "role_not_grantable"),
        (NotFound("user_not_found", "x"), 404, "user_not_found"),
        (Conflict("username_taken", "x"), 409, "username_taken"),
        (TooManyRequests("login_throttled", "x"), 429, "login_throttled"),
        (ServiceUnavailable("broker_unavailable", "x"), 503, "broker_unavailable"),
        (ServiceTimeout("service_timeout", "x"), 504, "service_timeout"),
        (RemoteError("KeyError", "'x'"), 500, "internal_error"),
        (RuntimeError("bug in the gateway"), 500, "internal_error"),
    ],
)
def test_service_errors_map_to_status_and_code(
    harness: Harness, client: TestClient, error: Exception, status: int, code: str
):
    harness.rpc.script[("identity", "get_user")] = error
    response = client.get(f"/api/v1/users/{uuid.uuid4()}", headers=harness.token())
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert response.headers["X-Request-ID"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if status == 500:
        assert "KeyError" not in response.text and "bug" not in response.text


def test_unknown_route_and_wrong_method(client: TestClient):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = client.delete("/api/v1/me")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_missing_or_non_bearer_credentials_are_not_authenticated(client: TestClient):
    for headers in ({}, {"Authorization": "Basic YWRtaW46eA=="}, {"Authorization": "Bearer"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "not_authenticated"


def test_a_bad_token_is_invalid_token_and_reaches_no_service(harness: Harness, client: TestClient):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer a.b.c"})
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"
    assert harness.rpc.calls == []


# -- validation -------------------------------------------------------------------------------


def test_unknown_fields_are_refused_with_details(harness: Harness, client: TestClient):
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": "gz", "username": "wenshu1", "password": "pw", "is_admin": True},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert {
        "loc": ["body", "is_admin"],
        "msg": "Extra inputs are not permitted",
        "type": "extra_forbidden",
    } in error["details"]
    assert harness.rpc.calls == []


def test_over_long_names_and_bad_roles_are_refused(harness: Harness, client: TestClient):
    admin = harness.token(roles=["tenant_admin"])
    body = {"name": "处" * 101, "kind": "division"}
    response = client.post("/api/v1/org-units", json=body, headers=admin)
    assert response.status_code == 422 and error_of(response)["details"][0]["loc"] == [
        "body",
        "name",
    ]
    user = {
        "username": "x1",
        "full_name": "张三",
        "password": "long-enough-1",
        "org_unit_id": str(uuid.uuid4()),
        "roles": ["emperor"],
    }
    response = client.post("/api/v1/users", json=user, headers=admin)
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_input"
    assert harness.rpc.calls == []


def test_validation_details_never_echo_the_password(client: TestClient):
    secret = "hunter2-" + "x" * 300
    response = client.post("/api/v1/auth/login", json={"username": "ab", "password": secret})
    assert response.status_code == 422
    assert secret not in response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "ab", ', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"\xff\xfe not json", "application/json"),
        (b"username=ab&password=x", "application/x-www-form-urlencoded"),
        (b"[1, 2, 3]", "application/json"),
        (b"", "application/json"),
    ],
)
def test_malformed_bodies_are_4xx_with_a_code(
    client: TestClient, content: bytes, content_type: str
):
    response = client.post(
        "/api/v1/auth/login", content=content, headers={"Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500
    assert error_of(response)["code"] == "invalid_input"


def test_malformed_path_ids_and_unknown_query_parameters_are_invalid_input(
    harness: Harness, client: TestClient
):
    token = harness.token()
    for path in ("/api/v1/users/42", "/api/v1/org-units/abc/subtree", "/api/v1/tenants/x'--"):
        response = client.get(path, headers=token)
        assert response.status_code == 422, path
        assert error_of(response)["code"] == "invalid_input"
    response = client.get("/api/v1/users?limit=1000", headers=token)
    assert response.status_code == 422
    response = client.get("/api/v1/users?tenant_id=" + str(uuid.uuid4()), headers=token)
    assert response.status_code == 422
    assert harness.rpc.calls == []


# -- roles and context --------------------------------------------------------------------------


def test_onboarding_a_tenant_needs_the_platform_admin(harness: Harness, client: TestClient):
    body = {
        "code": "gz-gy",
        "name": "贵阳市",
        "parent_code": "gz",
        "admin": {"username": "gy-admin", "full_name": "贵阳管理员", "password": "long-enough-1"},
    }
    response = client.post(
        "/api/v1/tenants", json=body, headers=harness.token(roles=["tenant_admin"])
    )
    assert response.status_code == 403 and error_of(response)["code"] == "role_required"
    assert harness.rpc.calls == []

    harness.rpc.script[("identity", "create_tenant")] = lambda tenant: {
        "id": str(uuid.uuid4()),
        "code": tenant["code"],
        "name": tenant["name"],
        "parent_id": str(uuid.uuid4()),
        "path": "gz/gz-gy",
        "created_at": "2026-03-02T08:00:00Z",
    }
    admin = harness.token(tid=None, tcode=None, ou=None, roles=["platform_admin"])
    response = client.post("/api/v1/tenants", json=body, headers=admin)
    assert response.status_code == 201
    assert response.json()["code"] == "gz-gy"
    service, method, kwargs, _ = harness.rpc.calls[-1]
    assert (service, method) == ("identity", "create_tenant")
    assert kwargs["tenant"]["admin"]["username"] == "gy-admin"


def test_every_rpc_carries_who_is_calling(harness: Harness, client: TestClient):
    c = claims(roles=["handler", "registrar"])
    token = {"Authorization": f"Bearer {harness.key.sign(c)}"}
    harness.rpc.script[("identity", "get_user")] = USER
    response = client.get(
        f"/api/v1/users/{USER['id']}", headers={**token, "X-Request-ID": "req-abc.123"}
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-abc.123"
    _, method, kwargs, context = harness.rpc.calls[-1]
    assert method == "get_user" and kwargs == {"user_id": USER["id"]}
    assert context == {
        "tenant_id": c["tid"],
        "tenant_code": "gz",
        "user_id": c["sub"],
        "username": "wenshu1",
        "roles": "handler,registrar",
        "org_unit_id": c["ou"],
        "request_id": "req-abc.123",
        "client_ip": "testclient",
    }


def test_login_is_anonymous_but_carries_address_and_request_id(
    harness: Harness, client: TestClient
):
    harness.rpc.script[("identity", "login")] = {
        "access_token": "a",
        "refresh_token": "r",
        "token_type": "Bearer",
        "expires_in": 900,
    }
    response = client.post(
        "/api/v1/auth/login", json={"tenant": "gz", "username": "wenshu1", "password": "pw"}
    )
    assert response.status_code == 200 and response.json()["expires_in"] == 900
    _, method, kwargs, context = harness.rpc.calls[-1]
    assert kwargs == {"tenant": "gz", "username": "wenshu1", "password": "pw"}
    assert set(context) == {"request_id", "client_ip"}
    assert context["request_id"] == response.headers["X-Request-ID"]


def test_updates_send_only_the_fields_given(harness: Harness, client: TestClient):
    harness.rpc.script[("identity", "update_user")] = USER
    target = str(uuid.uuid4())
    response = client.patch(
        f"/api/v1/users/{USER['id']}",
        json={"org_unit_id": target},
        headers=harness.token(roles=["tenant_admin"]),
    )
    assert response.status_code == 200
    _, method, kwargs, _ = harness.rpc.calls[-1]
    assert kwargs == {"user_id": USER["id"], "changes": {"org_unit_id": target}}


def test_user_search_passes_the_query_model(harness: Harness, client: TestClient):
    harness.rpc.script[("identity", "search_users")] = {
        "items": [USER],
        "total": 1,
        "limit": 10,
        "offset": 0,
    }
    unit = str(uuid.uuid4())
    response = client.get(
        "/api/v1/users",
        params={"q": "张", "org_unit_id": unit, "include_subtree": "false", "limit": 10},
        headers=harness.token(),
    )
    assert response.status_code == 200 and response.json()["items"][0]["full_name"] == "张文书"
    _, _, kwargs, _ = harness.rpc.calls[-1]
    assert kwargs == {
        "query": {"q": "张", "org_unit_id": unit, "include_subtree": False, "limit": 10}
    }


# -- request ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("req-1", True),
        ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
        ("svc:abc.def_01", True),
        ("a" * 100, True),  # what the trails store
        ("a" * 101, False),
        ("a" * 120, False),
        ("", False),
        ("has space", False),
        ("<script>", False),
        ("-leading-dash", False),
        ('quote"d', False),
        ("中文", False),
    ],
)
def test_request_ids_are_sanitised(raw: str, kept: bool):
    assert (sanitize_request_id(raw) == raw) is kept


def test_a_request_id_longer_than_the_trails_store_is_replaced(client: TestClient):
    long_id = "r" * 120
    response = client.get("/healthz", headers={"X-Request-ID": long_id})
    rid = response.headers["X-Request-ID"]
    assert rid != long_id and len(rid) <= 100 and sanitize_request_id(rid) == rid
    kept = "k" * 100
    assert client.get("/healthz", headers={"X-Request-ID": kept}).headers["X-Request-ID"] == kept


def test_an_insane_request_id_is_replaced(client: TestClient):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 300})
    assert response.status_code == 200
    rid = response.headers["X-Request-ID"]
    assert rid != "x" * 300 and sanitize_request_id(rid) == rid
    other = client.get("/healthz").headers["X-Request-ID"]
    assert other != rid


def test_log_lines_are_json_with_the_request_id():
    from gateway.logs import REQUEST_ID

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("gateway"))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("test.gateway.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = REQUEST_ID.set("req-42")
    try:
        logger.info("served", extra={"status": 200, "path": "/api/v1/me"})
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-42" and line["service"] == "gateway"
    assert line["status"] == 200 and line["msg"] == "served"


# -- rate limit, readiness, metrics ---------------------------------------------------------------


def test_rate_limited_requests_get_429_with_retry_after(harness: Harness):
    harness.limiter = FakeLimiter(allow=2)
    app = create_app(Settings(jwt_issuer=ISSUER), configure_logs=False, state_factory=harness.state)
    with TestClient(app) as client:
        codes = [client.get("/api/v1/auth/jwks").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        response = client.get("/api/v1/auth/jwks")
        assert error_of(response)["code"] == "rate_limited"
        assert response.headers["Retry-After"] == "42"
        assert response.headers["X-Request-ID"]
        # operations endpoints are not limited
        assert client.get("/healthz").status_code == 200
        metrics = client.get("/metrics").text
    assert harness.limiter.hits == ["testclient"] * 4
    assert 'route="/api/v1/auth/jwks",status="429"' in metrics


def test_readiness_asks_identity_or_every_service(harness: Harness, client: TestClient):
    harness.rpc.script[("identity", "health")] = {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert [c[1] for c in harness.rpc.calls] == ["health"]

    harness.rpc.calls.clear()
    harness.rpc.script[("routing", "health")] = ServiceTimeout("service_timeout", "slow")
    response = client.get("/readyz?services=all")
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "not_ready" and "routing" in error["message"]
    assert sorted(c[0] for c in harness.rpc.calls) == sorted(
        ["identity", "documents", "routing", "notify", "ledger", "metrics"]
    )
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_by_route_template_and_rpc_calls(
    harness: Harness, client: TestClient
):
    harness.rpc.script[("identity", "get_user")] = NotFound("user_not_found", "x")
    client.get(f"/api/v1/users/{uuid.uuid4()}", headers=harness.token())
    text = client.get("/metrics").text
    assert (
        'gateway_http_requests_total{method="GET",route="/api/v1/users/{user_id}",status="404"}'
        in text
    )
    assert (
        'gateway_rpc_errors_total{code="user_not_found",method="get_user",service="identity"}'
        in text
    )
    assert "gateway_rpc_duration_seconds_bucket" in text
    assert "gateway_http_requests_in_flight" in text


def test_openapi_documents_every_area_with_examples(client: TestClient):
    spec = client.get("/openapi.json").json()
    tags = {t["name"] for t in spec["tags"]}
    assert {"auth", "me", "tenants", "org units", "users", "delegations", "audit"} <= tags
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    examples = login["requestBody"]["content"]["application/json"]["examples"]
    assert examples["default"]["value"]["username"] == "wenshu1"
    assert spec["paths"]["/api/v1/tenants"]["post"]["responses"]["201"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200


def test_oversized_bodies_are_refused_before_reaching_a_service(
    harness: Harness, client: TestClient
):
    huge = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'", "password": "x"}'
    response = client.post(
        "/api/v1/auth/login", content=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert harness.rpc.calls == []


def test_oversized_chunked_bodies_are_refused_too(harness: Harness, client: TestClient):
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'", "password": "x"}'

    response = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert harness.rpc.calls == []
