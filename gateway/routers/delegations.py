"""Delegations (授权): a leader authorises a secretary to enter instructions for a window."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller, Leader
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import AsRole, DelegationCreate, DelegationOut

router = APIRouter(prefix=API_PREFIX + "/delegations", tags=["delegations"])


_EXAMPLE = {
    "secretary_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "starts_at": "2026-03-02T00:00:00+08:00",
    "ends_at": "2026-03-09T00:00:00+08:00",
    "scope": "instructions",
    "note": "出差期间代为录入批示",
}


@router.post(
    "",
    status_code=201,
    response_model=DelegationOut,
    summary="Authorise a secretary to enter my instructions for a time window (leaders)",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_delegation(
    body: Annotated[
        DelegationCreate,
        Body(openapi_examples={"default": {"summary": "one week", "value": _EXAMPLE}}),
    ],
    caller: Leader,
) -> Any:
    return await caller.identity("create_delegation", delegation=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=list[DelegationOut],
    summary="Delegations I gave (as_role=leader) or received (as_role=secretary), or both",
    responses=error_responses(401, 422, 503, 504),
)
async def list_delegations(
    caller: AuthCaller,
    as_role: Annotated[AsRole | None, Query(description="leader or secretary")] = None,
) -> Any:
    return await caller.identity("list_delegations", as_role=as_role.value if as_role else None)


@router.post(
    "/{delegation_id}/revoke",
    response_model=DelegationOut,
    summary="Revoke a delegation (the leader who gave it, or a tenant admin)",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def revoke_delegation(delegation_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.identity("revoke_delegation", delegation_id=str(delegation_id))
