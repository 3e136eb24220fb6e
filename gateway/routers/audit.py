"""The audit trail (全程留痕): append-only, hash-chained per tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.deps import Auditor
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import AuditEntryOut, Page

router = APIRouter(prefix=API_PREFIX + "/audit", tags=["audit"])


class ChainVerification(BaseModel):
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    summary="Audit entries of my tenant, newest first (auditor, tenant_admin, platform_admin)",
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_audit(
    caller: Auditor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    return await caller.identity("list_audit", limit=limit, offset=offset)


@router.get(
    "/verify",
    response_model=ChainVerification,
    summary="Verify the hash chain of my tenant's audit trail",
    responses=error_responses(401, 403, 503, 504),
)
async def verify_audit_chain(caller: Auditor) -> Any:
    return await caller.identity("verify_audit_chain")
