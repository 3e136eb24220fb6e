"""The ledgers end to end, through the gateway of the test stack with its real ledger,
identity and routing services, broker and databases.

专项工作台账: the e-government division registers two suppliers with their people,
keeps their work items; a supplier's people see and update only their company's items
(progress kept in the item's history), the division changes the status; an item past
its planned end shows 已延期 by itself; the queries, the XLSX export and the monthly
summary (opened cell by cell). 每日台账: a handler records the day's work, linking the
task they completed (offered as a suggestion); the division head sees who has not
filled in the previous working day and the monthly summary, exported as XLSX. Bad input
is refused with its own code and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from services.common.vocabulary import SHANGHAI
from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    User,
    act,
    expect_error,
    incoming_office,
    ok,
    open_task,
    real_pdf,
    register,
)
from tests.support.waiting import eventually


def shanghai_today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    """A 收文测试厅 of its own, with a unit of outside suppliers (their people hold the
    ``supplier`` role)."""
    built = incoming_office(gw, platform_admin)
    built.add_unit("外协单位", "unit")
    built.add_person("sup_a1", "陈工", "外协单位", ["supplier"])
    built.add_person("sup_a2", "刘工", "外协单位", ["supplier"])
    built.add_person("sup_b1", "杨工", "外协单位", ["supplier"])
    built.add_person("sup_free", "何工", "外协单位", ["supplier"])
    yield built


def items(person: Person, **params: Any) -> list[dict[str, Any]]:
    return list(ok(person.get("/ledger/items", params=params))["items"])


def titles(person: Person, **params: Any) -> list[str]:
    return [i["title"] for i in items(person, **params)]


def workbook(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_supplier_work_ledger(office: Office, other_office: Office) -> None:
    clerk, head, auditor = office["dz_ban1"], office["dz_chu"], office["shenji"]
    a1, a2, b1 = office["sup_a1"], office["sup_a2"], office["sup_b1"]
    today = shanghai_today()
    day = dt.timedelta(days=1)

    # -- suppliers and their people ---------------------------------------------------------------
    expect_error(
        auditor.post("/ledger/suppliers", json={"name": "某公司"}), 403, "ledger_manager_required"
    )
    expect_error(
        clerk.post(
            "/ledger/suppliers", json={"name": "某公司", "user_ids": [office["dz_ban2"].id]}
        ),
        422,
        "not_a_supplier_user",
    )
    qianyun = ok(
        clerk.post(
            "/ledger/suppliers",
            json={
                "name": "黔云科技有限公司",
                "contact": "陈工 13900000011",
                "user_ids": [a1.id, a2.id],
            },
        ),
        201,
    )
    assert {m["name"] for m in qianyun["members"]} == {"陈工", "刘工"}
    expect_error(
        clerk.post("/ledger/suppliers", json={"name": "黔云科技有限公司"}),
        409,
        "supplier_name_taken",
    )
    expect_error(
        clerk.post("/ledger/suppliers", json={"name": "筑网公司", "user_ids": [b1.id, a1.id]}),
        409,
        "user_in_other_supplier",
    )
    zhuwang = ok(
        clerk.post("/ledger/suppliers", json={"name": "筑网公司", "user_ids": [b1.id]}), 201
    )
    assert [s["name"] for s in ok(clerk.get("/ledger/suppliers"))] == [
        "筑网公司",
        "黔云科技有限公司",
    ]
    assert [s["name"] for s in ok(b1.get("/ledger/suppliers"))] == ["筑网公司"]  # their own only

    # -- items ------------------------------------------------------------------------------------
    def new_item(title: str, supplier: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "title": title,
            "project": "电子政务网二期",
            "supplier_id": supplier["id"],
            "planned_start": (today - 5 * day).isoformat(),
            "planned_end": (today + 20 * day).isoformat(),
            **fields,
        }
        return dict(ok(clerk.post("/ledger/items", json=body), 201))

    switch = new_item(
        "核心交换机升级",
        qianyun,
        supplier_person_id=a1.id,
        owner_id=clerk.id,
        priority="high",
        description="更换省级节点核心交换机",
    )
    assert (switch["supplier_person_name"], switch["owner_name"], switch["priority_label"]) == (
        "陈工",
        "李承办",
        "高",
    )
    assert (switch["shown_status_label"], switch["delayed"], switch["percent"]) == (
        "未开始",
        False,
        0,
    )
    late = new_item(
        "机房巡检",
        qianyun,
        planned_start=(today - 10 * day).isoformat(),
        planned_end=(today - day).isoformat(),
    )
    portal = new_item("门户网站改版", zhuwang, project="门户网站", owner_id=head.id)

    # bad input: nothing written
    before = len(items(clerk))
    expect_error(
        clerk.post(
            "/ledger/items",
            json={
                "title": "倒排的事项",
                "supplier_id": qianyun["id"],
                "planned_start": today.isoformat(),
                "planned_end": (today - day).isoformat(),
            },
        ),
        422,
        "end_before_start",
    )
    expect_error(
        clerk.post(
            "/ledger/items",
            json={
                "title": "别家负责人",
                "supplier_id": qianyun["id"],
                "supplier_person_id": b1.id,
                "planned_start": today.isoformat(),
                "planned_end": today.isoformat(),
            },
        ),
        422,
        "person_not_of_supplier",
    )
    expect_error(
        clerk.patch(f"/ledger/items/{switch['id']}", json={"planned_end": "2000-01-01"}),
        422,
        "end_before_start",
    )
    expect_error(
        a1.post(
            "/ledger/items",
            json={
                "title": "x",
                "supplier_id": qianyun["id"],
                "planned_start": "2026-12-01",
                "planned_end": "2026-12-02",
            },
        ),
        403,
        "ledger_manager_required",
    )
    assert len(items(clerk)) == before == 3

    # another tenant sees none of it (row-level security as well as the code)
    outsider = other_office["ban"]
    expect_error(outsider.get(f"/ledger/items/{switch['id']}"), 404, "item_not_found")
    assert titles(outsider) == [] and ok(outsider.get("/ledger/suppliers")) == []

    # -- the delayed rule: past its planned end, not done → 已延期, whatever is stored -------------
    late_now = ok(clerk.get(f"/ledger/items/{late['id']}"))
    assert (late_now["status"], late_now["shown_status"], late_now["delayed"]) == (
        "not_started",
        "delayed",
        True,
    )
    assert late_now["shown_status_label"] == "已延期"
    assert titles(clerk, delayed="true") == ["机房巡检"]
    assert titles(clerk, status="delayed") == ["机房巡检"]
    assert sorted(titles(clerk, status="not_started")) == sorted(["核心交换机升级", "门户网站改版"])

    # -- what a supplier sees and updates -------------------------------------------------------------
    assert titles(b1) == ["门户网站改版"]
    assert sorted(titles(a2)) == sorted(["核心交换机升级", "机房巡检"])
    expect_error(b1.get(f"/ledger/items/{switch['id']}"), 404, "item_not_found")
    expect_error(office["sup_free"].get(f"/ledger/items/{portal['id']}"), 404, "item_not_found")
    assert titles(office["sup_free"]) == []
    expect_error(
        b1.post(f"/ledger/items/{switch['id']}/progress", json={"percent": 50, "text": "越权"}),
        403,
        "not_own_item",
    )
    expect_error(
        clerk.post(f"/ledger/items/{switch['id']}/progress", json={"percent": 50}),
        403,
        "suppliers_only",
    )
    for percent in (-1, 101):
        expect_error(
            a1.post(f"/ledger/items/{switch['id']}/progress", json={"percent": percent}),
            422,
            "percent_out_of_range",
        )
    unchanged = ok(clerk.get(f"/ledger/items/{switch['id']}"))
    assert unchanged["percent"] == 0 and [h["kind"] for h in unchanged["history"]] == ["created"]

    progressed = ok(
        a2.post(
            f"/ledger/items/{switch['id']}/progress",
            json={"percent": 40, "text": "完成设备到货验收"},
        )
    )
    assert (progressed["percent"], progressed["shown_status_label"]) == (40, "进行中")
    assert progressed["last_progress_text"] == "完成设备到货验收"
    racked = ok(
        a1.post(f"/ledger/items/{switch['id']}/progress", json={"percent": 80, "text": "完成上架"})
    )

    # 进度附件: the author attaches a report to their update; nobody else can
    entry_id = racked["history"][0]["id"]
    attach = f"/ledger/items/{switch['id']}/progress/{entry_id}/attachments"
    report = real_pdf("rack report")
    pdf = [("files", ("上架记录.pdf", report, "application/pdf"))]
    [stored] = ok(a1.post(attach, files=pdf), 201)
    assert (stored["filename"], stored["content_type"], stored["size"]) == (
        "上架记录.pdf",
        "application/pdf",
        len(report),
    )
    expect_error(a2.post(attach, files=pdf), 403, "not_progress_author")
    expect_error(b1.post(attach, files=pdf), 404, "item_not_found")
    expect_error(clerk.post(attach, files=pdf), 403, "suppliers_only")
    exe = [("files", ("报告.exe", b"MZ\x90\x00" * 64, "application/octet-stream"))]
    expect_error(a1.post(attach, files=exe), 422, "file_type_not_allowed")
    download = f"/ledger/items/{switch['id']}/attachments/{stored['id']}"
    got = clerk.get(download)
    assert got.status_code == 200 and got.content == report
    assert got.headers["content-type"] == "application/pdf"
    expect_error(b1.get(download), 404, "item_not_found")
    [entry] = [
        h for h in ok(clerk.get(f"/ledger/items/{switch['id']}"))["history"] if h["id"] == entry_id
    ]
    assert [a["filename"] for a in entry["attachments"]] == ["上架记录.pdf"]

    # the division changes the status; no progress on a done item
    expect_error(
        a1.post(f"/ledger/items/{switch['id']}/status", json={"status": "done"}),
        403,
        "ledger_manager_required",
    )
    done = ok(
        head.post(
            f"/ledger/items/{switch['id']}/status", json={"status": "done", "note": "验收通过"}
        )
    )
    assert (done["shown_status_label"], done["percent"], done["delayed"]) == ("已完成", 100, False)
    expect_error(
        head.post(f"/ledger/items/{switch['id']}/status", json={"status": "done"}),
        409,
        "status_unchanged",
    )
    expect_error(
        a1.post(f"/ledger/items/{switch['id']}/progress", json={"percent": 90}), 409, "item_done"
    )
    expect_error(a1.post(attach, files=pdf), 409, "item_done")
    history = ok(a1.get(f"/ledger/items/{switch['id']}"))["history"]
    assert [(h["kind"], h["author_name"], h["percent"], h["text"]) for h in history] == [
        ("status", "王处长", None, "验收通过"),
        ("progress", "陈工", 80, "完成上架"),
        ("progress", "刘工", 40, "完成设备到货验收"),
        ("created", "李承办", None, ""),
    ]
    assert (history[0]["status_from"], history[0]["status_to"]) == ("in_progress", "done")

    # a suspended item is not shown delayed; an edit is in the history
    suspended = ok(clerk.post(f"/ledger/items/{late['id']}/status", json={"status": "suspended"}))
    assert (suspended["shown_status_label"], suspended["delayed"]) == ("已暂停", False)
    edited = ok(
        clerk.patch(f"/ledger/items/{portal['id']}", json={"title": "门户网站改版（二期）"})
    )
    assert edited["history"][0]["text"] == "修改了标题"

    # -- queries -----------------------------------------------------------------------------------------
    assert sorted(titles(clerk, supplier_id=qianyun["id"])) == sorted(
        ["机房巡检", "核心交换机升级"]
    )
    assert titles(clerk, project="门户网站") == ["门户网站改版（二期）"]
    assert titles(clerk, person_id=head.id) == ["门户网站改版（二期）"]
    assert titles(clerk, person_id=a1.id) == ["核心交换机升级"]
    assert titles(clerk, status="done") == ["核心交换机升级"]
    assert titles(clerk, delayed="true") == []
    assert titles(clerk, date_to=(today - 6 * day).isoformat()) == ["机房巡检"]
    assert titles(clerk, date_from=today.isoformat(), q="门户") == ["门户网站改版（二期）"]

    # -- the export, cell by cell -----------------------------------------------------------------------
    sheet = workbook(clerk.get("/ledger/items.xlsx", params={"supplier_id": qianyun["id"]})).active
    assert sheet.title == "专项工作台账"
    assert [c.value for c in sheet[1]] == [
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
    ]
    midnight = dt.time()
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows == [
        [
            1,
            "机房巡检",
            "电子政务网二期",
            "黔云科技有限公司",
            None,
            None,
            dt.datetime.combine(today - 10 * day, midnight),
            dt.datetime.combine(today - day, midnight),
            "中",
            "已暂停",
            "否",
            0,
            None,
        ],
        [
            2,
            "核心交换机升级",
            "电子政务网二期",
            "黔云科技有限公司",
            "陈工",
            "李承办",
            dt.datetime.combine(today - 5 * day, midnight),
            dt.datetime.combine(today + 20 * day, midnight),
            "高",
            "已完成",
            "否",
            100,
            "完成上架",
        ],
    ]
    supplier_sheet = workbook(b1.get("/ledger/items.xlsx")).active
    assert [r[1].value for r in supplier_sheet.iter_rows(min_row=2)] == ["门户网站改版（二期）"]

    # -- the monthly summary --------------------------------------------------------------------------
    month = today.strftime("%Y-%m")
    late_counts = 1 if (today - day).month == today.month else 0  # 机房巡检 ended yesterday
    summary = ok(clerk.get("/ledger/summary", params={"month": month}))
    by_name = {s["supplier_name"]: s for s in summary["suppliers"]}
    assert {
        k: by_name["黔云科技有限公司"][k]
        for k in ("total", "done", "in_progress", "delayed", "suspended", "completed_in_month")
    } == {
        "total": 1 + late_counts,
        "done": 1,
        "in_progress": 0,
        "delayed": 0,
        "suspended": late_counts,
        "completed_in_month": 1,
    }
    assert (by_name["筑网公司"]["total"], by_name["筑网公司"]["not_started"]) == (1, 1)
    sheet = workbook(clerk.get("/ledger/summary.xlsx", params={"month": month})).active
    assert sheet.title == f"{month}月度汇总"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["供应商", "事项数", "已完成", "进行中", "已延期", "未开始", "已暂停", "本月完成"],
        ["筑网公司", 1, 0, 0, 0, 1, 0, 0],
        ["黔云科技有限公司", 1 + late_counts, 1, 0, 0, 0, late_counts, 1],
        ["合计", 2 + late_counts, 1, 0, 0, 1, late_counts, 1],
    ]
    expect_error(clerk.get("/ledger/summary", params={"month": "2026-13"}), 422, "invalid_month")

    # -- changing a supplier: its name, its people, inactive ---------------------------------------
    free = office["sup_free"]
    supplier_path = f"/ledger/suppliers/{zhuwang['id']}"
    renamed = ok(
        clerk.patch(supplier_path, json={"name": "筑网信息公司", "user_ids": [b1.id, free.id]})
    )
    assert {m["name"] for m in renamed["members"]} == {"杨工", "何工"}
    assert titles(free) == ["门户网站改版（二期）"]  # 何工 now sees the company's items
    assert items(clerk, supplier_id=zhuwang["id"])[0]["supplier_name"] == "筑网信息公司"
    expect_error(
        clerk.patch(supplier_path, json={"name": "黔云科技有限公司"}), 409, "supplier_name_taken"
    )
    expect_error(
        clerk.patch(supplier_path, json={"user_ids": [b1.id, a1.id]}), 409, "user_in_other_supplier"
    )
    expect_error(b1.patch(supplier_path, json={"name": "自己改名"}), 403, "ledger_manager_required")
    kept = next(s for s in ok(clerk.get("/ledger/suppliers")) if s["id"] == zhuwang["id"])
    assert (kept["name"], {m["name"] for m in kept["members"]}) == (
        "筑网信息公司",
        {"杨工", "何工"},
    )
    assert ok(clerk.patch(supplier_path, json={"active": False}))["active"] is False
    expect_error(
        clerk.post(
            "/ledger/items",
            json={
                "title": "停用后的事项",
                "supplier_id": zhuwang["id"],
                "planned_start": today.isoformat(),
                "planned_end": today.isoformat(),
            },
        ),
        409,
        "supplier_inactive",
    )

    # the division may set 已延期 itself, before the planned end
    flagged = ok(clerk.post(f"/ledger/items/{portal['id']}/status", json={"status": "delayed"}))
    assert (flagged["shown_status_label"], flagged["delayed"]) == ("已延期", True)
    assert titles(clerk, delayed="true") == ["门户网站改版（二期）"]
    assert titles(clerk, status="delayed") == ["门户网站改版（二期）"]
    # a supplier's summary is their company's
    own = ok(b1.get("/ledger/summary", params={"month": month}))["suppliers"]
    assert [(s["supplier_name"], s["total"], s["delayed"]) for s in own] == [("筑网信息公司", 1, 1)]


def previous_working_day(person: Person, today: dt.date) -> dt.date:
    """From the tenant's calendar as the calendar page shows it."""
    days: dict[dt.date, bool] = {}
    for month in {(today - dt.timedelta(days=31)).strftime("%Y-%m"), today.strftime("%Y-%m")}:
        for d in ok(person.get(f"/calendar/months/{month}"))["days"]:
            days[dt.date.fromisoformat(d["date"])] = d["working"]
    day = today - dt.timedelta(days=1)
    while not days.get(day, day.isoweekday() <= 5):
        day -= dt.timedelta(days=1)
    return day


def test_the_daily_work_ledger(office: Office) -> None:
    registrar, handler, colleague = office["wenshu"], office["dz_ban1"], office["dz_ban2"]
    head, other_head, supplier = office["dz_chu"], office["zh_chu"], office["sup_a1"]
    division = office.units["电子政务处"]
    today = shanghai_today()
    previous = previous_working_day(handler, today)

    # a task the handler completes today is offered as a suggestion
    doc = register(registrar, "关于报送电子政务网运维指标数据的通知")
    distribute = open_task(registrar, doc["id"], "registry_distribute")
    assert distribute
    ok(registrar.post(f"/documents/{doc['id']}/distribute", json={"lead_unit_id": division}))
    sign = open_task(handler, doc["id"], "division_sign")
    act(handler, sign["id"], action="sign", is_leader_instruction=False)
    suggestions = eventually(lambda: ok(handler.get("/ledger/daily/suggestions")))
    [suggested] = [s for s in suggestions if s["document_id"] == doc["id"]]
    assert (suggested["task_id"], suggested["title"]) == (
        sign["id"],
        "关于报送电子政务网运维指标数据的通知",
    )

    # entries: today with the task linked, the previous working day; never a future day
    link = {"kind": "task", "id": suggested["task_id"], "title": suggested["title"]}
    entry = ok(
        handler.post("/ledger/daily", json={"content": "签收运维指标数据通知", "links": [link]}),
        201,
    )
    assert (entry["day"], entry["user_name"], entry["links"]) == (
        today.isoformat(),
        "李承办",
        [link],
    )
    earlier = ok(
        handler.post(
            "/ledger/daily", json={"day": previous.isoformat(), "content": "整理处室周报"}
        ),
        201,
    )
    expect_error(
        handler.post(
            "/ledger/daily",
            json={"day": (today + dt.timedelta(days=1)).isoformat(), "content": "明天的事"},
        ),
        422,
        "future_day",
    )
    expect_error(supplier.post("/ledger/daily", json={"content": "供应商"}), 403, "staff_only")
    mine_months = {today.strftime("%Y-%m"), previous.strftime("%Y-%m")}
    mine = [
        e
        for month in sorted(mine_months)
        for e in ok(handler.get("/ledger/daily/mine", params={"month": month}))["entries"]
    ]
    assert sorted(e["content"] for e in mine) == sorted(["整理处室周报", "签收运维指标数据通知"])

    # one's own entries only
    expect_error(
        colleague.patch(f"/ledger/daily/{earlier['id']}", json={"content": "改别人的"}),
        403,
        "not_own_entry",
    )
    changed = ok(
        handler.patch(f"/ledger/daily/{earlier['id']}", json={"content": "整理处室周报并上报"})
    )
    assert changed["content"] == "整理处室周报并上报"
    scratch = ok(handler.post("/ledger/daily", json={"content": "草稿"}), 201)
    assert handler.user.delete(f"/ledger/daily/{scratch['id']}").status_code == 204

    # -- the division head: who has not filled in the previous working day -------------------------
    view = ok(head.get("/ledger/daily/division"))
    assert view["day"] == view["previous_working_day"] == previous.isoformat()
    people = {p["name"]: p for p in view["people"]}
    assert set(people) == {"李承办", "吴承办", "王处长"}
    assert people["李承办"]["filled"] is True
    assert [e["content"] for e in people["李承办"]["entries"]] == ["整理处室周报并上报"]
    assert sorted(p["name"] for p in view["missing"]) == sorted(["吴承办", "王处长"])
    today_view = ok(head.get("/ledger/daily/division", params={"day": today.isoformat()}))
    assert sorted(p["name"] for p in today_view["missing"]) == sorted(["吴承办", "王处长"])
    expect_error(
        other_head.get("/ledger/daily/division", params={"unit_id": division}),
        403,
        "not_own_division",
    )
    expect_error(handler.get("/ledger/daily/division"), 403, "division_head_required")
    admin_view = ok(office.admin.get("/ledger/daily/division", params={"unit_id": division}))
    assert sorted(p["name"] for p in admin_view["missing"]) == sorted(["吴承办", "王处长"])

    # -- the monthly summary per person and its export ------------------------------------------------
    month = previous.strftime("%Y-%m")
    first = previous.replace(day=1)
    summary = ok(head.get("/ledger/daily/summary", params={"month": month}))
    calendar = ok(head.get(f"/calendar/months/{month}"))
    worked = [dt.date.fromisoformat(d["date"]) for d in calendar["days"] if d["working"]]
    counted = [d for d in worked if first <= d < today]
    assert summary["working_days"] == len(worked)
    rows = {p["name"]: p for p in summary["people"]}
    handler_entries = 2 if today.strftime("%Y-%m") == month else 1
    assert (rows["李承办"]["entries"], rows["李承办"]["days_filled"]) == (
        handler_entries,
        handler_entries,
    )
    assert rows["李承办"]["working_days"] == len(counted)
    assert rows["李承办"]["working_days_missing"] == len(counted) - 1
    assert (rows["吴承办"]["entries"], rows["吴承办"]["working_days_missing"]) == (0, len(counted))

    book = workbook(head.get("/ledger/daily/summary.xlsx", params={"month": month}))
    assert book.sheetnames == ["台账明细", "人员汇总"]
    detail = [[c.value for c in row] for row in book["台账明细"].iter_rows()]
    expected_detail = [["日期", "姓名", "工作内容", "关联公文/待办"]]
    expected_detail.append(
        [dt.datetime.combine(previous, dt.time()), "李承办", "整理处室周报并上报", None]
    )
    if handler_entries == 2:
        expected_detail.append(
            [
                dt.datetime.combine(today, dt.time()),
                "李承办",
                "签收运维指标数据通知",
                "关于报送电子政务网运维指标数据的通知",
            ]
        )
    assert detail == expected_detail
    per_person = [[c.value for c in row] for row in book["人员汇总"].iter_rows()]
    assert per_person[0] == ["姓名", "台账条数", "填报天数", "应填报工作日", "未填报工作日"]
    assert sorted(per_person[1:]) == sorted(
        [
            ["李承办", handler_entries, handler_entries, len(counted), len(counted) - 1],
            ["吴承办", 0, 0, len(counted), len(counted)],
            ["王处长", 0, 0, len(counted), len(counted)],
        ]
    )
