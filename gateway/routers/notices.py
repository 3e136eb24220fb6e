"""Notices with receipts (通知 + 回执): an office clerk composes a notice (a meeting
notice, 会议通知) with attachments, recipients (units — their people — and people, of
this tenant and of the tenants below it) and an optional receipt form with a reply
deadline; recipients read it and reply; the sender follows who replied, who read it and
who did not, reminds those missing and exports the replies.

A notice is composed as a draft (``POST /notices``), its attachments uploaded to it
(``POST /notices/{id}/attachments``), and sent (``POST /notices/{id}/send``): only then
do its recipients see it. The workbench does the three in a row on 发送.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import exports
from gateway.deps import AuthCaller, CurrentPrincipal, State
from gateway.errors import error_responses
from gateway.kept_files import keep_uploads, stream_kept
from gateway.routers import API_PREFIX
from gateway.routers.documents import (
    _UPLOAD_BODY,
)
from gateway.routers.reports import attachment
from services.notify.schemas import (
    AttachmentOut,
    NoticeCreate,
    NoticeFileDownload,
    NoticeOut,
    NoticePage,
    NoticeQuery,
    NoticeReceiptPage,
    NoticeReceiptQuery,
    RemindIn,
    RemindOut,
    ReplyIn,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX + "/notices", tags=["notices"])

NOTICES_PREFIX = "notices"


@router.post(
    "",
    status_code=201,
    response_model=NoticeOut,
    summary="拟写通知: compose a notice (a draft until it is sent)",
    description=(
        "Recipients: `units` (a unit means its active people, the units below it "
        "included) and `users`, each of this tenant (no `tenant_code`) or of a tenant "
        "below it (`tenant_code`, e.g. a city under the province). `form`: the receipt "
        "form (回执单), fields typed `text`, `textarea`, `integer`, `number`, `phone`, "
        "`date`, `select` (with `options`), each `required` or not; `reply_deadline` "
        "(回执截止) needs a form. Refusals: 422 `no_recipients` (none named, or nobody "
        "active in them), `unknown_unit`, `unknown_user`, `unknown_tenant` (not this "
        "tenant nor one below it), `unknown_field_type`, `duplicate_field`, "
        "`select_without_options`, `option_not_allowed`, `too_many_fields`, "
        "`deadline_passed`, `deadline_without_form`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def create_notice(body: NoticeCreate, caller: AuthCaller) -> Any:
    return await caller.call("notify", "create_notice", notice=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=NoticePage,
    summary="通知公告: notices sent to me (`box=received`) or mine (`box=sent`, drafts too)",
    responses=error_responses(401, 422, 503, 504),
)
async def list_notices(query: Annotated[NoticeQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call(
        "notify", "list_notices", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/{notice_id}",
    response_model=NoticeOut,
    summary="A notice: for its sender with the receipt counts, for a recipient with mine",
    description="Neither its sender nor a recipient: 404 `notice_not_found`.",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_notice(notice_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.call("notify", "get_notice", notice_id=str(notice_id))


@router.delete(
    "/{notice_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a draft notice (its sender); a sent one is 409 `notice_sent`",
    responses=error_responses(401, 403, 404, 409, 503, 504),
)
async def delete_notice(notice_id: uuid.UUID, state: State, caller: AuthCaller) -> Response:
    out = await caller.call("notify", "delete_notice", notice_id=str(notice_id))
    if state.objects is not None:  # the draft's attachments go with it
        for key in out.get("object_keys") or []:
            await state.objects.remove(str(key))
    return Response(status_code=204)


@router.post(
    "/{notice_id}/send",
    response_model=NoticeOut,
    summary="发送通知: send a draft to its recipients (in-app at once; e-mail and SMS by the rules)",
    description=(
        "The units' people are taken as they are now. Each recipient gets a notification "
        "(通知公告) at once, an e-mail if they want it, and an SMS asking them to sign in "
        "if they have not read it after `sms_after_minutes` (no SMS in quiet hours). "
        "Refusals: 403 `not_notice_sender`, 409 `notice_sent`, 422 `no_recipients`, "
        "`deadline_passed`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def send_notice(notice_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.call("notify", "send_notice", notice_id=str(notice_id))


@router.post(
    "/{notice_id}/read",
    response_model=NoticeOut,
    summary="已读: a recipient opened the notice (its notifications read as well)",
    description="Not a recipient: 403 `not_a_recipient` (404 if they may not see it at all).",
    responses=error_responses(401, 403, 404, 503, 504),
)
async def read_notice(notice_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.call("notify", "read_notice", notice_id=str(notice_id))


@router.put(
    "/{notice_id}/reply",
    response_model=NoticeOut,
    summary="填写回执: reply with the receipt form, or change the reply, before the deadline",
    description=(
        "Refusals: 403 `not_a_recipient`, 409 `no_receipt_form`, 409 `deadline_passed` "
        "(the reply deadline is over: the reply stays as it was), 422 `missing_field` "
        "(a required field empty), `unknown_field`, `invalid_field_value`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def reply_notice(notice_id: uuid.UUID, body: ReplyIn, caller: AuthCaller) -> Any:
    return await caller.call(
        "notify", "reply_notice", notice_id=str(notice_id), reply=body.model_dump(mode="json")
    )


@router.get(
    "/{notice_id}/receipts",
    response_model=NoticeReceiptPage,
    summary="回执情况 (the sender): who replied, who read it but did not reply, who did not read it",
    description="Each recipient with their reply's fields and their e-mail and SMS delivery.",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def notice_receipts(
    notice_id: uuid.UUID, query: Annotated[NoticeReceiptQuery, Query()], caller: AuthCaller
) -> Any:
    return await caller.call(
        "notify",
        "notice_receipts",
        notice_id=str(notice_id),
        query=query.model_dump(mode="json", exclude_none=True),
    )


@router.get(
    "/{notice_id}/receipts.xlsx",
    response_class=Response,
    summary="回执汇总 as an XLSX workbook (the sender): one row per recipient, one column per field",
    responses={
        200: {
            "description": "the workbook",
            "content": {
                exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **error_responses(401, 403, 404, 503, 504),
    },
)
async def notice_receipts_xlsx(notice_id: uuid.UUID, caller: AuthCaller) -> Response:
    notice = NoticeOut.model_validate(
        await caller.call("notify", "get_notice", notice_id=str(notice_id))
    )
    page = NoticeReceiptPage.model_validate(
        await caller.call(
            "notify", "notice_receipts", notice_id=str(notice_id), query={"limit": 5000}
        )
    )
    content = await run_in_threadpool(exports.receipts_xlsx, notice, page)
    return Response(
        content,
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(f"{notice.title}-回执.xlsx", "receipts.xlsx")},
    )


@router.post(
    "/{notice_id}/remind",
    response_model=RemindOut,
    summary="催报回执: remind the recipients who have not replied (or not read it) yet",
    description=(
        "Each gets a 回执提醒 notification (and an SMS if they leave it unread). One "
        "reminded in the last 10 minutes is skipped. 403 `not_notice_sender`, 409 "
        "`notice_not_sent`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def remind_notice(
    notice_id: uuid.UUID,
    caller: AuthCaller,
    body: Annotated[RemindIn | None, Body()] = None,
) -> Any:
    return await caller.call(
        "notify",
        "remind_notice",
        notice_id=str(notice_id),
        remind=(body or RemindIn()).model_dump(mode="json"),
    )


# -- attachments -------------------------------------------------------------------------------------


@router.post(
    "/{notice_id}/attachments",
    status_code=201,
    response_model=list[AttachmentOut],
    summary="Attach files to a draft notice (its sender): DOCX, PDF, OFD, JPEG, PNG, TIFF",
    description=(
        "Streamed like scans (never held whole; type sniffed from the bytes). "
        "Refusals: 409 `notice_sent`, 403 `not_notice_sender`, 422 "
        "`file_type_not_allowed`, 413 `file_too_large`, 422 `no_files`, 503 `uploads_busy`."
    ),
    responses=error_responses(401, 403, 404, 408, 409, 413, 415, 422, 503, 504),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_notice_attachments(
    notice_id: uuid.UUID,
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    caller: AuthCaller,
) -> Any:
    tenant_id = principal.tenant_id
    assert tenant_id is not None

    async def check() -> None:  # not the sender's, sent already, unknown
        await caller.call("notify", "check_notice_upload", notice_id=str(notice_id))

    async def record(files: list[dict[str, Any]]) -> Any:
        return await caller.call(
            "notify", "add_notice_files", notice_id=str(notice_id), files=files
        )

    return await keep_uploads(
        request,
        state,
        tenant_id,
        check=check,
        prefix=f"{NOTICES_PREFIX}/{tenant_id}/{notice_id}",
        record=record,
    )


@router.get(
    "/{notice_id}/attachments/{file_id}",
    response_class=Response,
    summary="Download an attachment of a notice (its sender and recipients)",
    responses={
        200: {"description": "the file", "content": {"application/octet-stream": {}}},
        **error_responses(401, 404, 503, 504),
    },
)
async def notice_attachment(
    notice_id: uuid.UUID, file_id: uuid.UUID, state: State, caller: AuthCaller
) -> Response:
    info = NoticeFileDownload.model_validate(
        await caller.call("notify", "notice_file", notice_id=str(notice_id), file_id=str(file_id))
    )
    return await stream_kept(state, info)
