"""The signed-in user (本人)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from gateway.deps import AuthCaller, example
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import MeOut, PasswordChange

router = APIRouter(prefix=API_PREFIX + "/me", tags=["me"])


class PasswordChanged(BaseModel):
    changed: bool


@router.get(
    "",
    response_model=MeOut,
    summary="Who am I: user, tenant, org unit, delegations received",
    responses=error_responses(401, 503, 504),
)
async def me(caller: AuthCaller) -> Any:
    return await caller.identity("me")


@router.post(
    "/password",
    response_model=PasswordChanged,
    summary="Change my password",
    responses=error_responses(401, 422, 503, 504),
)
async def change_password(
    body: Annotated[
        PasswordChange,
        Body(
            openapi_examples=example(
                "new password (at least 8 characters)",
                {"current_password": "…", "new_password": "…"},
            )
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.identity(
        "change_password",
        current_password=body.current_password,
        new_password=body.new_password,
    )
