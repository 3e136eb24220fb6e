"""Access tokens (Ed25519-signed JWTs), their signing keys, and rotating refresh tokens.

Access tokens are short-lived JWTs signed with EdDSA; the gateway verifies them
with the public keys from ``jwks()`` and never holds a secret.

Refresh tokens are opaque: ``grt1.<family id>.<secret>``. A family is one
sign-in; it lives in Redis (who it belongs to and the hash of the one token of
the family that is current) and every refresh replaces the current token. A
token of an existing family that is not the current one has been used before:
the family is revoked as a whole (someone holds a copy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.common.settings import Settings
from services.common.vocabulary import utcnow
from services.identity.models import SigningKey
from services.identity.queries import advisory_lock

JWT_ALGORITHM = "EdDSA"

# -- signing keys ----------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(private_key: Ed25519PrivateKey) -> dict[str, str]:
    """The public half as a JWK (RFC 8037), ``kid`` = its RFC 7638 thumbprint."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    core = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    thumbprint = _b64url(
        hashlib.sha256(json.dumps(core, sort_keys=True, separators=(",", ":")).encode()).digest()
    )
    return {**core, "kid": thumbprint, "alg": JWT_ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private_key: Ed25519PrivateKey
    jwk: dict[str, Any]


@dataclass
class KeyRing:
    """The signing keys of this process, loaded once from the ``signing_keys`` table."""

    keys: list[LoadedKey] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return bool(self.keys)

    def load_or_create(self, factory: sessionmaker[Session]) -> None:
        """Load the keys; create the first one if there is none.

        Serialised with an advisory lock, so two instances starting at once end
        up with one key between them.
        """
        with factory() as session, session.begin():
            advisory_lock(session, "identity:signing_keys")
            rows = list(
                session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())).all()
            )
            if not rows:
                private_key = Ed25519PrivateKey.generate()
                jwk = public_jwk(private_key)
                pem = private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode("ascii")
                row = SigningKey(kid=jwk["kid"], private_key_pem=pem, public_jwk=jwk)
                session.add(row)
                rows = [row]
        loaded = []
        for row in rows:
            key = serialization.load_pem_private_key(row.private_key_pem.encode(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
            loaded.append(LoadedKey(kid=row.kid, private_key=key, jwk=dict(row.public_jwk)))
        self.keys = loaded

    @property
    def current(self) -> LoadedKey:
        if not self.keys:
            raise RuntimeError("signing keys are not loaded")
        return self.keys[0]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [dict(k.jwk) for k in self.keys]}


# -- access tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    tenant_code: str | None
    username: str
    roles: list[str]
    org_unit_id: uuid.UUID | None


def access_token_payload(
    claims: AccessClaims, *, issuer: str, ttl: int, now: float | None = None
) -> dict[str, Any]:
    issued = int(now if now is not None else time.time())
    return {
        "iss": issuer,
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id) if claims.tenant_id else None,
        "tcode": claims.tenant_code,
        "name": claims.username,
        "roles": sorted(claims.roles),
        "ou": str(claims.org_unit_id) if claims.org_unit_id else None,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }


def sign_access_token(keyring: KeyRing, payload: dict[str, Any]) -> str:
    key = keyring.current
    return jwt.encode(payload, key.private_key, algorithm=JWT_ALGORITHM, headers={"kid": key.kid})


# -- refresh tokens ----------------------------------------------------------------------------

REFRESH_PREFIX = "grt1"
_REFRESH_RE = re.compile(r"^grt1\.([0-9a-f]{32})\.([A-Za-z0-9_\-]{43})$")


class InvalidRefreshToken(ValueError):
    """The string is not a refresh token of this service."""


@dataclass(frozen=True)
class RefreshToken:
    family_id: str
    secret: str

    def __str__(self) -> str:
        return f"{REFRESH_PREFIX}.{self.family_id}.{self.secret}"

    @property
    def digest(self) -> str:
        return token_digest(str(self))


def new_refresh_token(family_id: str | None = None) -> RefreshToken:
    return RefreshToken(family_id or uuid.uuid4().hex, secrets.token_urlsafe(32))


def parse_refresh_token(token: str) -> RefreshToken:
    match = _REFRESH_RE.match(token.strip())
    if not match:
        raise InvalidRefreshToken("not a refresh token")
    return RefreshToken(match.group(1), match.group(2))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Family:
    family_id: str
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    token_hash: str

    def holds(self, token: RefreshToken) -> bool:
        return hmac.compare_digest(self.token_hash, token.digest)


class RotationResult:
    ROTATED = 1
    UNKNOWN = 0
    REUSED = -1


# Compare-and-set of the current token hash: one refresh of a family wins.
_ROTATE_SCRIPT = """
local current = redis.call('HGET', KEYS[1], 'token_hash')
if not current then return 0 end
if current ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return -1
end
redis.call('HSET', KEYS[1], 'token_hash', ARGV[2], 'rotated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class RefreshFamilies:
    """Refresh-token families in Redis (one hash per family, one set of families per user)."""

    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.prefix = f"{settings.redis_key_prefix}identity:rt:"
        self.ttl = settings.refresh_token_ttl
        self._rotate = redis.register_script(_ROTATE_SCRIPT)

    def _family_key(self, family_id: str) -> str:
        return f"{self.prefix}family:{family_id}"

    def _user_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}user:{user_id}"

    def start(self, user_id: uuid.UUID, tenant_id: uuid.UUID | None) -> RefreshToken:
        """A new family (a new sign-in) and its first token."""
        token = new_refresh_token()
        now = utcnow().isoformat()
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            self._family_key(token.family_id),
            mapping={
                "user_id": str(user_id),
                "tenant_id": str(tenant_id) if tenant_id else "",
                "token_hash": token.digest,
                "created_at": now,
                "rotated_at": now,
            },
        )
        pipe.expire(self._family_key(token.family_id), self.ttl)
        pipe.sadd(self._user_key(user_id), token.family_id)
        pipe.expire(self._user_key(user_id), self.ttl)
        pipe.execute()
        return token

    def get(self, family_id: str) -> Family | None:
        data = self.redis.hgetall(self._family_key(family_id))
        if not data or "token_hash" not in data:
            return None
        return Family(
            family_id=family_id,
            user_id=uuid.UUID(data["user_id"]),
            tenant_id=uuid.UUID(data["tenant_id"]) if data.get("tenant_id") else None,
            token_hash=data["token_hash"],
        )

    def rotate(self, presented: RefreshToken, user_id: uuid.UUID) -> tuple[int, RefreshToken]:
        """Replace the presented (current) token by a new one of the same family."""
        successor = new_refresh_token(presented.family_id)
        outcome = int(
            self._rotate(
                keys=[self._family_key(presented.family_id)],
                args=[
                    presented.digest,
                    successor.digest,
                    self.ttl,
                    utcnow().isoformat(),
                ],
            )
        )
        if outcome == RotationResult.ROTATED:
            self.redis.expire(self._user_key(user_id), self.ttl)
        elif outcome == RotationResult.REUSED:
            self.redis.srem(self._user_key(user_id), presented.family_id)
        return outcome, successor

    def revoke(self, family_id: str, user_id: uuid.UUID | None = None) -> None:
        self.redis.delete(self._family_key(family_id))
        if user_id is not None:
            self.redis.srem(self._user_key(user_id), family_id)

    def revoke_user(self, user_id: uuid.UUID) -> int:
        """Revoke every family of a user (deactivation, password change)."""
        key = self._user_key(user_id)
        families = list(self.redis.smembers(key))
        pipe = self.redis.pipeline(transaction=True)
        for family_id in families:
            pipe.delete(self._family_key(family_id))
        pipe.delete(key)
        pipe.execute()
        return len(families)
