"""Sign in and out (登录): tokens and the public signing keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from gateway.deps import AnonymousCaller, State, example, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import LoginRequest, RefreshRequest, TokenPair

_REFRESH_EXAMPLE = example(
    "the refresh token from the last login or refresh",
    {"refresh_token": "grt1.0f8fad5bd9cb469fa16570867728950e.Zm9vYmFy…"},
)

router = APIRouter(prefix=API_PREFIX + "/auth", tags=["auth"])


class Revoked(BaseModel):
    revoked: bool = Field(description="the refresh token's family is revoked")


class Jwk(BaseModel):
    kty: str
    crv: str | None = None
    x: str | None = None
    kid: str
    alg: str | None = None
    use: str | None = None


class Jwks(BaseModel):
    keys: list[Jwk]


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Sign in with tenant code, username and password",
    description=(
        "Returns a short-lived access token (JWT, EdDSA) and a rotating refresh token. "
        "The platform administrator omits `tenant`. Repeated failures are throttled per "
        "account and per address (429)."
    ),
    responses=error_responses(401, 422, 429, 503, 504),
)
async def login(
    body: Annotated[LoginRequest, Body(openapi_examples=examples_of(LoginRequest))],
    caller: AnonymousCaller,
) -> Any:
    return await caller.identity(
        "login", tenant=body.tenant, username=body.username, password=body.password
    )


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Exchange a refresh token for a new token pair",
    description=(
        "The refresh token rotates: the one sent stops working. Sending an already used "
        "refresh token again revokes its whole family (401)."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def refresh(
    body: Annotated[RefreshRequest, Body(openapi_examples=_REFRESH_EXAMPLE)],
    caller: AnonymousCaller,
) -> Any:
    return await caller.identity("refresh", refresh_token=body.refresh_token)


@router.post(
    "/logout",
    response_model=Revoked,
    summary="Sign out: revoke the refresh token's family",
    responses=error_responses(401, 422, 503, 504),
)
async def logout(
    body: Annotated[RefreshRequest, Body(openapi_examples=_REFRESH_EXAMPLE)],
    caller: AnonymousCaller,
) -> Any:
    return await caller.identity("logout", refresh_token=body.refresh_token)


@router.get(
    "/jwks",
    response_model=Jwks,
    summary="Public keys that sign access tokens (JWKS)",
    responses=error_responses(503, 504),
)
async def jwks(state: State) -> Any:
    return await state.keys.document()
