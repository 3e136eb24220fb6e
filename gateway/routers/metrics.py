"""Monthly application indicators (运维指标数据 — 应用情况): the province's table with
ranking (or a city's, for its ops), a 12-month trend per department, city or unit, and
the table as XLSX. Computed by the metrics service from the other services' events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import metrics_exports
from gateway.deps import AuthCaller
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from gateway.routers.reports import attachment
from services.metrics.schemas import (
    IndicatorQuery,
    IndicatorTable,
    IndicatorTrend,
    SiteReportBoard,
    SiteReportHistory,
    SiteReportHistoryQuery,
    SiteReportIn,
    SiteReportOut,
    SiteReportQuery,
    TrendQuery,
)

router = APIRouter(prefix=API_PREFIX + "/metrics", tags=["metrics"])

WHO = (
    "The province's `ops`, `tenant_admin` and leaders see the province; a city's `ops` "
    "and `tenant_admin` see their city. Others: 403 `indicators_forbidden`. A month not "
    "begun: 422 `month_in_future`."
)


@router.get(
    "/indicators",
    response_model=IndicatorTable,
    summary="运维指标数据 — 应用情况: a month's indicators per department, city or unit, ranked",
    description=(
        "`level`: `department` (省直部门), `city` (市州), `unit` (单位). Ranked by login "
        "rate (ties share a rank). " + WHO
    ),
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def indicator_table(query: Annotated[IndicatorQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call("metrics", "indicator_table", query=query.model_dump(mode="json"))


@router.get(
    "/indicators/trend",
    response_model=IndicatorTrend,
    summary="The 12 months up to `month` of one department, city or unit",
    description="`key`: the unit's id, or the city's tenant id. " + WHO,
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def indicator_trend(query: Annotated[TrendQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call("metrics", "indicator_trend", query=query.model_dump(mode="json"))


@router.get(
    "/indicators.xlsx",
    response_class=Response,
    summary="The month's indicator table as an XLSX workbook (ranked rows, then 合计)",
    responses={
        200: {
            "description": "the workbook",
            "content": {
                metrics_exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **error_responses(401, 403, 404, 422, 503, 504),
    },
)
async def indicator_table_xlsx(
    query: Annotated[IndicatorQuery, Query()], caller: AuthCaller
) -> Response:
    report = IndicatorTable.model_validate(
        await caller.call("metrics", "indicator_table", query=query.model_dump(mode="json"))
    )
    content = await run_in_threadpool(metrics_exports.indicators_xlsx, report)
    return Response(
        content,
        media_type=metrics_exports.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(
                metrics_exports.indicators_filename(report), "indicators.xlsx"
            )
        },
    )


# -- 服务站点运维 ------------------------------------------------------------------------------------


@router.post(
    "/site-reports",
    status_code=201,
    response_model=SiteReportOut,
    summary="服务站点运维: a city's operations team reports a month that has ended",
    description=(
        "`ops` of the tenant only (403 `role_required`). Refusals: 422 `month_not_ended`, "
        "`correction_reason_required`; 409 `site_report_exists` (the month is reported: "
        "send `correction: true` with `correction_reason` to replace it — the earlier "
        "version is kept in history), 409 `nothing_to_correct`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def submit_site_report(body: SiteReportIn, caller: AuthCaller) -> Any:
    return await caller.call("metrics", "submit_site_report", report=body.model_dump(mode="json"))


@router.get(
    "/site-reports",
    response_model=SiteReportBoard,
    summary="The month's site reports: every city (reported or missing) and the summary",
    description=(
        "The province's `ops` and `tenant_admin` see every city; a city's, their own. "
        "Others: 403 `site_reports_forbidden`."
    ),
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def site_report_board(query: Annotated[SiteReportQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call("metrics", "site_report_board", query=query.model_dump(mode="json"))


@router.get(
    "/site-reports/history",
    response_model=SiteReportHistory,
    summary="A city's report of a month with its corrections, oldest first",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def site_report_history(
    query: Annotated[SiteReportHistoryQuery, Query()], caller: AuthCaller
) -> Any:
    return await caller.call("metrics", "site_report_history", query=query.model_dump(mode="json"))


@router.get(
    "/site-reports.xlsx",
    response_class=Response,
    summary="The month's site reports as an XLSX workbook (every city, then 合计)",
    responses={
        200: {
            "description": "the workbook",
            "content": {
                metrics_exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **error_responses(401, 403, 404, 422, 503, 504),
    },
)
async def site_reports_xlsx(
    query: Annotated[SiteReportQuery, Query()], caller: AuthCaller
) -> Response:
    board = SiteReportBoard.model_validate(
        await caller.call("metrics", "site_report_board", query=query.model_dump(mode="json"))
    )
    content = await run_in_threadpool(metrics_exports.site_reports_xlsx, board)
    return Response(
        content,
        media_type=metrics_exports.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(
                metrics_exports.site_reports_filename(board), "site-reports.xlsx"
            )
        },
    )
