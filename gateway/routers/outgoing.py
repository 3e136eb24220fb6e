"""Outgoing documents (发文): drafting with the body (正文, every version kept) and
attachments, the steps that give the document its record — 签发, 编号, 用印, 分发 —
the recipients' receipts (签收回执), and the register (发文登记簿) of a series.

The route itself (拟稿 → 核稿 → 会签 → 签发 → 编号 → 用印 → 分发 → 归档) is routing's:
the tasks are acted on with ``POST /tasks/{id}/actions`` like those of received
documents; the step endpoints here find the open task of the step and act on it,
after documents said the document is ready for it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import exports
from gateway.deps import AuthCaller, CurrentPrincipal, State
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from gateway.routers.documents import _UPLOAD_BODY, receive_files
from gateway.routers.reports import attachment
from gateway.rpc import Caller
from services.common.errors import Conflict
from services.common.text import TEXT_CHECK
from services.common.vocabulary import Strict
from services.documents.schemas import (
    FileOut,
    OutgoingCreate,
    OutgoingOut,
    OutgoingPage,
    OutgoingQuery,
    OutgoingUpdate,
    ReceiptsOut,
    ReceiptUrge,
    RegisterOut,
    RegisterQuery,
)
from services.routing.schemas import Action, TaskOut

router = APIRouter(prefix=API_PREFIX, tags=["outgoing"])

_UNIT = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
STEP_ACTIONS = {
    "issue": Action.issue,
    "number": Action.number,
    "seal": Action.seal,
    "dispatch": Action.dispatch,
}


@router.post(
    "/outgoing",
    status_code=201,
    response_model=OutgoingOut,
    summary="拟稿: start an outgoing document (handler)",
    description=(
        "主送/抄送 from the address book (`GET /address-book`, units of this tenant or of "
        "others). The route opens with the drafter's 拟稿 task a moment later; the body "
        "(`POST /outgoing/{id}/body`) and attachments follow. Refusals: 422 "
        "`classified_refused` (秘密/机密/绝密), 422 `duplicate_recipient`, 404 "
        "`recipient_unit_not_found`, 403 `not_own_series`, 409 `no_registry`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_outgoing(
    body: Annotated[
        OutgoingCreate,
        Body(
            openapi_examples={
                "default": {
                    "value": {
                        "title": "关于做好2027年元旦春节期间值班工作的通知",
                        "main_to": [{"tenant_code": "gz", "unit_id": _UNIT}],
                        "urgency": "normal",
                        "secrecy": "none",
                    }
                }
            }
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents("create_outgoing", draft=body.model_dump(mode="json"))


@router.get(
    "/outgoing",
    response_model=OutgoingPage,
    summary="发文: the outgoing documents I may see, newest first",
    responses=error_responses(401, 422, 503, 504),
)
async def list_outgoing(query: Annotated[OutgoingQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.documents(
        "list_outgoing", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/outgoing/{document_id}",
    response_model=OutgoingOut,
    summary="An outgoing document: recipients, body versions, attachments, each step's record",
    description="Its 发文稿纸 (every opinion in order) is `GET /documents/{id}/slip`.",
    responses=error_responses(401, 404, 409, 503, 504),
)
async def get_outgoing(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_outgoing", document_id=str(document_id))


@router.patch(
    "/outgoing/{document_id}",
    response_model=OutgoingOut,
    summary="Change the draft (its drafter or holder, until it is issued)",
    description="409 `draft_closed` once issued; 403 `not_drafter`.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def update_outgoing(document_id: uuid.UUID, body: OutgoingUpdate, caller: AuthCaller) -> Any:
    return await caller.documents(
        "update_outgoing",
        document_id=str(document_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


@router.post(
    "/outgoing/{document_id}/body",
    status_code=201,
    response_model=list[FileOut],
    summary="Upload the body (正文): DOCX, PDF or OFD — each upload a new version",
    description=(
        "Streamed and checked like scans; the type is sniffed from the bytes (a renamed "
        ".exe is 422 `file_type_not_allowed`). 409 `draft_closed` once issued; 403 "
        "`not_drafter`."
    ),
    responses=error_responses(401, 403, 404, 408, 409, 413, 415, 422, 503, 504),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_body(
    document_id: uuid.UUID,
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    caller: AuthCaller,
) -> Any:
    return await receive_files(document_id, request, state, principal, caller, "body")


@router.post(
    "/outgoing/{document_id}/attachments",
    status_code=201,
    response_model=list[FileOut],
    summary="Upload attachments (附件): DOCX, PDF, OFD, JPEG, PNG or TIFF",
    responses=error_responses(401, 403, 404, 408, 409, 413, 415, 422, 503, 504),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_attachments(
    document_id: uuid.UUID,
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    caller: AuthCaller,
) -> Any:
    return await receive_files(document_id, request, state, principal, caller, "attachment")


# -- the steps with a record: 签发, 编号, 用印, 分发 ---------------------------------------------------


class OutgoingStep(Strict):
    """签发 / 编号 / 用印 / 分发 of an outgoing document."""

    opinion: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), TEXT_CHECK
        ]
        | None
    ) = Field(default=None, description="签发: the leader's opinion (签发意见); 用印: a note")
    on_behalf_of: uuid.UUID | None = Field(
        default=None, description="签发: the leader a secretary enters the issue for"
    )
    series_id: uuid.UUID | None = Field(
        default=None, description="编号: the series to number in (default: the draft's)"
    )


class OutgoingStepResult(BaseModel):
    task: TaskOut | None = Field(description="the step's task, now done")
    next_tasks: list[TaskOut] = Field(default_factory=list)
    renumbered: bool = Field(
        default=False,
        description="编号 after the number was voided: a new number was given directly",
    )


async def check_outgoing_action(
    caller: Caller, document_id: uuid.UUID, action: Action, series_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """documents refuses a step the document is not ready for, before anything is written."""
    check: dict[str, Any] = {"action": action.value}
    if series_id is not None:
        check["series_id"] = str(series_id)
    for attempt in range(CATCH_UP_TRIES):
        try:
            result: dict[str, Any] = await caller.documents(
                "check_outgoing_step", document_id=str(document_id), check=check
            )
            return result
        except Conflict as exc:
            # documents learns each step from routing's events, a moment after routing
            # opened it: when routing already gives the caller this action on the
            # document, documents is only behind — ask again shortly
            if exc.code not in CATCHING_UP or attempt == CATCH_UP_TRIES - 1:
                raise
            if not await _offered(caller, document_id, action):
                raise
            await asyncio.sleep(CATCH_UP_PAUSE)
    raise AssertionError("unreachable")


#: refusals that may only mean documents has not applied routing's last event yet
CATCHING_UP = frozenset(
    {"not_checked", "not_issued", "not_numbered", "not_sealed", "step_not_open"}
)
CATCH_UP_TRIES = 20
CATCH_UP_PAUSE = 0.15


async def _offered(caller: Caller, document_id: uuid.UUID, action: Action) -> bool:
    """routing gives the caller ``action`` on an open task of the document."""
    tasks = await caller.routing("document_tasks", document_id=str(document_id))
    return any(
        t.get("status") == "open" and action.value in (t.get("allowed_actions") or [])
        for t in tasks
    )


@router.post(
    "/outgoing/{document_id}/{step}",
    response_model=OutgoingStepResult,
    summary="签发 (issue), 编号 (number), 用印 (seal) or 分发 (dispatch) an outgoing document",
    description=(
        "Acts on the open task of the step. Refusals, nothing changed: 409 `not_checked` "
        "(签发 before 核稿/会签), `not_issued` (编号 or 分发 before 签发), `already_numbered`, "
        "`not_numbered`, `not_sealed`, `already_dispatched`, `body_missing`, "
        "`recipient_unavailable`, `step_not_open`; 403 `not_own_series`, `not_task_holder`, "
        "`no_valid_delegation` (a secretary's 签发 without a valid delegation)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def outgoing_step(
    document_id: uuid.UUID,
    step: Literal["issue", "number", "seal", "dispatch"],
    caller: AuthCaller,
    body: OutgoingStep | None = None,
) -> Any:
    request = body or OutgoingStep()
    action = STEP_ACTIONS[step]
    checked = await check_outgoing_action(caller, document_id, action, request.series_id)
    if checked.get("done"):
        return OutgoingStepResult(task=None, renumbered=True)
    act: dict[str, Any] = {"action": action.value}
    if request.opinion is not None:
        act["opinion"] = request.opinion
    if request.on_behalf_of is not None:
        act["on_behalf_of"] = str(request.on_behalf_of)
    result = await caller.routing("act", task_id=str(checked["task_id"]), action=act)
    return OutgoingStepResult(task=result["task"], next_tasks=result["next_tasks"])


# -- receipts (签收回执) -------------------------------------------------------------------------------


@router.get(
    "/outgoing/{document_id}/receipts",
    response_model=ReceiptsOut,
    summary="签收回执: per recipient unit 待签收 / 已签收 (when, by whom) / 已拒收 (why)",
    responses=error_responses(401, 404, 409, 503, 504),
)
async def outgoing_receipts(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("outgoing_receipts", document_id=str(document_id))


@router.post(
    "/outgoing/{document_id}/receipts/{inbox_item_id}/urge",
    response_model=ReceiptsOut,
    summary="催签: remind a recipient that has not signed for it (the dispatching registry)",
    description="409 `not_pending` (signed for or refused); 403 `not_sender_registry`.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def urge_receipt(
    document_id: uuid.UUID,
    inbox_item_id: uuid.UUID,
    caller: AuthCaller,
    body: ReceiptUrge | None = None,
) -> Any:
    return await caller.documents(
        "urge_receipt",
        document_id=str(document_id),
        inbox_item_id=str(inbox_item_id),
        urge=(body or ReceiptUrge()).model_dump(mode="json"),
    )


@router.post(
    "/outgoing/{document_id}/receipts/{inbox_item_id}/resend",
    response_model=ReceiptsOut,
    summary="重新发送: a new copy to a recipient that refused (the dispatching registry)",
    description="409 `not_refused`, `already_resent`; 403 `not_sender_registry`.",
    responses=error_responses(401, 403, 404, 409, 503, 504),
)
async def resend_receipt(
    document_id: uuid.UUID, inbox_item_id: uuid.UUID, caller: AuthCaller
) -> Any:
    return await caller.documents(
        "resend_receipt", document_id=str(document_id), inbox_item_id=str(inbox_item_id)
    )


# -- the register (发文登记簿) --------------------------------------------------------------------------


@router.get(
    "/number-series/{series_id}/register",
    response_model=RegisterOut,
    summary="发文登记簿: every number of a series in a year with its document",
    description=(
        "Number, title, day issued, signer, recipients, status — reserved and voided "
        "numbers too, so that the year has no unexplained hole. `q` searches the number, "
        "title, signer and recipients."
    ),
    responses=error_responses(401, 404, 422, 503, 504),
)
async def series_register(
    series_id: uuid.UUID, query: Annotated[RegisterQuery, Query()], caller: AuthCaller
) -> Any:
    return await caller.documents(
        "outgoing_register",
        series_id=str(series_id),
        query=query.model_dump(mode="json", exclude_none=True),
    )


@router.get(
    "/number-series/{series_id}/register.xlsx",
    response_class=Response,
    summary="The 发文登记簿 of a series and year as an XLSX workbook",
    responses={
        200: {
            "description": "the workbook",
            "content": {
                exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **error_responses(401, 404, 422, 503, 504),
    },
)
async def series_register_xlsx(
    series_id: uuid.UUID, query: Annotated[RegisterQuery, Query()], caller: AuthCaller
) -> Response:
    data = await caller.documents(
        "outgoing_register",
        series_id=str(series_id),
        query=query.model_dump(mode="json", exclude_none=True),
    )
    register = RegisterOut.model_validate(data)
    content = await run_in_threadpool(exports.register_xlsx, register)
    name = f"{register.series.prefix}{register.year}年发文登记簿.xlsx"
    return Response(
        content,
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(name, f"register-{register.year}.xlsx"),
        },
    )
