"""Delivery through the platform: sending a document to other units' registries (发送),
the registry's inbox (收文箱) and signing for what arrived (签收) without re-typing.

The documents service does all of it; the recipient's copy is a new incoming
document of the recipient's tenant, with the scans copied into it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller, Registrar, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.documents.schemas import (
    AddressBookOut,
    AddressBookQuery,
    DocumentOut,
    InboxItemOut,
    InboxPage,
    InboxQuery,
    InboxRefusal,
    SendOut,
    SendRequest,
)

router = APIRouter(prefix=API_PREFIX)


@router.post(
    "/documents/{document_id}/send",
    status_code=201,
    response_model=SendOut,
    tags=["documents"],
    summary="Send a document through the platform (发送) to registries (文书处) of other units",
    description=(
        "Each recipient is an org unit (its registry) of this tenant or of another, given "
        "as `{tenant_code, unit_id}` (`tenant_code` omitted: one's own tenant). Each gets "
        "an item in its inbox (收文箱) with the metadata and the scans, to sign for (签收) "
        "without re-typing; 来文单位 is the sending organisation and the received date the "
        "day of sending (Asia/Shanghai). All recipients or none: 404 "
        "`recipient_tenant_not_found` / `recipient_unit_not_found`, 409 `already_sent` (a "
        "unit gets a document once unless it refused it), 422 `recipient_is_sender`; a "
        "document the caller cannot see is 404 `document_not_found`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def send_document(
    document_id: uuid.UUID,
    body: Annotated[SendRequest, Body(openapi_examples=examples_of(SendRequest))],
    caller: Registrar,
) -> Any:
    return await caller.documents(
        "send_document", document_id=str(document_id), sending=body.model_dump(mode="json")
    )


@router.get(
    "/inbox",
    response_model=InboxPage,
    tags=["inbox"],
    summary="The registry's inbox (收文箱): documents sent through the platform — registrar",
    description=(
        "What other units (or other registries of this tenant) sent to the caller's "
        "registry, newest first: `status=pending` (待签收), `signed` (已签收), `refused` "
        "(已退回), or every item. Example: `GET /api/v1/inbox?status=pending&limit=20`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_inbox(query: Annotated[InboxQuery, Query()], caller: Registrar) -> Any:
    return await caller.documents(
        "list_inbox", query=query.model_dump(mode="json", exclude_unset=True)
    )


@router.get(
    "/inbox/{item_id}",
    response_model=InboxItemOut,
    tags=["inbox"],
    summary="One item of the inbox (收文箱) — registrar",
    description="An item of another tenant or of another registry is 404 `inbox_item_not_found`.",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def get_inbox_item(item_id: uuid.UUID, caller: Registrar) -> Any:
    return await caller.documents("get_inbox_item", item_id=str(item_id))


@router.post(
    "/inbox/{item_id}/sign",
    status_code=201,
    response_model=DocumentOut,
    tags=["inbox"],
    summary="Sign for (签收) an inbox item: it becomes a registered incoming document",
    description=(
        "No re-typing: the document is registered (收文登记) with the sent metadata in the "
        "caller's registry, its scans copied into it (SHA-256 checked), and routing gives "
        "the registry its 分办 task as for a paper document. Exactly once: of two "
        "registrars signing at once one gets 201, the other 409 `already_signed`; a refused "
        "item is 409 `already_refused`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def sign_inbox_item(item_id: uuid.UUID, caller: Registrar) -> Any:
    return await caller.documents("sign_inbox_item", item_id=str(item_id))


@router.post(
    "/inbox/{item_id}/refuse",
    response_model=InboxItemOut,
    tags=["inbox"],
    summary="Refuse (拒收 / 退回) an inbox item, with a reason — registrar",
    description=(
        "The item is marked refused; the sender's document shows the refusal and the "
        "reason in its trace (全程留痕), and may be sent to this unit again."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def refuse_inbox_item(
    item_id: uuid.UUID,
    body: Annotated[
        InboxRefusal,
        Body(
            openapi_examples={
                "default": {
                    "summary": "sent to the wrong registry",
                    "value": {"reason": "非我单位主管事项,请改送省发展改革委"},
                }
            }
        ),
    ],
    caller: Registrar,
) -> Any:
    return await caller.documents(
        "refuse_inbox_item", item_id=str(item_id), refusal=body.model_dump(mode="json")
    )


@router.get(
    "/address-book",
    response_model=AddressBookOut,
    summary="通讯录: the tenants and their active units documents can be sent to",
    description=(
        "For the recipient pickers of 发送 and 转办: every tenant of the platform (tree order) "
        "and their active units, optionally of one tenant (`tenant_code`) or matching words "
        "of the name (`q`). Example: `GET /api/v1/address-book?tenant_code=gz-gy`."
    ),
    tags=["inbox"],
    responses=error_responses(401, 422, 503, 504),
)
async def address_book(query: Annotated[AddressBookQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.documents(
        "address_book", query=query.model_dump(mode="json", exclude_none=True)
    )
