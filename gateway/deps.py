"""FastAPI dependencies: the gateway's shared state, the caller, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from gateway.auth import KeySet, Principal, TokenVerifier
from gateway.logs import current_request_id
from gateway.objects import ScanObjects, UploadGate
from gateway.ratelimit import RateLimiter
from gateway.rpc import Caller, ServiceRpc
from services.common.context import CLIENT_IP_MAX, CallContext, stored_text
from services.common.errors import Forbidden, ServiceUnavailable, Unauthenticated
from services.common.settings import Settings
from services.common.vocabulary import Role


@dataclass
class GatewayState:
    """What the gateway process shares between requests (built in the lifespan)."""

    settings: Settings
    rpc: ServiceRpc
    keys: KeySet
    verifier: TokenVerifier
    limiter: RateLimiter | None
    objects: ScanObjects | None = None  # the scans' object store (None: not configured)
    uploads: UploadGate | None = None  # upload slots and their threads (default: from settings)
    streams: Any = None  # Redis (redis.asyncio) the live notification streams listen on

    def __post_init__(self) -> None:
        if self.uploads is None:
            self.uploads = UploadGate.from_settings(self.settings)


async def gateway_state(request: Request) -> GatewayState:
    # async: FastAPI would run a plain function in a worker thread on every request
    state: GatewayState | None = getattr(request.app.state, "gateway", None)
    if state is None:  # only before start-up completes or after shutdown
        raise ServiceUnavailable("not_started", "the gateway is not started")
    return state


State = Annotated[GatewayState, Depends(gateway_state)]

_bearer = HTTPBearer(
    auto_error=False,
    description="Access token from POST /api/v1/auth/login (header `Authorization: Bearer …`).",
)


def client_ip(request: Request) -> str | None:
    """The client's address as the trails store it (at most 64 characters)."""
    return stored_text(request.client.host, CLIENT_IP_MAX) if request.client else None


def request_id(request: Request) -> str | None:
    rid = getattr(request.state, "request_id", None)
    return str(rid) if rid else current_request_id()


async def current_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("not_authenticated", "sign in: send Authorization: Bearer <token>")
    principal = await state.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def anonymous_caller(request: Request, state: State) -> Caller:
    """RPC for calls made before signing in (login, refresh): request id and address only."""
    ctx = CallContext(request_id=request_id(request), client_ip=client_ip(request))
    return Caller(state.rpc, ctx.to_context_data())


async def authenticated_caller(
    request: Request, state: State, principal: CurrentPrincipal
) -> Caller:
    ctx = principal.call_context(request_id=request_id(request), client_ip=client_ip(request))
    return Caller(state.rpc, ctx.to_context_data())


AnonymousCaller = Annotated[Caller, Depends(anonymous_caller)]
AuthCaller = Annotated[Caller, Depends(authenticated_caller)]


def require_roles(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency giving the caller's RPC if they hold one of ``roles`` (else 403)."""

    async def dependency(request: Request, state: State, principal: CurrentPrincipal) -> Caller:
        if not principal.has_any_role(*roles):
            raise Forbidden("role_required", "needs one of the roles: " + ", ".join(roles))
        return await authenticated_caller(request, state, principal)

    dependency.__name__ = "require_" + "_or_".join(roles)
    return dependency


PlatformAdmin = Annotated[Caller, Depends(require_roles(Role.platform_admin))]
TenantAdmin = Annotated[Caller, Depends(require_roles(Role.tenant_admin))]
Leader = Annotated[Caller, Depends(require_roles(Role.office_leader, Role.gov_leader))]
Auditor = Annotated[
    Caller, Depends(require_roles(Role.auditor, Role.tenant_admin, Role.platform_admin))
]
Registrar = Annotated[Caller, Depends(require_roles(Role.registrar))]


def example(summary: str, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One named OpenAPI example for a request body."""
    return {"default": {"summary": summary, "value": value}}


def examples_of(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """OpenAPI ``openapi_examples`` from a model's ``json_schema_extra`` examples."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if not isinstance(examples, list):
        return {}
    return {
        f"example{i + 1}" if i else "default": {"summary": f"{model.__name__} example", "value": ex}
        for i, ex in enumerate(examples)
    }
