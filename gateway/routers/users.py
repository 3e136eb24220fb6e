"""Users of a tenant (用户): create, look up by name, move, change roles, deactivate."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller, TenantAdmin, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import Page, UserCreate, UserOut, UserSearch, UserUpdate

router = APIRouter(prefix=API_PREFIX + "/users", tags=["users"])


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    summary="Create a user with roles in an org unit (tenant_admin)",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_user(
    body: Annotated[UserCreate, Body(openapi_examples=examples_of(UserCreate))],
    caller: TenantAdmin,
) -> Any:
    return await caller.identity("create_user", user=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=Page[UserOut],
    summary="Search users by (part of) name, org unit (with its subtree), role, state",
    description=(
        "`q` matches part of the full name (e.g. 张) or the username. With `org_unit_id`, "
        "`include_subtree` (default true) also finds people in the units below it. "
        "`active` defaults to true; send `active=false` for deactivated users only."
    ),
    responses=error_responses(401, 404, 422, 503, 504),
)
async def search_users(query: Annotated[UserSearch, Query()], caller: AuthCaller) -> Any:
    return await caller.identity(
        "search_users", query=query.model_dump(mode="json", exclude_unset=True)
    )


@router.get(
    "/{user_id}",
    response_model=UserOut,
    summary="One user",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_user(user_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.identity("get_user", user_id=str(user_id))


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    summary="Change a user's name, contact details or roles, or move them (tenant_admin)",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def update_user(
    user_id: uuid.UUID,
    body: Annotated[
        UserUpdate,
        Body(
            openapi_examples={
                "move": {
                    "summary": "move to another org unit",
                    "value": {"org_unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
                },
                "roles": {"summary": "change roles", "value": {"roles": ["handler", "registrar"]}},
            }
        ),
    ],
    caller: TenantAdmin,
) -> Any:
    return await caller.identity(
        "update_user",
        user_id=str(user_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


@router.post(
    "/{user_id}/deactivate",
    response_model=UserOut,
    summary="Deactivate a user: they can no longer sign in (tenant_admin)",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def deactivate_user(user_id: uuid.UUID, caller: TenantAdmin) -> Any:
    return await caller.identity("deactivate_user", user_id=str(user_id))
