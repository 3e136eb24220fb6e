"""Sign-in, token refresh with rotation, sign-out, throttling and forged tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.gateway import (
    PASSWORD,
    Gateway,
    Org,
    Tenants,
    User,
    create_user,
    expect_error,
    fresh_address,
    ok,
)
from tests.support.stacks import unique


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/auth/refresh", json={"refresh_token": token})


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_login_me_refresh_logout(org: Org, gw: Gateway):
    address = fresh_address()
    user = gw.login("gz", "wenshu1", address=address)
    assert user.tokens["token_type"] == "Bearer" and user.tokens["expires_in"] > 0
    header = jwt.get_unverified_header(user.access_token)
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = claims_of(user.access_token)
    assert claims["sub"] == org.user_id("wenshu1") and claims["tcode"] == "gz"
    assert claims["roles"] == ["registrar"] and claims["ou"] == org.unit_id("收文科")
    me = user.me()
    assert (me["username"], me["full_name"], me["tenant_code"]) == ("wenshu1", "张文书", "gz")

    anonymous = gw.client(address=address)
    pair = ok(refresh(anonymous, user.refresh_token))
    assert pair["refresh_token"] != user.refresh_token
    assert pair["access_token"] != user.access_token
    renewed = gw.client(pair["access_token"], address=address)
    assert ok(renewed.get("/me"))["id"] == me["id"]

    assert ok(anonymous.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})) == {
        "revoked": True
    }
    expect_error(refresh(anonymous, pair["refresh_token"]), 401, "invalid_refresh_token")


def test_a_reused_refresh_token_revokes_the_whole_family(org: Org, gw: Gateway):
    address = fresh_address()
    user = gw.login("gz", "chengban1", address=address)
    anonymous = gw.client(address=address)
    first = user.refresh_token
    second = ok(refresh(anonymous, first))["refresh_token"]
    third = ok(refresh(anonymous, second))["refresh_token"]
    # someone replays an old token of the family …
    expect_error(refresh(anonymous, first), 401, "refresh_token_reused")
    # … and the newest token of the family stops working too
    expect_error(refresh(anonymous, third), 401, "invalid_refresh_token")
    # another sign-in of the same user is a family of its own and is unaffected
    again = gw.login("gz", "chengban1", address=address)
    assert ok(refresh(anonymous, again.refresh_token))["access_token"]


def test_garbage_refresh_tokens_are_refused(gw: Gateway):
    anonymous = gw.client(address=fresh_address())
    expect_error(refresh(anonymous, "grt1.not-a-real-token-at-all"), 401, "invalid_refresh_token")
    expect_error(refresh(anonymous, "x"), 422, "invalid_input")
    expect_error(anonymous.post("/auth/refresh", json={}), 422, "invalid_input")


def test_wrong_passwords_are_refused_then_throttled(org: Org, gw: Gateway, settings: Any):
    username = unique("thr")
    create_user(org.admin, username, "郑限流", org.unit_id("收文科"), ["handler"])
    anonymous = gw.client(address=fresh_address())

    def login(password: str) -> httpx.Response:
        return anonymous.post(
            "/auth/login", json={"tenant": "gz", "username": username, "password": password}
        )

    for _ in range(settings.login_max_failures_account):
        expect_error(login("wrong-password"), 401, "invalid_credentials")
    response = login(PASSWORD)  # even the right password, while throttled
    expect_error(response, 429, "login_throttled")
    assert response.headers.get("Retry-After")
    # the other accounts are not affected
    assert ok(
        gw.client(address=fresh_address()).post(
            "/auth/login", json={"tenant": "gz", "username": "wenshu1", "password": PASSWORD}
        )
    )["access_token"]


def test_wrong_tenant_or_user_answer_the_same(tenants: Tenants, gw: Gateway):
    anonymous = gw.client(address=fresh_address())
    for tenant, username, password in (
        ("gz", "gz-admin", "not-the-password"),
        ("gz", "nobody-here", PASSWORD),
        ("nowhere", "gz-admin", PASSWORD),
        ("gz-gy", "gz-admin", PASSWORD),
        (None, "gz-admin", PASSWORD),
    ):
        response = anonymous.post(
            "/auth/login", json={"tenant": tenant, "username": username, "password": password}
        )
        error = expect_error(response, 401, "invalid_credentials")
        assert error["message"] == "wrong tenant, username or password"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_changing_the_password_ends_the_other_sessions(org: Org, gw: Gateway):
    username = unique("pw")
    create_user(org.admin, username, "冯改密", org.unit_id("网络科"), ["handler"])
    address = fresh_address()
    user = gw.login("gz", username, address=address)
    new_password = "Another-password-2026"
    expect_error(
        user.post("/me/password", json={"current_password": "wrong", "new_password": new_password}),
        422,
        "current_password_wrong",
    )
    changed = user.post(
        "/me/password", json={"current_password": PASSWORD, "new_password": new_password}
    )
    assert ok(changed) == {"changed": True}
    expect_error(
        refresh(gw.client(address=address), user.refresh_token), 401, "invalid_refresh_token"
    )
    assert gw.login("gz", username, new_password, address=address).me()["username"] == username
    response = gw.client(address=address).post(
        "/auth/login", json={"tenant": "gz", "username": username, "password": PASSWORD}
    )
    expect_error(response, 401, "invalid_credentials")


# -- forged and expired access tokens ------------------------------------------------------------


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_missing_or_malformed_tokens(gw: Gateway):
    expect_error(gw.client().get("/me"), 401, "not_authenticated")
    for token in ("abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "ü" * 10):
        client = httpx.Client(
            base_url=gw.base_url + "/api/v1",
            headers={b"Authorization": f"Bearer {token}".encode()},
            trust_env=False,
        )
        with client:
            response = client.get("/me")
        expect_error(response, 401, "invalid_token")


def test_tokens_signed_with_a_throwaway_key_are_refused(
    org: Org, gw: Gateway, platform_admin: User
):
    genuine = claims_of(gw.login("gz", "wenshu1").access_token)
    kid = jwt.get_unverified_header(platform_admin.access_token)["kid"]
    throwaway = Ed25519PrivateKey.generate()
    forged_admin = {**genuine, "tid": None, "tcode": None, "roles": ["platform_admin"]}
    for headers in ({"kid": kid}, {"kid": "throwaway-key"}):
        token = jwt.encode(forged_admin, throwaway, algorithm="EdDSA", headers=headers)
        expect_error(gw.client(token).get("/tenants"), 401, "invalid_token")
    hs = jwt.encode(forged_admin, "x" * 32, algorithm="HS256", headers={"kid": kid})
    expect_error(gw.client(hs).get("/tenants"), 401, "invalid_token")


def test_an_altered_payload_is_refused_and_does_nothing(
    org: Org, gw: Gateway, platform_admin: User
):
    user = gw.login("gz", "wenshu1")
    header, payload, signature = user.access_token.split(".")
    claims = claims_of(user.access_token)
    altered = b64({**claims, "roles": ["tenant_admin", "platform_admin"]})
    forged = gw.client(f"{header}.{altered}.{signature}")
    code = unique("f")
    body = {
        "code": code,
        "name": "伪造县",
        "parent_code": "gz",
        "admin": {"username": "forger", "full_name": "伪造者", "password": PASSWORD},
    }
    expect_error(forged.post("/tenants", json=body), 401, "invalid_token")
    expect_error(
        forged.post(
            "/users",
            json={
                "username": code,
                "full_name": "伪造",
                "password": PASSWORD,
                "org_unit_id": org.unit_id("收文科"),
                "roles": ["tenant_admin"],
            },
        ),
        401,
        "invalid_token",
    )
    assert code not in {t["code"] for t in ok(platform_admin.get("/tenants"))}
    assert ok(org.admin.get("/users", params={"q": code}))["total"] == 0


def test_an_expired_token_is_token_expired(
    org: Org, gw: Gateway, identity_signing_key: tuple[str, str]
):
    kid, pem = identity_signing_key
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    genuine = claims_of(gw.login("gz", "wenshu1").access_token)
    now = int(time.time())
    token = jwt.encode(
        {**genuine, "iat": now - 1000, "exp": now - 100, "jti": uuid.uuid4().hex},
        key,
        algorithm="EdDSA",
        headers={"kid": kid},
    )
    response = gw.client(token).get("/me")
    expect_error(response, 401, "token_expired")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # the same claims, still valid, with the same key are accepted: the key is the right one
    fresh = jwt.encode(
        {**genuine, "iat": now, "exp": now + 60}, key, algorithm="EdDSA", headers={"kid": kid}
    )
    assert ok(gw.client(fresh).get("/me"))["username"] == "wenshu1"


def test_jwks_publishes_the_verifying_key(gw: Gateway, platform_admin: User):
    keys = ok(gw.client().get("/auth/jwks"))["keys"]
    kid = jwt.get_unverified_header(platform_admin.access_token)["kid"]
    key = next(k for k in keys if k["kid"] == kid)
    assert (key["kty"], key["crv"]) == ("OKP", "Ed25519") and "d" not in key
    jwk = jwt.PyJWK(key)
    claims = jwt.decode(
        platform_admin.access_token, jwk, algorithms=["EdDSA"], options={"verify_iss": False}
    )
    assert claims["roles"] == ["platform_admin"]
