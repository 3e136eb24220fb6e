"""The monthly overdue report (超期通报) end to end: a month of documents built through the
gateway with routing's test clock, with known overdue counts per division and per person;
the report as JSON, as an XLSX workbook opened with openpyxl and checked cell by cell, and
as CSV; a division head's own list and trend; the report's refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from tests.support.gateway import Gateway, Office, User, act, expect_error, ok
from tests.support.overdue import at, build_office, new_document, shanghai
from tests.support.stacks import SyncRpc

MONTH = "2026-10"
NUMBER = "黔超测〔2026〕{}号"


def d(y: int, m: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, day, hour, minute)


@pytest.fixture(scope="module")
def report_office(gw: Gateway, platform_admin: User) -> Office:
    return build_office(gw, platform_admin, "超期通报测试厅")


@pytest.fixture(scope="module")
def october(report_office: Office, rpc: SyncRpc) -> Iterator[dict[str, Any]]:
    """October 2026 in a tenant of its own (DESIGN 4.3: distributed Wed 30 Sep, due at
    the end of Sat 10 Oct — 1–7 Oct are holidays, 10 Oct a make-up working day):

    A → 电子政务处: signed late on 12 Oct by 吴承办, whose 拟办 (due 15 Oct) stays open
    B → 电子政务处 (never signed) and 综合处 (signed late on 12 Oct, then done in time)
    C → 综合处: never signed
    D → 电子政务处: signed in time by 李承办, whose 拟办 (due 13 Oct) stays open
    E → 综合处: everything in time
    """
    office = report_office

    def set_clock(instant: dt.datetime) -> None:
        rpc.call("routing", "set_test_clock", now=instant.isoformat())

    try:
        set_clock(shanghai(2026, 9, 30, 10))
        docs, signs = {}, {}
        for n, (name, lead, assisting) in enumerate(
            [
                ("A", "电子政务处", ()),
                ("B", "电子政务处", ("综合处",)),
                ("C", "综合处", ()),
                ("D", "电子政务处", ()),
                ("E", "综合处", ()),
            ],
            start=1,
        ):
            doc, tasks = new_document(
                office,
                f"文件{name}:关于做好国庆节后工作的通知",
                lead,
                *assisting,
                number=NUMBER.format(n),
            )
            docs[name] = doc
            for task in tasks:
                signs[(name, task["unit_id"])] = task
        dz, zh = office.units["电子政务处"], office.units["综合处"]
        assert {at(t["due_at"]) for t in signs.values()} == {shanghai(2026, 10, 11)}

        set_clock(shanghai(2026, 10, 9, 10))
        [d_propose] = act(office["dz_ban1"], signs[("D", dz)]["id"], action="sign")["next_tasks"]
        [e_propose] = act(office["zh_ban"], signs[("E", zh)]["id"], action="sign")["next_tasks"]
        [e_review] = act(office["zh_ban"], e_propose["id"], action="propose", opinion="拟办")[
            "next_tasks"
        ]

        set_clock(shanghai(2026, 10, 12, 10))
        [a_propose] = act(office["dz_ban2"], signs[("A", dz)]["id"], action="sign")["next_tasks"]
        [b_propose] = act(office["zh_ban"], signs[("B", zh)]["id"], action="sign")["next_tasks"]
        [b_review] = act(office["zh_ban"], b_propose["id"], action="propose", opinion="拟办")[
            "next_tasks"
        ]
        [b_handle] = act(office["zh_chu"], b_review["id"], action="approve")["next_tasks"]
        act(office["zh_ban"], b_handle["id"], action="handle", opinion="已办理")
        [e_handle] = act(office["zh_chu"], e_review["id"], action="approve")["next_tasks"]

        set_clock(shanghai(2026, 10, 13, 10))
        act(office["zh_ban"], e_handle["id"], action="handle", opinion="已办理")

        set_clock(shanghai(2026, 11, 2, 10))  # a Monday: the report of October
        yield {
            "docs": docs,
            "signs": signs,
            "a_propose": a_propose,
            "d_propose": d_propose,
            "dz": dz,
            "zh": zh,
        }
    finally:
        rpc.call("routing", "set_test_clock", now=None)


def expected_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The overdue items of October, in the report's order (deadline, document number, id)."""
    signs, dz, zh = data["signs"], data["dz"], data["zh"]
    rows = [
        # task, 文号, unit, handler, step name, due date, finished, late, status
        (
            signs[("A", dz)],
            1,
            "电子政务处",
            None,
            "处室签收",
            (10, 10),
            d(2026, 10, 12, 10),
            1,
            "已办理",
        ),
        (
            data["a_propose"],
            1,
            "电子政务处",
            "吴承办",
            "拟办(承办节点)",
            (10, 15),
            None,
            12,
            "未办理",
        ),
        (signs[("B", dz)], 2, "电子政务处", None, "处室签收", (10, 10), None, 16, "未办理"),
        (
            signs[("B", zh)],
            2,
            "综合处",
            None,
            "处室签收",
            (10, 10),
            d(2026, 10, 12, 10),
            1,
            "已办理",
        ),
        (signs[("C", zh)], 3, "综合处", None, "处室签收", (10, 10), None, 16, "未办理"),
        (
            data["d_propose"],
            4,
            "电子政务处",
            "李承办",
            "拟办(承办节点)",
            (10, 13),
            None,
            14,
            "未办理",
        ),
    ]
    items = [
        {
            "task_id": task["id"],
            "doc_number": NUMBER.format(n),
            "unit_name": unit,
            "handler_name": handler,
            "step_name": step,
            "due_date": dt.date(2026, *due),
            "finished": finished,
            "late": late,
            "status": status,
        }
        for task, n, unit, handler, step, due, finished, late, status in rows
    ]
    items.sort(key=lambda i: (i["due_date"], i["doc_number"], i["task_id"]))
    return items


def test_the_monthly_report_counts_lists_and_exports(
    report_office: Office, october: dict[str, Any]
):
    registrar = report_office["wenshu"]
    report = ok(registrar.get("/reports/overdue", params={"month": MONTH}))
    assert (report["month"], report["period_start"], report["period_end"]) == (
        MONTH,
        "2026-10-01",
        "2026-10-31",
    )
    assert report["totals"] == {
        "overdue_documents": 4,
        "overdue_items": 6,
        "documents_with_deadline": 5,
        "overdue_share": 0.8,
    }
    assert [
        (c["unit_name"], c["overdue_documents"], c["overdue_items"]) for c in report["by_division"]
    ] == [
        ("电子政务处", 3, 4),
        ("综合处", 2, 2),
    ]
    assert [
        (p["user_name"], p["unit_name"], p["overdue_documents"], p["overdue_items"])
        for p in report["by_person"]
    ] == [("吴承办", "电子政务处", 1, 1), ("李承办", "电子政务处", 1, 1)]

    expected = expected_items(october)
    assert [i["task_id"] for i in report["items"]] == [e["task_id"] for e in expected]
    for item, want in zip(report["items"], expected, strict=True):
        assert item["doc_number"] == want["doc_number"] and item["unit_name"] == want["unit_name"]
        assert item["handler_name"] == want["handler_name"]
        assert item["due_date"] == want["due_date"].isoformat()
        assert item["working_days_late"] == want["late"]
        assert item["still_open"] is (want["finished"] is None)
        assert item["title"].startswith("文件")

    # XLSX, cell by cell
    response = registrar.get("/reports/overdue", params={"month": MONTH, "format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="overdue-2026-10.xlsx"')
    assert "filename*=UTF-8''%E8%B6%85%E6%9C%9F" in disposition  # 超期…
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["超期明细", "按处室", "按人员", "汇总"]
    sheet = book["超期明细"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
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
    ]
    titles = {i["task_id"]: i["title"] for i in report["items"]}
    assert rows[1:] == [
        [
            n,
            e["doc_number"],
            titles[e["task_id"]],
            e["unit_name"],
            e["handler_name"] or "(处室未签收)",
            e["step_name"],
            dt.datetime.combine(e["due_date"], dt.time()),
            e["finished"] or "未办理",
            e["late"],
            e["status"],
        ]
        for n, e in enumerate(expected, start=1)
    ]
    assert sheet.cell(row=2, column=7).number_format == "yyyy-mm-dd"
    assert [list(r) for r in book["按处室"].iter_rows(values_only=True)] == [
        ["处室", "超期文件数", "超期事项数"],
        ["电子政务处", 3, 4],
        ["综合处", 2, 2],
    ]
    assert [list(r) for r in book["按人员"].iter_rows(values_only=True)] == [
        ["承办人", "处室", "超期文件数", "超期事项数"],
        ["吴承办", "电子政务处", 1, 1],
        ["李承办", "电子政务处", 1, 1],
    ]
    assert [list(r) for r in book["汇总"].iter_rows(values_only=True)] == [
        ["月份", "超期文件数", "超期事项数", "有办理时限的文件数", "超期率"],
        ["2026-10", 4, 6, 5, 0.8],
    ]

    # CSV: UTF-8 with a byte order mark, Chinese headers, the same rows
    response = registrar.get("/reports/overdue", params={"month": MONTH, "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="overdue-2026-10.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == rows[0]
    assert [line[1] for line in lines[1:]] == [e["doc_number"] for e in expected]
    assert [line[6] for line in lines[1:]] == [e["due_date"].isoformat() for e in expected]
    assert [line[7] for line in lines[1:]] == [
        e["finished"].strftime("%Y-%m-%d %H:%M") if e["finished"] else "未办理" for e in expected
    ]
    assert [int(line[8]) for line in lines[1:]] == [e["late"] for e in expected]


def test_a_division_head_sees_the_division_list_and_trend(
    report_office: Office, october: dict[str, Any]
):
    office = report_office
    mine = ok(office["dz_chu"].get("/reports/overdue/division"))
    assert (mine["unit_id"], mine["unit_name"], mine["months"]) == (october["dz"], "电子政务处", 12)
    assert [m["month"] for m in mine["trend"]] == [
        "2025-12",
        *(f"2026-{m:02d}" for m in range(1, 12)),
    ]
    counts = {m["month"]: (m["overdue_documents"], m["overdue_items"]) for m in mine["trend"]}
    assert counts.pop("2026-10") == (3, 4) and set(counts.values()) == {(0, 0)}
    assert len(mine["items"]) == 4 and {i["unit_name"] for i in mine["items"]} == {"电子政务处"}
    assert [i["due_date"] for i in mine["items"]] == sorted(
        (i["due_date"] for i in mine["items"]), reverse=True
    )
    three = ok(office["dz_chu"].get("/reports/overdue/division", params={"months": 3}))
    assert [m["month"] for m in three["trend"]] == ["2026-09", "2026-10", "2026-11"]

    # the registry sees any division; a head only their own; a handler none
    theirs = ok(
        office["wenshu"].get("/reports/overdue/division", params={"unit_id": october["zh"]})
    )
    assert len(theirs["items"]) == 2 and theirs["trend"][-2]["overdue_documents"] == 2
    expect_error(
        office["zh_chu"].get("/reports/overdue/division", params={"unit_id": october["dz"]}),
        403,
        "not_own_division",
    )
    expect_error(office["dz_ban1"].get("/reports/overdue/division"), 403, "role_required")


def test_report_months_are_checked(report_office: Office, october: dict[str, Any]):
    registrar = report_office["wenshu"]
    expect_error(
        registrar.get("/reports/overdue", params={"month": "2026-12"}), 422, "month_in_future"
    )
    for bad in ("2026-13", "2026/10", "26-10", ""):
        expect_error(registrar.get("/reports/overdue", params={"month": bad}), 422, "invalid_month")
    current = ok(registrar.get("/reports/overdue", params={"month": "2026-11"}))
    assert current["totals"]["overdue_items"] == 0  # nothing due in November yet
    expect_error(
        report_office["dz_chu"].get("/reports/overdue", params={"month": MONTH}),
        403,
        "role_required",
    )
    expect_error(
        registrar.get("/reports/overdue", params={"month": MONTH, "format": "pdf"}),
        422,
        "invalid_input",
    )
