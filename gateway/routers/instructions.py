"""Leader instructions (领导批示, DESIGN 4.4): find one by its number or words, a
leader's yearly export, the numbers a secretary gives a 省政府领导's instructions, the
format of a 厅领导's serials, and 我的批示 (what I instructed on and where it stands)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import exports
from gateway.deps import AuthCaller
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from gateway.routers.reports import attachment
from services.documents.schemas import (
    InstructionExportOut,
    InstructionExportQuery,
    InstructionNumbering,
    InstructionOut,
    InstructionPage,
    InstructionSearch,
    LeaderNumberingOut,
    ProgressPage,
    ProgressQuery,
    SerialFormat,
)

router = APIRouter(prefix=API_PREFIX + "/instructions", tags=["instructions"])


@router.get(
    "",
    response_model=InstructionPage,
    summary="Find leader instructions (批示): by number, leader, year, dates, words",
    description=(
        "Instructions on documents I may see (the leader, their secretaries, the registry, "
        "the divisions holding the document; a 领导批示件 only within its scope), newest "
        "first. `number` matches the number as shown (spaces, full-width digits and case "
        "ignored); `q` words of the instruction or of the document's title (Chinese "
        "included); `on_behalf=true` only 代录 ones. Example: "
        "`GET /api/v1/instructions?leader_id=…&year=2026&q=防汛`."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def search_instructions(
    query: Annotated[InstructionSearch, Query()], caller: AuthCaller
) -> Any:
    return await caller.documents(
        "search_instructions", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/export",
    summary="Export one leader's instructions for a year or a date range (XLSX)",
    description=(
        "Sheet 批示明细: 编号, 批示日期, 文号, 标题, 批示内容, 录入, 办理情况; sheet 统计: the "
        "leader's instructions per month and per division. Default: this year."
    ),
    responses={
        **error_responses(401, 422, 503, 504),
        200: {
            "description": "the workbook",
            "content": {
                exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        },
    },
)
async def export_instructions(
    query: Annotated[InstructionExportQuery, Query()], caller: AuthCaller
) -> Response:
    data = await caller.documents(
        "export_instructions", query=query.model_dump(mode="json", exclude_none=True)
    )
    report = InstructionExportOut.model_validate(data)
    content = await run_in_threadpool(exports.instructions_xlsx, report)
    name = f"{report.leader_name or '领导'}批示{report.since.isoformat()}至{report.until.isoformat()}.xlsx"
    return Response(
        content,
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(name, f"instructions-{report.since}.xlsx")},
    )


@router.get(
    "/mine",
    response_model=ProgressPage,
    summary="我的批示: documents I instructed on and how far their handling has got (leaders)",
    description=(
        "Each document with my instructions on it (also those my secretary entered) and its "
        "open tasks: step, division, holder, deadline, overdue. A leader may urge (催办) any "
        "of those tasks (`POST /tasks/{id}/urge`)."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def my_instructions(query: Annotated[ProgressQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.documents("my_instructions", query=query.model_dump(mode="json"))


@router.get(
    "/numbering/{leader_id}",
    response_model=LeaderNumberingOut,
    summary="How a 厅领导's serial numbers are shown",
    responses=error_responses(401, 404, 503, 504),
)
async def get_numbering(leader_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_leader_numbering", leader_id=str(leader_id))


@router.put(
    "/numbering/{leader_id}",
    response_model=LeaderNumberingOut,
    summary="Set how a 厅领导's serial numbers are shown (the leader or the tenant admin)",
    description="`{n}` is the serial, `{year}` the year: e.g. `厅批〔{year}〕{n}号`.",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def set_numbering(
    leader_id: uuid.UUID,
    body: Annotated[
        SerialFormat,
        Body(openapi_examples={"default": {"value": {"serial_format": "厅批〔{year}〕{n}号"}}}),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "set_leader_numbering", leader_id=str(leader_id), numbering=body.model_dump(mode="json")
    )


@router.get(
    "/{instruction_id}",
    response_model=InstructionOut,
    summary="One instruction",
    responses=error_responses(401, 404, 503, 504),
)
async def get_instruction(instruction_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_instruction", instruction_id=str(instruction_id))


@router.put(
    "/{instruction_id}/number",
    response_model=InstructionOut,
    summary="Number a 省政府领导's instruction by hand (the leader or their secretary)",
    description=(
        "409 `instruction_number_taken` (the leader has it this year), 422 "
        "`instruction_number_by_system` (a 厅领导's), 403 `not_your_instruction` (neither the "
        "leader nor a secretary with a valid delegation from them)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def number_instruction(
    instruction_id: uuid.UUID,
    body: Annotated[
        InstructionNumbering,
        Body(openapi_examples={"default": {"value": {"number": "省长批〔2026〕118号"}}}),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "number_instruction",
        instruction_id=str(instruction_id),
        numbering=body.model_dump(mode="json"),
    )
