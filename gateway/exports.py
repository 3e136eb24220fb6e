"""The monthly overdue report (超期通报) as files: XLSX and CSV.

Routing computes the report (:class:`~services.routing.schemas.OverdueReport`);
this module lays it out for the bulletin — Chinese column headers, times in
Asia/Shanghai — and :mod:`services.common.tabular` writes the files, escaping
every text cell a spreadsheet would take for a formula.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.common import tabular
from services.common.vocabulary import SHANGHAI
from services.documents.schemas import InstructionExportOut, InstructionOut, RegisterOut
from services.notify.schemas import NoticeOut, NoticeReceiptPage
from services.routing.schemas import OverdueItem, OverdueReport, TaskStatus

XLSX_MEDIA_TYPE = tabular.XLSX_MEDIA_TYPE
CSV_MEDIA_TYPE = tabular.CSV_MEDIA_TYPE

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


def to_xlsx(report: OverdueReport) -> bytes:
    """Four sheets: 超期明细 (the items), 按处室, 按人员, 汇总."""
    t = report.totals
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                "超期明细",
                ITEM_HEADERS,
                [item_row(n, item) for n, item in enumerate(report.items, start=1)],
                widths=(6, 24, 48, 16, 12, 16, 12, 18, 10, 8),
            ),
            tabular.Sheet(
                "按处室",
                DIVISION_HEADERS,
                [
                    [d.unit_name or "", d.overdue_documents, d.overdue_items]
                    for d in report.by_division
                ],
                widths=(20, 12, 12),
            ),
            tabular.Sheet(
                "按人员",
                PERSON_HEADERS,
                [
                    [p.user_name or "", p.unit_name or "", p.overdue_documents, p.overdue_items]
                    for p in report.by_person
                ],
                widths=(14, 20, 12, 12),
            ),
            tabular.Sheet(
                "汇总",
                SUMMARY_HEADERS,
                [
                    [
                        report.month,
                        t.overdue_documents,
                        t.overdue_items,
                        t.documents_with_deadline,
                        t.overdue_share,
                    ]
                ],
                widths=(10, 12, 12, 18, 10),
                formats={5: "0.00%"},
            ),
        ]
    )


def to_csv(report: OverdueReport) -> bytes:
    """The items, one per line, after a header line; UTF-8 with BOM, CRLF line ends."""
    return tabular.to_csv(
        ITEM_HEADERS, (item_row(n, item) for n, item in enumerate(report.items, start=1))
    )


# -- a leader's instructions (领导批示) --------------------------------------------------------------

INSTRUCTION_HEADERS = (
    "序号",
    "批示编号",
    "批示日期",
    "文号",
    "标题",
    "批示内容",
    "录入",
    "办理情况",
)


def _entered(item: InstructionOut) -> str:
    return item.attribution or f"{item.leader_name or ''}本人录入"


def instructions_xlsx(report: InstructionExportOut) -> bytes:
    """批示明细 (one row per instruction, oldest first) and 统计 (per month, per division)."""
    rows = [
        (
            index,
            item.number or "（未编号）",
            item.instructed_at.astimezone(SHANGHAI).date(),
            item.doc_number or "",
            item.document_title,
            item.text,
            _entered(item),
            item.stands,
        )
        for index, item in enumerate(report.items, start=1)
    ]
    counts: list[tuple[Any, ...]] = [("按月份", "", "")]
    counts += [("", m.month, m.count) for m in report.by_month]
    counts += [("合计", "", len(report.items)), ("按处室", "", "")]
    counts += [("", d.unit_name, d.count) for d in report.by_division]
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                "批示明细", INSTRUCTION_HEADERS, rows, widths=(6, 22, 12, 22, 40, 50, 22, 36)
            ),
            tabular.Sheet("统计", ("分类", "月份/处室", "批示件数"), counts, widths=(10, 24, 10)),
        ]
    )


REGISTER_HEADERS = (
    "序号",
    "发文字号",
    "标题",
    "签发日期",
    "签发人",
    "主送/抄送单位",
    "状态",
    "备注",
)


def register_xlsx(register: RegisterOut) -> bytes:
    """发文登记簿 of a series and year: one row per number, 1…last, none left out."""
    rows = [
        (
            row.n,
            row.number,
            row.title or "",
            row.issued_on or "",
            row.signer_name or "",
            "、".join(row.recipients),
            row.status,
            row.void_reason or "",
        )
        for row in register.rows
    ]
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                f"{register.year}年发文登记簿",
                REGISTER_HEADERS,
                rows,
                widths=(6, 24, 44, 12, 12, 40, 10, 30),
            )
        ]
    )


RECEIPT_HEADERS = ("序号", "单位", "姓名", "状态", "阅读时间", "回执时间", "修改次数")


def receipts_xlsx(notice: NoticeOut, page: NoticeReceiptPage) -> bytes:
    """回执汇总 of a notice: one row per recipient (replied first, then read, then not
    read), one column per field of its receipt form, times in Asia/Shanghai."""
    order = {"replied": 0, "read": 1, "unread": 2}
    receipts = sorted(
        page.items, key=lambda r: (order[r.status.value], r.tenant_name, r.unit_name, r.user_name)
    )
    rows = [
        (
            n,
            r.unit_name
            if r.tenant_name == notice.sender_tenant_name
            else f"{r.tenant_name} {r.unit_name}",
            r.user_name,
            r.status_label,
            local(r.read_at) if r.read_at else "",
            local(r.replied_at) if r.replied_at else "",
            r.changes,
            *(_cell(f.type, r.reply.get(f.key)) for f in page.form),
        )
        for n, r in enumerate(receipts, start=1)
    ]
    headers = (*RECEIPT_HEADERS, *(f.label for f in page.form))
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                "回执汇总",
                headers,
                rows,
                widths=(6, 30, 12, 12, 18, 18, 8, *(20 for _ in page.form)),
            )
        ]
    )


def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return ""
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return str(value)
