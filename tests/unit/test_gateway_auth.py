"""Access-token verification at the gateway, with locally generated Ed25519 keys."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest

from gateway.auth import KeySet, TokenVerifier
from services.common.errors import ServiceUnavailable, Unauthenticated
from tests.support.gateway_app import ISSUER, SigningKey, claims


class JwksSource:
    """Stands in for the identity service's jwks() RPC; counts the calls."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.calls = 0
        self.fail: Exception | None = None

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return {"keys": [k.jwk for k in self.keys]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(source: JwksSource, clock: Clock | None = None) -> TokenVerifier:
    keys = KeySet(source, min_refetch_interval=5.0, max_age=600.0, clock=clock or Clock())
    return TokenVerifier(keys, issuer=ISSUER, leeway=0)


def verify(verifier: TokenVerifier, token: str) -> Any:
    return asyncio.run(verifier.verify(token))


def code_of(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as err:
        verify(verifier, token)
    assert err.value.http_status == 401
    return err.value.code


def test_a_valid_token_gives_the_caller_with_tenant_roles_and_unit():
    key = SigningKey()
    c = claims()
    principal = verify(verifier_for(JwksSource(key)), key.sign(c))
    assert str(principal.user_id) == c["sub"]
    assert str(principal.tenant_id) == c["tid"]
    assert principal.tenant_code == "gz"
    assert principal.username == "wenshu1"
    assert principal.roles == frozenset({"registrar", "handler"})
    assert str(principal.org_unit_id) == c["ou"]
    ctx = principal.call_context(request_id="r1", client_ip="10.0.0.7").to_context_data()
    assert ctx["roles"] == "handler,registrar"
    assert ctx["tenant_id"] == c["tid"] and ctx["client_ip"] == "10.0.0.7"
    assert ctx["request_id"] == "r1" and ctx["org_unit_id"] == c["ou"]


def test_the_platform_admin_token_has_no_tenant():
    key = SigningKey()
    token = key.sign(claims(tid=None, tcode=None, ou=None, roles=["platform_admin"]))
    principal = verify(verifier_for(JwksSource(key)), token)
    assert principal.tenant_id is None and principal.org_unit_id is None
    assert (
        "tenant_id" not in principal.call_context(request_id=None, client_ip=None).to_context_data()
    )


def test_an_expired_token_is_token_expired():
    key = SigningKey()
    past = int(time.time()) - 3600
    token = key.sign(claims(iat=past, exp=past + 900))
    assert code_of(verifier_for(JwksSource(key)), token) == "token_expired"


def test_a_token_signed_with_a_throwaway_key_is_invalid_even_under_a_known_kid():
    key, throwaway = SigningKey(), SigningKey()
    verifier = verifier_for(JwksSource(key))
    assert code_of(verifier, throwaway.sign(claims(), kid=key.kid)) == "invalid_token"
    assert code_of(verifier, throwaway.sign(claims())) == "invalid_token"  # unknown kid


def test_an_altered_payload_is_invalid():
    key = SigningKey()
    token = key.sign(claims(roles=["handler"]))
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["roles"] = ["platform_admin"]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    assert (
        code_of(verifier_for(JwksSource(key)), f"{header}.{forged}.{signature}") == "invalid_token"
    )


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "not.a.jwt.at.all", "eyJhbGciOiJFZERTQSJ9..", "Bearer xyz"],
)
def test_malformed_tokens_are_invalid(token: str):
    assert code_of(verifier_for(JwksSource(SigningKey())), token) == "invalid_token"


def test_other_algorithms_are_refused():
    key = SigningKey()
    hs = jwt.encode(claims(), "s" * 32, algorithm="HS256", headers={"kid": key.kid})
    unsigned = jwt.encode(claims(), "", algorithm="none", headers={"kid": key.kid})
    verifier = verifier_for(JwksSource(key))
    assert code_of(verifier, hs) == "invalid_token"
    assert code_of(verifier, unsigned) == "invalid_token"


def test_wrong_issuer_missing_claims_and_garbled_ids_are_invalid():
    key = SigningKey()
    verifier = verifier_for(JwksSource(key))
    assert code_of(verifier, key.sign(claims(iss="someone-else"))) == "invalid_token"
    no_exp = claims()
    del no_exp["exp"]
    assert code_of(verifier, key.sign(no_exp)) == "invalid_token"
    assert code_of(verifier, key.sign(claims(sub="not-a-uuid"))) == "invalid_token"
    assert code_of(verifier, key.sign(claims(roles="platform_admin"))) == "invalid_token"
    assert code_of(verifier, jwt.encode(claims(), key.private, algorithm="EdDSA")) == (
        "invalid_token"  # no kid
    )


def test_keys_are_fetched_once_and_an_unknown_kid_refetches_at_most_every_few_seconds():
    old, new = SigningKey(), SigningKey()
    source, clock = JwksSource(old), Clock()
    verifier = verifier_for(source, clock)

    async def scenario() -> None:
        for _ in range(3):
            await verifier.verify(old.sign(claims()))
        assert source.calls == 1  # cached

        # Within the interval after a fetch, an unknown kid does not refetch.
        with pytest.raises(Unauthenticated):
            await verifier.verify(new.sign(claims()))
        assert source.calls == 1

        # Later, a token of a key the gateway has not seen: one refetch, then still unknown.
        clock.now += 5.0
        for _ in range(5):
            with pytest.raises(Unauthenticated):
                await verifier.verify(new.sign(claims()))
        assert source.calls == 2

        # The identity service rotates to the new key; after the interval it is found.
        source.keys.append(new)
        clock.now += 5.0
        principal = await verifier.verify(new.sign(claims()))
        assert principal.username == "wenshu1"
        assert source.calls == 3

    asyncio.run(scenario())


def test_concurrent_requests_with_an_unknown_kid_share_one_fetch():
    key = SigningKey()
    source = JwksSource(key)
    verifier = verifier_for(source)

    async def scenario() -> None:
        await asyncio.gather(*(verifier.verify(key.sign(claims())) for _ in range(20)))

    asyncio.run(scenario())
    assert source.calls == 1


def test_without_keys_a_broker_outage_is_reported_not_hidden_as_a_bad_token():
    key = SigningKey()
    source = JwksSource(key)
    source.fail = ServiceUnavailable("broker_unavailable", "down")
    verifier = verifier_for(source)
    with pytest.raises(ServiceUnavailable):
        verify(verifier, key.sign(claims()))


def test_stale_keys_are_kept_when_the_refresh_fails():
    key = SigningKey()
    source, clock = JwksSource(key), Clock()
    verifier = verifier_for(source, clock)

    async def scenario() -> None:
        await verifier.verify(key.sign(claims()))
        clock.now += 3600  # keys are stale
        source.fail = ServiceUnavailable("broker_unavailable", "down")
        principal = await verifier.verify(key.sign(claims()))
        assert principal.username == "wenshu1"
        assert source.calls == 2

    asyncio.run(scenario())


def test_a_verified_token_is_remembered_until_it_expires():
    key = SigningKey()
    source, clock = JwksSource(key), Clock()
    clock.now = time.time()
    keys = KeySet(source, clock=time.monotonic)
    verifier = TokenVerifier(keys, issuer=ISSUER, leeway=0, clock=clock)
    token = key.sign(claims(exp=int(clock.now) + 60))

    async def scenario() -> None:
        first = await verifier.verify(token)
        assert await verifier.verify(token) is first  # remembered, not decoded again
        clock.now += 61
        with pytest.raises(Unauthenticated) as err:
            await verifier.verify(token)
        assert err.value.code == "token_expired"

    asyncio.run(scenario())


def test_a_remembered_token_is_refused_once_its_key_is_withdrawn():
    old, new = SigningKey(), SigningKey()
    source, clock = JwksSource(old), Clock()
    verifier = verifier_for(source, clock)
    token = old.sign(claims())

    async def scenario() -> None:
        await verifier.verify(token)
        source.keys = [new]  # the identity service stops publishing the old key
        clock.now += 601  # the gateway's copy of the key set goes stale
        await verifier.verify(new.sign(claims()))  # refreshes the key set
        with pytest.raises(Unauthenticated) as err:
            await verifier.verify(token)
        assert err.value.code == "invalid_token"

    asyncio.run(scenario())


def test_the_memory_of_verified_tokens_is_bounded():
    key = SigningKey()
    keys = KeySet(JwksSource(key))
    verifier = TokenVerifier(keys, issuer=ISSUER, cache_size=3)

    async def scenario() -> None:
        for _ in range(10):
            await verifier.verify(key.sign(claims()))

    asyncio.run(scenario())
    assert len(verifier._verified) == 3
