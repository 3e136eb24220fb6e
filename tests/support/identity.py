"""Calling identity as its callers do: contexts from real access tokens (:class:`Actor`),
logins (:class:`Identity`), users made by a tenant administrator, typed errors, and
direct database connections (as the application role or the owner)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import psycopg2
import pytest

from services.common.errors import GongwenError
from services.common.settings import Settings
from tests.support.stacks import SyncRpc, unique


@contextlib.contextmanager
def connect(settings: Settings, dbname: str, *, superuser: bool) -> Iterator[Any]:
    conn = psycopg2.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_admin_user if superuser else settings.pg_app_user,
        password=(settings.pg_admin_password if superuser else settings.pg_app_password) or None,
        dbname=dbname,
    )
    try:
        yield conn
    finally:
        conn.close()


def context_from_token(access_token: str, client_ip: str) -> dict[str, str]:
    """The call context the gateway would derive from a verified access token."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    ctx = {
        "tenant_id": claims.get("tid"),
        "tenant_code": claims.get("tcode"),
        "user_id": claims["sub"],
        "username": claims.get("name"),
        "roles": ",".join(claims.get("roles") or []),
        "org_unit_id": claims.get("ou"),
        "client_ip": client_ip,
    }
    return {k: v for k, v in ctx.items() if v}


@dataclass
class Actor:
    """A signed-in user: their tokens and the context of their calls."""

    rpc: SyncRpc
    tokens: dict[str, Any]
    client_ip: str
    ctx: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = context_from_token(self.tokens["access_token"], self.client_ip)

    @property
    def claims(self) -> dict[str, Any]:
        return jwt.decode(self.tokens["access_token"], options={"verify_signature": False})

    @property
    def user_id(self) -> str:
        return self.ctx["user_id"]

    @property
    def tenant_id(self) -> str | None:
        return self.ctx.get("tenant_id")

    def call(self, method: str, **kwargs: Any) -> Any:
        return self.rpc.call("identity", method, context=self.ctx, **kwargs)


class Identity:
    def __init__(self, rpc: SyncRpc, settings: Settings) -> None:
        self.rpc = rpc
        self.settings = settings

    def call(self, method: str, context: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.rpc.call("identity", method, context=context, **kwargs)

    def login(
        self, username: str, password: str, tenant: str | None = None, ip: str = "127.0.0.1"
    ) -> Actor:
        tokens = self.call(
            "login",
            context={"client_ip": ip},
            tenant=tenant,
            username=username,
            password=password,
        )
        return Actor(self.rpc, tokens, ip)

    def platform_admin(self, ip: str = "127.0.0.1") -> Actor:
        return self.login(
            self.settings.platform_admin_username, self.settings.platform_admin_password, ip=ip
        )


def expect_error(cls: type[GongwenError], code: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call and check that it fails with this error class and code."""
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, f"expected {code}, got {info.value.code}: {info.value.message}"
    return info.value


PASSWORD = "correct-horse-9"


@dataclass
class Province:
    """Guizhou (gz) onboarded with two cities, each with its administrator and some org tree."""

    tenants: dict[str, dict[str, Any]]
    admins: dict[str, Actor]


def fresh_ip() -> str:
    """A client address no other test uses (throttling counts per address)."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


def make_user(
    tenant_admin: Actor,
    roles: list[str],
    *,
    full_name: str = "测试用户",
    org_unit_id: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """Create a user (password PASSWORD) in the tenant administrator's tenant."""
    return tenant_admin.call(
        "create_user",
        user={
            "username": username or unique("u"),
            "full_name": full_name,
            "password": PASSWORD,
            "org_unit_id": org_unit_id or tenant_admin.ctx["org_unit_id"],
            "roles": roles,
        },
    )


def sign_in_as(identity: Identity, user: dict[str, Any], tenant: str) -> Actor:
    return identity.login(user["username"], PASSWORD, tenant, fresh_ip())


def onboard_province(identity: Identity, admin: Actor) -> Province:
    """Guizhou (gz) and two of its cities, each with its administrator signed in."""
    tenants: dict[str, dict[str, Any]] = {}
    admins: dict[str, Actor] = {}
    for code, name, parent in (
        ("gz", "贵州省", None),
        ("gz-gy", "贵阳市", "gz"),
        ("gz-qdn", "黔东南州", "gz"),
    ):
        tenants[code] = admin.call(
            "create_tenant",
            tenant={
                "code": code,
                "name": name,
                "parent_code": parent,
                "admin": {
                    "username": f"{code}-admin",
                    "full_name": f"{name}管理员",
                    "password": PASSWORD,
                },
            },
        )
        admins[code] = identity.login(f"{code}-admin", PASSWORD, tenant=code)
    return Province(tenants, admins)
