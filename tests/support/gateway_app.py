"""The gateway in-process, for unit tests: signed tokens as identity issues them, a
scripted RPC in place of the services, a fake rate limiter, and the error body."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from gateway.auth import KeySet, TokenVerifier
from gateway.deps import GatewayState
from gateway.ratelimit import Decision
from gateway.rpc import ServiceRpc
from services.common.settings import Settings

ISSUER = "gongwen-identity"


class SigningKey:
    """An Ed25519 key pair as the identity service would publish it."""

    def __init__(self, kid: str | None = None) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.kid = kid or uuid.uuid4().hex[:16]

    @property
    def jwk(self) -> dict[str, Any]:
        data = json.loads(OKPAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": kid or self.kid})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "tcode": "gz",
        "name": "wenshu1",
        "roles": ["registrar", "handler"],
        "ou": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return base


class ScriptedRpc:
    """Answers RPC calls from a script; records every call with its context."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.script: dict[tuple[str, str], Any] = {}
        self.calls: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def call(
        self,
        service: str,
        method: str,
        kwargs: dict[str, Any] | None = None,
        *,
        context: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        if (service, method) == ("identity", "jwks"):
            return {"keys": [self.key.jwk]}
        self.calls.append((service, method, dict(kwargs or {}), dict(context or {})))
        answer = self.script.get((service, method), {})
        if isinstance(answer, BaseException):
            raise answer
        return answer(**(kwargs or {})) if callable(answer) else answer


class FakeLimiter:
    def __init__(self, allow: int) -> None:
        self.allow = allow
        self.hits: list[str] = []

    async def hit(self, address: str) -> Decision:
        self.hits.append(address)
        allowed = len(self.hits) <= self.allow
        return Decision(allowed, self.allow, max(0, self.allow - len(self.hits)), 42)

    async def close(self) -> None:
        return None


class Harness:
    def __init__(self) -> None:
        self.key = SigningKey()
        self.rpc = ScriptedRpc(self.key)
        self.limiter: FakeLimiter | None = None

    def state(self, settings: Settings) -> GatewayState:
        rpc = ServiceRpc(self.rpc)

        async def fetch() -> dict[str, Any]:
            result: dict[str, Any] = await rpc.call("identity", "jwks", context={})
            return result

        keys = KeySet(fetch)
        return GatewayState(
            settings=settings,
            rpc=rpc,
            keys=keys,
            verifier=TokenVerifier(keys, issuer=ISSUER),
            limiter=self.limiter,  # type: ignore[arg-type]
        )

    def token(self, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key.sign(claims(**overrides))}"}


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return dict(body["error"])


USER = {
    "id": str(uuid.uuid4()),
    "tenant_id": str(uuid.uuid4()),
    "username": "wenshu1",
    "full_name": "张文书",
    "org_unit_id": str(uuid.uuid4()),
    "roles": ["registrar"],
    "active": True,
    "created_at": "2026-03-02T08:00:00Z",
}
