"""Tenants (租户): the province, its cities and counties. Onboarded by the platform admin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body

from gateway.deps import AuthCaller, PlatformAdmin, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import TenantCreate, TenantOut

router = APIRouter(prefix=API_PREFIX + "/tenants", tags=["tenants"])


@router.post(
    "",
    status_code=201,
    response_model=TenantOut,
    summary="Onboard a tenant with its first administrator (platform_admin)",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_tenant(
    body: Annotated[TenantCreate, Body(openapi_examples=examples_of(TenantCreate))],
    caller: PlatformAdmin,
) -> Any:
    return await caller.identity("create_tenant", tenant=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=list[TenantOut],
    summary="List tenants: all for the platform admin, else my tenant and those below it",
    responses=error_responses(401, 403, 503, 504),
)
async def list_tenants(caller: AuthCaller) -> Any:
    return await caller.identity("list_tenants")


@router.get(
    "/{tenant_id}",
    response_model=TenantOut,
    summary="One tenant (a tenant's users see only their own)",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_tenant(tenant_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.identity("get_tenant", tenant_id=str(tenant_id))
