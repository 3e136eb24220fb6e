"""Sign-in, tokens, refresh rotation, logout and login throttling, through RabbitMQ."""

from __future__ import annotations

import jwt

from services.common.errors import InvalidInput, TooManyRequests, Unauthenticated
from tests.support.identity import PASSWORD, Identity, Province, expect_error, fresh_ip, make_user


def test_platform_admin_exists_from_the_first_start_and_signs_in(identity: Identity, settings):
    actor = identity.platform_admin()
    claims = actor.claims
    assert claims["name"] == settings.platform_admin_username
    assert claims["roles"] == ["platform_admin"]
    assert claims["tid"] is None and claims["tcode"] is None
    me = actor.call("me")
    assert me["username"] == settings.platform_admin_username
    assert me["tenant_id"] is None and me["roles"] == ["platform_admin"]


def test_access_token_verifies_with_the_published_keys(identity: Identity, settings):
    actor = identity.platform_admin()
    jwks = identity.call("jwks")
    header = jwt.get_unverified_header(actor.tokens["access_token"])
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    claims = jwt.decode(
        actor.tokens["access_token"],
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        issuer=settings.jwt_issuer,
    )
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert actor.tokens["expires_in"] == settings.access_token_ttl
    assert actor.tokens["token_type"] == "Bearer"
    assert claims["jti"]


def test_two_instances_started_together_made_one_admin_and_one_key(
    identity: Identity, pg_superuser, settings
):
    identity.platform_admin()
    with pg_superuser.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM users WHERE tenant_id IS NULL AND username = %s",
            (settings.platform_admin_username,),
        )
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM signing_keys")
        assert cur.fetchone()[0] == 1
    # Either instance may answer; both sign with the one key.
    kids = {
        jwt.get_unverified_header(identity.platform_admin().tokens["access_token"])["kid"]
        for _ in range(4)
    }
    assert len(kids) == 1


def test_tenant_users_get_their_tenant_roles_and_unit_in_the_token(province: Province):
    actor = province.admins["gz-gy"]
    claims = actor.claims
    assert claims["tcode"] == "gz-gy" and claims["tid"] == province.tenants["gz-gy"]["id"]
    assert claims["roles"] == ["tenant_admin"] and claims["ou"]
    me = actor.call("me")
    assert me["tenant_code"] == "gz-gy" and me["tenant_name"] == "贵阳市"
    assert me["org_unit_name"] == "贵阳市" and me["delegations_received"] == []


def test_every_kind_of_wrong_login_gets_the_same_answer(identity: Identity, province: Province):
    ip = fresh_ip()
    for tenant, username, password in (
        ("gz", "gz-admin", "wrong-password"),  # wrong password
        ("gz", "nobody-here", PASSWORD),  # unknown user
        ("nowhere", "gz-admin", PASSWORD),  # unknown tenant
        ("gz-gy", "gz-admin", PASSWORD),  # user of another tenant
        (None, "gz-admin", PASSWORD),  # a tenant user without the tenant
    ):
        err = expect_error(
            Unauthenticated, "invalid_credentials", identity.login, username, password, tenant, ip
        )
        assert err.message == "wrong tenant, username or password"


def test_login_input_is_validated(identity: Identity):
    expect_error(InvalidInput, "invalid_input", identity.login, "x", "pw", "GZ!")
    expect_error(InvalidInput, "invalid_input", identity.login, "bad name with spaces", "pw")


def test_failures_per_account_are_throttled_before_the_password(
    identity: Identity, province: Province, settings
):
    username = make_user(province.admins["gz"], ["handler"], full_name="节流测试")["username"]
    for _ in range(settings.login_max_failures_account):
        expect_error(
            Unauthenticated,
            "invalid_credentials",
            identity.login,
            username,
            "wrong-password",
            "gz",
            fresh_ip(),
        )
    # Over the limit: refused even with the right password, from any address.
    expect_error(
        TooManyRequests, "login_throttled", identity.login, username, PASSWORD, "gz", fresh_ip()
    )
    # Another account of the same tenant is not affected.
    identity.login("gz-admin", PASSWORD, "gz", fresh_ip())


def test_a_success_clears_the_account_counter(identity: Identity, province: Province, settings):
    username = make_user(province.admins["gz"], ["handler"], full_name="清零测试")["username"]
    ip = fresh_ip()
    for _round in range(2):
        for _ in range(settings.login_max_failures_account - 1):
            expect_error(
                Unauthenticated,
                "invalid_credentials",
                identity.login,
                username,
                "nope-nope",
                "gz",
                ip,
            )
        identity.login(username, PASSWORD, "gz", ip)


def test_failures_per_address_are_throttled(identity: Identity, province: Province, settings):
    ip = fresh_ip()
    for i in range(settings.login_max_failures_address):
        expect_error(
            Unauthenticated,
            "invalid_credentials",
            identity.login,
            f"guess{i}",
            "wrong-password",
            "gz",
            ip,
        )
    expect_error(TooManyRequests, "login_throttled", identity.login, "gz-admin", PASSWORD, "gz", ip)
    identity.login("gz-admin", PASSWORD, "gz", fresh_ip())  # other addresses still get in


def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    identity: Identity, province: Province
):
    first = identity.login("gz-qdn-admin", PASSWORD, "gz-qdn")
    other_session = identity.login("gz-qdn-admin", PASSWORD, "gz-qdn")
    second = identity.call("refresh", refresh_token=first.tokens["refresh_token"])
    assert second["refresh_token"] != first.tokens["refresh_token"]
    claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert claims["sub"] == first.user_id and claims["tcode"] == "gz-qdn"
    third = identity.call("refresh", refresh_token=second["refresh_token"])

    # The first token again: reuse. The whole family goes, the newest token included.
    expect_error(
        Unauthenticated,
        "refresh_token_reused",
        identity.call,
        "refresh",
        refresh_token=first.tokens["refresh_token"],
    )
    expect_error(
        Unauthenticated,
        "invalid_refresh_token",
        identity.call,
        "refresh",
        refresh_token=third["refresh_token"],
    )
    # Another sign-in of the same user is its own family and still works.
    identity.call("refresh", refresh_token=other_session.tokens["refresh_token"])


def test_unknown_refresh_tokens_are_refused(identity: Identity):
    for token in ("grt1." + "a" * 32 + "." + "b" * 43, "something-else-entirely"):
        expect_error(
            Unauthenticated, "invalid_refresh_token", identity.call, "refresh", refresh_token=token
        )


def test_logout_revokes_the_family(identity: Identity, province: Province):
    session = identity.login("gz-gy-admin", PASSWORD, "gz-gy")
    assert identity.call("logout", refresh_token=session.tokens["refresh_token"]) == {
        "revoked": True
    }
    expect_error(
        Unauthenticated,
        "invalid_refresh_token",
        identity.call,
        "refresh",
        refresh_token=session.tokens["refresh_token"],
    )


def test_changing_the_password(identity: Identity, province: Province):
    username = make_user(province.admins["gz"], ["handler"], full_name="改密测试")["username"]
    user = identity.login(username, PASSWORD, "gz")
    expect_error(
        InvalidInput,
        "current_password_wrong",
        user.call,
        "change_password",
        current_password="not-it-at-all",
        new_password="a-new-password-1",
    )
    expect_error(
        InvalidInput,
        "invalid_input",
        user.call,
        "change_password",
        current_password=PASSWORD,
        new_password="short",
    )
    assert user.call(
        "change_password", current_password=PASSWORD, new_password="a-new-password-1"
    ) == {"changed": True}
    # Old sessions are signed out; the old password no longer works, the new one does.
    expect_error(
        Unauthenticated,
        "invalid_refresh_token",
        identity.call,
        "refresh",
        refresh_token=user.tokens["refresh_token"],
    )
    expect_error(Unauthenticated, "invalid_credentials", identity.login, username, PASSWORD, "gz")
    identity.login(username, "a-new-password-1", "gz")
