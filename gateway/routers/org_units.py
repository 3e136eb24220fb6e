"""The org tree of a tenant: units (单位), divisions (处室), sections (科室)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller, TenantAdmin, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import OrgUnitCreate, OrgUnitOut, OrgUnitUpdate

router = APIRouter(prefix=API_PREFIX + "/org-units", tags=["org units"])


@router.post(
    "",
    status_code=201,
    response_model=OrgUnitOut,
    summary="Create an org unit (tenant_admin)",
    description="A unit may contain units and divisions; a division sections; a section sections.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_org_unit(
    body: Annotated[OrgUnitCreate, Body(openapi_examples=examples_of(OrgUnitCreate))],
    caller: TenantAdmin,
) -> Any:
    return await caller.identity("create_org_unit", unit=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=list[OrgUnitOut],
    summary="The org tree of my tenant (or the subtree under root_id), ordered by path",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def list_org_units(
    caller: AuthCaller,
    root_id: Annotated[uuid.UUID | None, Query(description="only this unit and below")] = None,
) -> Any:
    return await caller.identity("list_org_units", root_id=str(root_id) if root_id else None)


@router.get(
    "/{unit_id}",
    response_model=OrgUnitOut,
    summary="One org unit",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_org_unit(unit_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.identity("get_org_unit", unit_id=str(unit_id))


@router.get(
    "/{unit_id}/subtree",
    response_model=list[OrgUnitOut],
    summary="An org unit and everything below it",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_subtree(unit_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.identity("list_org_units", root_id=str(unit_id))


@router.patch(
    "/{unit_id}",
    response_model=OrgUnitOut,
    summary="Rename an org unit or move it under another (tenant_admin)",
    description="Moving a unit under itself or one of its descendants is refused.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def update_org_unit(
    unit_id: uuid.UUID,
    body: Annotated[
        OrgUnitUpdate,
        Body(
            openapi_examples={
                "rename": {"summary": "rename", "value": {"name": "电子政务处"}},
                "move": {
                    "summary": "move under another unit",
                    "value": {"parent_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
                },
            }
        ),
    ],
    caller: TenantAdmin,
) -> Any:
    return await caller.identity(
        "update_org_unit",
        unit_id=str(unit_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )
