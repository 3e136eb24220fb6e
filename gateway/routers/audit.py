"""The audit trail (全程留痕): append-only, hash-chained per tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.deps import Auditor
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.errors import InvalidInput
from services.common.text import Text
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
    summary="Audit entries of my tenant, newest first, with filters (auditor, tenant_admin, platform_admin)",
    description=(
        "`service=identity` (default: sign-ins, users, org units, delegations) or "
        "`service=documents` (every action on documents; auditors only). Narrow by "
        "`action` (a prefix: `task.` finds every task action), `actor_id` (who acted, or "
        "on whose behalf), `target_id`, and `since` ≤ time < `until` (ISO 8601 with a "
        "zone). Example: `GET /api/v1/audit?service=documents&action=task.&limit=50`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_audit(
    caller: Auditor,
    service: Annotated[
        TrailOf, Query(description="identity (default) or documents")
    ] = TrailOf.identity,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    action: Annotated[Text | None, Query(max_length=100)] = None,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    target_id: Annotated[Text | None, Query(max_length=100)] = None,
    since: Annotated[dt.datetime | None, Query()] = None,
    until: Annotated[dt.datetime | None, Query()] = None,
) -> Any:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.utcoffset() is None:
            raise InvalidInput("naive_datetime", f"{name} needs a time zone (e.g. +08:00 or Z)")
    query = {
        "action": action,
        "actor_id": str(actor_id) if actor_id else None,
        "target_id": target_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    return await caller.call(
        service.value,
        "list_audit",
        limit=limit,
        offset=offset,
        query={k: v for k, v in query.items() if v is not None},
    )


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
