"""Refresh-token format and access-token signing (no Redis, no database)."""

from __future__ import annotations

import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.identity.tokens import (
    AccessClaims,
    Family,
    InvalidRefreshToken,
    KeyRing,
    LoadedKey,
    access_token_payload,
    new_refresh_token,
    parse_refresh_token,
    public_jwk,
    sign_access_token,
)


def test_a_refresh_token_carries_its_family_and_parses_back():
    token = new_refresh_token()
    text = str(token)
    assert text.startswith("grt1.") and token.family_id in text
    assert parse_refresh_token(text) == token


def test_rotation_keeps_the_family_and_changes_the_secret():
    first = new_refresh_token()
    second = new_refresh_token(first.family_id)
    assert second.family_id == first.family_id and second.secret != first.secret
    assert second.digest != first.digest


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "grt1.",
        "not-a-token-at-all",
        "grt2." + "a" * 32 + "." + "b" * 43,
        "grt1." + "g" * 32 + "." + "b" * 43,  # family id is not hex
        "grt1." + "a" * 32 + "." + "b" * 42,  # secret too short
        "grt1." + "a" * 32 + "." + "b" * 43 + ".x",
    ],
)
def test_anything_else_is_not_a_refresh_token(garbage):
    with pytest.raises(InvalidRefreshToken):
        parse_refresh_token(garbage)


def test_a_family_holds_only_its_current_token():
    current = new_refresh_token()
    family = Family(current.family_id, uuid.uuid4(), None, current.digest)
    assert family.holds(current)
    assert not family.holds(new_refresh_token(current.family_id))


def test_the_jwk_is_public_and_named_by_its_thumbprint():
    key = Ed25519PrivateKey.generate()
    jwk = public_jwk(key)
    assert {jwk["kty"], jwk["crv"], jwk["alg"]} == {"OKP", "Ed25519", "EdDSA"}
    assert "d" not in jwk and len(jwk["kid"]) == 43
    assert public_jwk(key)["kid"] == jwk["kid"]
    assert public_jwk(Ed25519PrivateKey.generate())["kid"] != jwk["kid"]


def test_access_tokens_carry_the_claims_and_verify_with_the_jwk():
    key = Ed25519PrivateKey.generate()
    jwk = public_jwk(key)
    ring = KeyRing([LoadedKey(jwk["kid"], key, jwk)])
    claims = AccessClaims(
        user_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        tenant_code="gz-gy",
        username="wenshu1",
        roles=["registrar", "handler"],
        org_unit_id=uuid.uuid4(),
    )
    payload = access_token_payload(claims, issuer="gongwen-identity", ttl=900, now=1_700_000_000)
    token = sign_access_token(ring, payload)
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    decoded = jwt.decode(
        token,
        jwt.PyJWK(ring.jwks()["keys"][0]).key,
        algorithms=["EdDSA"],
        options={"verify_exp": False},
    )
    assert decoded["sub"] == str(claims.user_id)
    assert decoded["tid"] == str(claims.tenant_id) and decoded["tcode"] == "gz-gy"
    assert decoded["roles"] == ["handler", "registrar"]
    assert decoded["ou"] == str(claims.org_unit_id)
    assert decoded["exp"] - decoded["iat"] == 900 and decoded["iss"] == "gongwen-identity"


def test_platform_admin_tokens_have_no_tenant():
    payload = access_token_payload(
        AccessClaims(uuid.uuid4(), None, None, "admin", ["platform_admin"], None),
        issuer="i",
        ttl=60,
    )
    assert payload["tid"] is None and payload["tcode"] is None and payload["ou"] is None
