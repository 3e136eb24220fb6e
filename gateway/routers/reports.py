"""Overdue reports (超期通报, DESIGN 4.3): the registry's monthly report, as JSON or as a
file for the bulletin (XLSX, CSV), and a division's own overdue list with its trend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from gateway import exports
from gateway.deps import AuthCaller, Registrar
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.text import Text
from services.routing.schemas import DivisionOverdue, OverdueReport

router = APIRouter(prefix=API_PREFIX + "/reports", tags=["reports"])

CHUNK = 64 * 1024

REPORT_DEFINITION = (
    "A task counts in the month (Asia/Shanghai) its deadline — the end of its last working "
    "day — falls in, when it was not done by then. Counts are of documents with at least one "
    "such task (and of tasks, `overdue_items`), per division and per person (the one holding "
    "the task when it became overdue; tasks still pooled to a division count for the division "
    "only). Working days late: working days of the tenant's calendar after the last working "
    "day up to the day it was finally signed for / processed, or today while still open. "
    "**Share of documents overdue** = overdue documents / documents with at least one task "
    "whose deadline fell in the month."
)


class ReportFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"
    csv = "csv"


def attachment(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII stand-in and the real (Chinese) name per RFC 5987."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@router.get(
    "/overdue",
    response_model=OverdueReport,
    summary="Monthly overdue report (超期文件月报) — registrar; JSON, XLSX or CSV",
    description=(
        REPORT_DEFINITION
        + "\n\n`format=xlsx`: a workbook with the sheets 超期明细 (文号, 标题, 处室, 承办人, "
        "超期环节, 办理时限, 签收/办理时间, 超期工作日, 状态), 按处室, 按人员, 汇总. `format=csv`: "
        "the items, UTF-8 with a byte order mark (Excel opens the Chinese text), CRLF. "
        "422 `invalid_month`, `month_in_future`."
    ),
    responses={
        **error_responses(401, 403, 422, 503, 504),
        200: {
            "description": "the report",
            "content": {
                exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
)
async def overdue_report(
    month: Annotated[Text, Query(description="YYYY-MM (Asia/Shanghai)", examples=["2026-10"])],
    caller: Registrar,
    format: Annotated[ReportFormat, Query(description="json (default), xlsx or csv")] = (
        ReportFormat.json
    ),
) -> Any:
    data = await caller.routing("overdue_report", month=month)
    if format is ReportFormat.json:
        return data
    report = OverdueReport.model_validate(data)
    if format is ReportFormat.xlsx:
        content = await run_in_threadpool(exports.to_xlsx, report)
        media_type = exports.XLSX_MEDIA_TYPE
    else:
        content = await run_in_threadpool(exports.to_csv, report)
        media_type = exports.CSV_MEDIA_TYPE
    extension = format.value
    return StreamingResponse(
        _chunks(content),
        media_type=media_type,
        headers={
            "Content-Disposition": attachment(
                exports.filename(report, extension), f"overdue-{report.month}.{extension}"
            ),
            "Content-Length": str(len(content)),
        },
    )


@router.get(
    "/overdue/division",
    response_model=DivisionOverdue,
    summary="A division's own overdue list and its trend over the last months — division head",
    description=(
        "A division head sees their own division (the default); the registry any division. "
        "`trend`: overdue documents and tasks per month, oldest first, the current month last; "
        "`items`: newest deadline first. " + REPORT_DEFINITION + " 403 `not_own_division`; 422 for "
        "`months` outside 1–36."
    ),
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def division_overdue(
    caller: AuthCaller,
    unit_id: Annotated[uuid.UUID | None, Query(description="default: my division")] = None,
    months: Annotated[
        int, Query(ge=1, le=36, description="how many months, this one included")
    ] = 12,
) -> Any:
    kwargs: dict[str, Any] = {"months": months}
    if unit_id is not None:
        kwargs["unit_id"] = str(unit_id)
    return await caller.routing("division_overdue", **kwargs)
