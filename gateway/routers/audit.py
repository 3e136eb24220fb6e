"""The audit trail (全程留痕): append-only, hash-chained per tenant."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.deps import Auditor
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.identity.schemas import AuditEntryOut, Page

router = APIRouter(prefix=API_PREFIX + "/audit", tags=["audit"])


class TrailOf(StrEnum):
    """Whose trail: identity's (accounts, org, delegations) or documents' (公文)."""

    identity = "identity"
    documents = "documents"


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
    summary="Verify the hash chain (哈希链校验) of my tenant's audit trail",
    description=(
        "`service=identity` (default: sign-ins, users, org units, delegations) or "
        "`service=documents` (every action on documents: 登记, 分办, 批示, 办结, 归档 …). "
        "`ok` is false and `first_broken_id` names the first row whose hash does not match "
        "when a row was altered. The documents trail is verified by auditors only "
        "(403 `role_required` for a tenant administrator). "
        "Example: `GET /api/v1/audit/verify?service=documents`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def verify_audit_chain(
    caller: Auditor,
    service: Annotated[
        TrailOf, Query(description="identity (default) or documents")
    ] = TrailOf.identity,
) -> Any:
    return await caller.call(service.value, "verify_audit_chain")
