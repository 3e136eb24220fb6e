"""The monthly application indicators (运维指标数据 — 应用情况) as an XLSX workbook:
the ranked table of the chosen level, and the scope's total. Percentages are numbers
shown as ``85.27%`` (an empty cell when there is nothing to divide by)."""

from __future__ import annotations

from typing import Any

from services.common import tabular
from services.metrics.schemas import (
    IndicatorFigures,
    IndicatorLevel,
    IndicatorTable,
    SiteReportBoard,
)

XLSX_MEDIA_TYPE = tabular.XLSX_MEDIA_TYPE
PERCENT_FORMAT = "0.00%"

FIGURE_HEADERS = (
    "用户数量",
    "登录用户数",
    "登录率",
    "收文数",
    "发文数",
    "办结数",
    "事务发起数",
    "超期公文数",
    "超期率",
)


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value / 100, 4)


def figure_cells(f: IndicatorFigures) -> list[Any]:
    return [
        f.registered_users,
        f.active_users,
        _fraction(f.login_rate),
        f.documents_received,
        f.documents_sent,
        f.documents_processed,
        f.items_started,
        f.documents_overdue,
        _fraction(f.overdue_share),
    ]


def indicators_filename(report: IndicatorTable) -> str:
    return f"运维指标数据-应用情况-{report.level_label}-{report.month}.xlsx"


def indicators_xlsx(report: IndicatorTable) -> bytes:
    with_city = report.level is IndicatorLevel.unit
    lead = ("排名", report.level_label, *(("所属",) if with_city else ()))
    rows = [
        [r.rank, r.name, *((r.city or "",) if with_city else ()), *figure_cells(r)]
        for r in report.rows
    ]
    offset = len(lead)
    formats = {offset + 3: PERCENT_FORMAT, offset + 9: PERCENT_FORMAT}
    total = [
        ["合计", report.scope_name, *(("",) if with_city else ()), *figure_cells(report.total)]
    ]
    widths = (6, 30, *((14,) if with_city else ()), *(10 for _ in FIGURE_HEADERS))
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                f"{report.month} {report.level_label}",
                (*lead, *FIGURE_HEADERS),
                rows + total,
                widths=widths,
                formats=formats,
            )
        ]
    )


SITE_HEADERS = (
    "市州",
    "状态",
    "站点可用率",
    "故障数",
    "工单受理数",
    "工单办结数",
    "平均响应时间(分钟)",
    "版本",
    "更正原因",
    "备注",
)


def site_reports_filename(board: SiteReportBoard) -> str:
    return f"运维指标数据-服务站点运维-{board.month}.xlsx"


def site_reports_xlsx(board: SiteReportBoard) -> bytes:
    """Every city's report in force (or 未报送), then the province summary."""
    rows: list[list[Any]] = []
    for line in board.lines:
        r = line.report
        if r is None:
            rows.append([line.tenant_name, "未报送", None, None, None, None, None, None, "", ""])
        else:
            rows.append(
                [
                    line.tenant_name,
                    "已报送" if r.version == 1 else "已更正",
                    round(r.availability / 100, 4),
                    r.incidents,
                    r.tickets_opened,
                    r.tickets_closed,
                    r.mean_response_minutes,
                    r.version,
                    r.correction_reason or "",
                    r.note or "",
                ]
            )
    s = board.summary
    rows.append(
        [
            "合计",
            f"已报送 {s.reported}，未报送 {s.missing}",
            None if s.availability is None else round(s.availability / 100, 4),
            s.incidents,
            s.tickets_opened,
            s.tickets_closed,
            s.mean_response_minutes,
            None,
            "",
            "",
        ]
    )
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                f"{board.month} 服务站点运维",
                SITE_HEADERS,
                rows,
                widths=(16, 20, 12, 8, 10, 10, 16, 6, 24, 24),
                formats={3: PERCENT_FORMAT},
            )
        ]
    )
