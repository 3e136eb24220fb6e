"""Verification of access tokens with the identity service's public keys.

Access tokens are JWTs signed with Ed25519 (``alg: EdDSA``) and carry the key
id (``kid``) in their header. The gateway verifies them locally against the
JWKS of the identity service (asymmetric keys: it never holds a secret). The
key set is fetched once, kept for ``max_age`` seconds, and fetched again when
a token names an unknown key — at most once every ``min_refetch_interval``
seconds, so a flood of forged ``kid`` values cannot flood the identity service.

A verified token is remembered (bounded, by its exact text) until it expires:
a client sends the same token with every request, and checking an Ed25519
signature and decoding the JWT again each time is most of the gateway's own
work on a request. A remembered token is still refused once expired, or when
its signing key is no longer published.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt

from services.common.context import CallContext
from services.common.errors import GongwenError, Unauthenticated

log = logging.getLogger("gateway.auth")

ALGORITHM = "EdDSA"

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Principal:
    """Who is calling, as stated by a verified access token."""

    user_id: uuid.UUID
    username: str
    tenant_id: uuid.UUID | None
    tenant_code: str | None
    roles: frozenset[str]
    org_unit_id: uuid.UUID | None
    token_id: str | None
    expires_at: int

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def call_context(self, *, request_id: str | None, client_ip: str | None) -> CallContext:
        return CallContext(
            tenant_id=self.tenant_id,
            tenant_code=self.tenant_code,
            user_id=self.user_id,
            username=self.username,
            roles=self.roles,
            org_unit_id=self.org_unit_id,
            request_id=request_id,
            client_ip=client_ip,
        )


def invalid_token(message: str) -> Unauthenticated:
    return Unauthenticated("invalid_token", message)


class KeySet:
    """The identity service's signing keys, cached, fetched again when needed."""

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        min_refetch_interval: float = 5.0,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.min_refetch_interval = min_refetch_interval
        self.max_age = max_age
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._document: dict[str, Any] | None = None
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._lock = asyncio.Lock()
        self._last_error: Exception | None = None
        self.fetch_count = 0

    @property
    def loaded(self) -> bool:
        return self._document is not None

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self.max_age

    def _may_refetch(self) -> bool:
        return (
            self._attempted_at is None
            or self._clock() - self._attempted_at >= self.min_refetch_interval
        )

    async def _refresh(self, *, force: bool) -> None:
        """Fetch the key set (one fetch at a time; waiters reuse its result)."""
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                # Someone else fetched while we waited: share their outcome.
                if not self.loaded and self._last_error is not None:
                    raise _copy_error(self._last_error)
                return
            if not force and not self._stale():
                return
            self._attempted_at = self._clock()
            self.fetch_count += 1
            try:
                document = await self._fetch()
            except Exception as exc:
                self._last_error = exc
                raise
            self._last_error = None
            keys: dict[str, jwt.PyJWK] = {}
            for raw in document.get("keys") or []:
                kid = raw.get("kid") if isinstance(raw, dict) else None
                if not kid:
                    continue
                try:
                    keys[str(kid)] = jwt.PyJWK(raw)
                except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
                    log.warning("ignoring unusable JWK %s: %s", kid, exc)
            self._keys, self._document = keys, document
            self._fetched_at = self._clock()

    async def document(self) -> dict[str, Any]:
        """The JWKS document (as the identity service published it)."""
        await self._ensure_fresh()
        assert self._document is not None
        return self._document

    async def _ensure_fresh(self) -> None:
        if not self.loaded:
            await self._refresh(force=True)
        elif self._stale() and self._may_refetch():
            try:
                await self._refresh(force=False)
            except Exception as exc:  # keep serving the keys we have
                log.warning("could not refresh the signing keys: %s", exc)

    def publishes(self, kid: str) -> bool:
        """Whether the last fetched key set has this key (no fetch)."""
        return kid in self._keys

    async def get(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, fetching the set again if it is unknown."""
        await self._ensure_fresh()
        key = self._keys.get(kid)
        if key is None and self._may_refetch():
            try:
                await self._refresh(force=True)
            except Exception as exc:
                log.warning("could not refetch the signing keys for kid %s: %s", kid, exc)
            key = self._keys.get(kid)
        return key


def _copy_error(exc: Exception) -> Exception:
    if isinstance(exc, GongwenError):
        return type(exc)(exc.code, exc.message)
    return exc


def _uuid_claim(claims: dict[str, Any], name: str, *, required: bool) -> uuid.UUID | None:
    raw = claims.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid_token(f"access token lacks the {name!r} claim")
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise invalid_token(f"access token has a malformed {name!r} claim") from exc


class TokenVerifier:
    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        leeway: float = 5.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.leeway = leeway
        self.cache_size = cache_size
        self._clock = clock
        self._verified: dict[str, tuple[Principal, str]] = {}  # token -> (caller, kid)

    async def verify(self, token: str) -> Principal:
        """Check signature, issuer and expiry; return the caller, or raise 401."""
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, kid = remembered
            if self._clock() > principal.expires_at + self.leeway:
                self._verified.pop(token, None)
                raise Unauthenticated("token_expired", "the access token has expired")
            if self.keys.publishes(kid):
                return principal
            self._verified.pop(token, None)  # its key was withdrawn: check it afresh
        principal, kid = await self._verify(token)
        if self.cache_size > 0:
            if len(self._verified) >= self.cache_size:
                self._verified.pop(next(iter(self._verified)))  # the oldest
            self._verified[token] = (principal, kid)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise invalid_token("the access token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise invalid_token("the access token is not signed with EdDSA")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise invalid_token("the access token names no signing key")
        key = await self.keys.get(kid)
        if key is None:
            raise invalid_token("the access token is signed with an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token_expired", "the access token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise invalid_token(f"the access token is invalid: {exc}") from exc
        return self._principal(claims), kid

    @staticmethod
    def _principal(claims: dict[str, Any]) -> Principal:
        user_id = _uuid_claim(claims, "sub", required=True)
        assert user_id is not None
        raw_roles = claims.get("roles") or []
        if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
            raise invalid_token("access token has a malformed 'roles' claim")
        tenant_code = claims.get("tcode")
        username = claims.get("name")
        jti = claims.get("jti")
        return Principal(
            user_id=user_id,
            username=str(username) if username else "",
            tenant_id=_uuid_claim(claims, "tid", required=False),
            tenant_code=str(tenant_code) if tenant_code else None,
            roles=frozenset(raw_roles),
            org_unit_id=_uuid_claim(claims, "ou", required=False),
            token_id=str(jti) if jti else None,
            expires_at=int(claims["exp"]),
        )
