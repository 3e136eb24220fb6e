"""The monthly overdue report (超期通报) as files: XLSX (openpyxl) and CSV.

Chinese column headers; times in Asia/Shanghai. The CSV is UTF-8 with a byte
order mark, so that Excel opens the Chinese text correctly. Pure: a report
model in, bytes out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.common.vocabulary import SHANGHAI
from services.routing.schemas import OverdueItem, OverdueReport, TaskStatus

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"

ITEM_HEADERS = (
    "序号",
    "文号",
    "标题",
    "处室",
    "承办人",
    "超期环节",
    "办理时限",
    "签收/办理时间",
    "超期工作日",
    "状态",
)
DIVISION_HEADERS = ("处室", "超期文件数", "超期事项数")
PERSON_HEADERS = ("承办人", "处室", "超期文件数", "超期事项数")
SUMMARY_HEADERS = ("月份", "超期文件数", "超期事项数", "有办理时限的文件数", "超期率")

NOT_DONE = "未办理"
STATUS_LABELS = {
    TaskStatus.open: "未办理",
    TaskStatus.done: "已办理",
    TaskStatus.returned: "已退回",
    TaskStatus.cancelled: "已取消",
}
POOLED = "(处室未签收)"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def local(moment: dt.datetime) -> dt.datetime:
    """A Shanghai wall-clock time without a zone (spreadsheet cells have none)."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)


def item_row(number: int, item: OverdueItem) -> list[Any]:
    """One listed item as cell values (dates and times as such)."""
    return [
        number,
        item.doc_number or "",
        item.title,
        item.unit_name or "",
        item.handler_name or (POOLED if item.handler_id is None else ""),
        item.step_name,
        item.due_date,
        local(item.finished_at) if item.finished_at else NOT_DONE,
        item.working_days_late,
        STATUS_LABELS[item.status],
    ]


def filename(report: OverdueReport, extension: str) -> str:
    return f"超期文件统计-{report.month}.{extension}"


# -- XLSX ---------------------------------------------------------------------------------------------


def _sheet(workbook: Workbook, title: str, headers: tuple[str, ...], first: bool = False) -> Any:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "A2"
    return sheet


def _widths(sheet: Any, widths: tuple[int, ...]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def to_xlsx(report: OverdueReport) -> bytes:
    """Four sheets: 超期明细 (the items), 按处室, 按人员, 汇总."""
    workbook = Workbook()
    items = _sheet(workbook, "超期明细", ITEM_HEADERS, first=True)
    for number, item in enumerate(report.items, start=1):
        items.append(item_row(number, item))
        row = items.max_row
        items.cell(row=row, column=7).number_format = DATE_FORMAT
        if item.finished_at:
            items.cell(row=row, column=8).number_format = DATETIME_FORMAT
    _widths(items, (6, 24, 48, 16, 12, 16, 12, 18, 10, 8))

    divisions = _sheet(workbook, "按处室", DIVISION_HEADERS)
    for d in report.by_division:
        divisions.append([d.unit_name or "", d.overdue_documents, d.overdue_items])
    _widths(divisions, (20, 12, 12))

    people = _sheet(workbook, "按人员", PERSON_HEADERS)
    for p in report.by_person:
        people.append([p.user_name or "", p.unit_name or "", p.overdue_documents, p.overdue_items])
    _widths(people, (14, 20, 12, 12))

    summary = _sheet(workbook, "汇总", SUMMARY_HEADERS)
    t = report.totals
    summary.append(
        [
            report.month,
            t.overdue_documents,
            t.overdue_items,
            t.documents_with_deadline,
            t.overdue_share,
        ]
    )
    summary.cell(row=2, column=5).number_format = "0.00%"
    _widths(summary, (10, 12, 12, 18, 10))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- CSV -----------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_csv(report: OverdueReport) -> bytes:
    """The items, one per line, after a header line; UTF-8 with BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ITEM_HEADERS)
    for number, item in enumerate(report.items, start=1):
        writer.writerow([_csv_value(v) for v in item_row(number, item)])
    return (BOM + buffer.getvalue()).encode("utf-8")
