"""The ledgers as XLSX workbooks: the supplier work ledger (专项工作台账: the items as
queried, and the monthly summary per supplier) and a division's daily ledger of a month
(每日台账: the entries, and the summary per person).

Chinese headers, dates as dates, times in Asia/Shanghai; :mod:`services.common.tabular`
writes the files (text a spreadsheet would take for a formula is escaped)."""

from __future__ import annotations

from services.common import tabular
from services.ledger.schemas import (
    STATUS_LABELS,
    DivisionMonth,
    EntryOut,
    ItemOut,
    MonthlySummary,
)

XLSX_MEDIA_TYPE = tabular.XLSX_MEDIA_TYPE

ITEM_HEADERS = (
    "序号",
    "事项",
    "项目",
    "供应商",
    "供应商负责人",
    "处室负责人",
    "计划开始",
    "计划结束",
    "优先级",
    "状态",
    "是否延期",
    "进度(%)",
    "最近进展",
)
SUMMARY_HEADERS = ("供应商", "事项数", "已完成", "进行中", "已延期", "未开始", "已暂停", "本月完成")
ENTRY_HEADERS = ("日期", "姓名", "工作内容", "关联公文/待办")
PERSON_HEADERS = ("姓名", "台账条数", "填报天数", "应填报工作日", "未填报工作日")


def item_row(number: int, item: ItemOut) -> list[object]:
    return [
        number,
        item.title,
        item.project,
        item.supplier_name,
        item.supplier_person_name,
        item.owner_name,
        item.planned_start,
        item.planned_end,
        item.priority_label,
        STATUS_LABELS[item.shown_status],
        "是" if item.delayed else "否",
        item.percent,
        item.last_progress_text,
    ]


def items_xlsx(items: list[ItemOut]) -> bytes:
    """专项工作台账: one row per item, in the order given."""
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                "专项工作台账",
                ITEM_HEADERS,
                [item_row(n, item) for n, item in enumerate(items, start=1)],
                widths=(6, 36, 20, 28, 12, 12, 12, 12, 8, 10, 10, 10, 40),
            )
        ]
    )


SUMMARY_FIELDS = (
    "total",
    "done",
    "in_progress",
    "delayed",
    "not_started",
    "suspended",
    "completed_in_month",
)


def summary_xlsx(summary: MonthlySummary) -> bytes:
    """供应商月度汇总 of a month, with a 合计 row."""
    rows: list[list[object]] = [
        [s.supplier_name, *(getattr(s, f) for f in SUMMARY_FIELDS)] for s in summary.suppliers
    ]
    rows.append(["合计", *(sum(getattr(s, f) for s in summary.suppliers) for f in SUMMARY_FIELDS)])
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                f"{summary.month}月度汇总",
                SUMMARY_HEADERS,
                rows,
                widths=(30, 10, 10, 10, 10, 10, 10, 10),
            )
        ]
    )


def _links(entry: EntryOut) -> str:
    return "；".join(link.title or str(link.id) for link in entry.links)


def daily_xlsx(month: DivisionMonth) -> bytes:
    """每日台账 of a division and month: 台账明细 (every entry by day) and 人员汇总."""
    return tabular.to_xlsx(
        [
            tabular.Sheet(
                "台账明细",
                ENTRY_HEADERS,
                [[e.day, e.user_name, e.content, _links(e)] for e in month.entries],
                widths=(12, 12, 60, 40),
            ),
            tabular.Sheet(
                "人员汇总",
                PERSON_HEADERS,
                [
                    [p.name, p.entries, p.days_filled, p.working_days, p.working_days_missing]
                    for p in month.people
                ],
                widths=(12, 10, 10, 14, 14),
            ),
        ]
    )
