"""The ledgers in the browser (DESIGN 6): the e-government division's handler (李承办)
registers a supplier with its people, adds a work item in 新建事项, finds the item
past its planned end in red (已延期 by itself, 仅看延期) and exports the ledger (the
workbook checked cell by cell); the supplier's engineer (陈工) sees only their
company's items and reports progress on one (60 %, kept in its 办理记录); the division
head (王处长) marks it 已完成 and reads the monthly summary. 每日台账: the handler
records the day's work linking the task they completed today (offered under 当日已办);
the division head sees who has not filled in the previous working day and exports the
month. Screenshots at 1366×768 and at phone width (390)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from services.common.vocabulary import SHANGHAI
from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import (
    Gateway,
    Office,
    User,
    act,
    incoming_office,
    ok,
    open_task,
    real_pdf,
    register,
)
from tests.support.waiting import eventually

People = Any
DOC_TITLE = "关于报送电子政务网运维指标数据的通知"


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = incoming_office(gw, platform_admin)
    built.add_unit("外协单位", "unit")
    built.add_person("sup_a1", "陈工", "外协单位", ["supplier"])
    built.add_person("sup_b1", "杨工", "外协单位", ["supplier"])
    yield built


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def menu(page: Page, name: str, phone: bool = False) -> None:
    if phone:
        page.locator("[data-test=menu-toggle]").click()
    page.locator(f"[data-test=menu-{name}]").click()


def test_the_supplier_ledger_in_the_browser(people: People, office: Office, tmp_path: Path) -> None:
    clerk_api = office["dz_ban1"]
    day = dt.timedelta(days=1)
    # another supplier and its item, through the API (陈工 must not see it)
    other = ok(
        clerk_api.post(
            "/ledger/suppliers", json={"name": "筑网公司", "user_ids": [office["sup_b1"].id]}
        ),
        201,
    )
    ok(
        clerk_api.post(
            "/ledger/items",
            json={
                "title": "门户网站改版",
                "supplier_id": other["id"],
                "planned_start": (today() - day).isoformat(),
                "planned_end": (today() + 30 * day).isoformat(),
            },
        ),
        201,
    )

    clerk = signed_in(people, office, "dz_ban1")
    page = clerk.page
    menu(page, "ledger-items")
    expect(page).to_have_url(f"{clerk.base_url}/ledger/items")

    # 供应商: register 黔云科技 with 陈工
    page.locator("[data-test=open-suppliers]").click()
    dialog = page.locator(".el-dialog:visible", has_text="登记供应商")
    dialog.locator("[data-test=supplier-name]").fill("黔云科技有限公司")
    dialog.locator("[data-test=supplier-contact]").fill("陈工 13900000011")
    dialog.locator("[data-test=supplier-users]").click()
    pick(page, "陈工")
    dialog.locator("[data-test=supplier-name]").click()  # close the dropdown
    dialog.locator("[data-test=supplier-save]").click()
    expect(dialog.locator("[data-test=supplier-table]")).to_contain_text("黔云科技有限公司")
    expect(dialog.locator("[data-test=supplier-table]")).to_contain_text("陈工")
    # a name taken: the server's message, what was typed kept
    dialog.locator("[data-test=supplier-name]").fill("筑网公司")
    dialog.locator("[data-test=supplier-save]").click()
    expect(dialog.locator("[data-test=supplier-error]")).to_have_text(
        "已有名为「筑网公司」的供应商"
    )
    expect(dialog.locator("[data-test=supplier-name]")).to_have_value("筑网公司")
    dialog.get_by_role("button", name="关闭", exact=True).click()
    expect(page.locator(".el-dialog:visible")).to_have_count(0)

    # 新建事项: ended yesterday, so shown 已延期 at once
    page.locator("[data-test=new-item]").click()
    form = page.locator(".el-dialog:visible", has_text="新建台账事项")
    form.locator("[data-test=item-title]").fill("机房巡检")
    form.locator("[data-test=item-project]").fill("电子政务网二期")
    form.locator("[data-test=item-supplier]").click()
    pick(page, "黔云科技有限公司")
    form.locator("[data-test=item-supplier-person]").click()
    pick(page, "陈工")
    form.get_by_placeholder("开始日期").fill((today() - 10 * day).isoformat())
    end = form.get_by_placeholder("结束日期")
    end.fill((today() - day).isoformat())
    end.press("Enter")
    form.locator("[data-test=item-title]").click()
    form.locator("[data-test=item-save]").click()
    expect(page.locator(".el-dialog:visible")).to_have_count(0)
    table = page.locator("[data-test=ledger-table]")
    late_row = table.locator(".el-table__body tr", has_text="机房巡检")
    expect(late_row.locator("[data-test=row-status]")).to_have_text("已延期")
    expect(late_row).to_have_class(re.compile("row-late"))
    expect(
        table.locator(".el-table__body tr", has_text="门户网站改版").locator(
            "[data-test=row-status]"
        )
    ).to_have_text("未开始")
    clerk.screenshot("ledger-items-desktop")

    page.locator("[data-test=filter-delayed]").click()
    expect(table.locator(".el-table__body tr")).to_have_count(1)
    expect(table).to_contain_text("机房巡检")

    # 导出: the delayed items, cell by cell
    with page.expect_download() as info:
        page.locator("[data-test=ledger-export]").click()
    download = info.value
    assert download.suggested_filename == "专项工作台账.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    cells = [[c.value for c in r] for r in openpyxl.load_workbook(path).active.iter_rows()]
    assert cells[0] == [
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
    assert cells[1:] == [
        [
            1,
            "机房巡检",
            "电子政务网二期",
            "黔云科技有限公司",
            "陈工",
            None,
            dt.datetime.combine(today() - 10 * day, dt.time()),
            dt.datetime.combine(today() - day, dt.time()),
            "中",
            "已延期",
            "是",
            0,
            None,
        ]
    ]

    # 陈工: only 黔云's items; reports progress
    engineer = signed_in(people, office, "sup_a1")
    epage = engineer.page
    menu(epage, "ledger-items")
    etable = epage.locator("[data-test=ledger-table]")
    expect(etable.locator(".el-table__body tr")).to_have_count(1)
    expect(etable).to_contain_text("机房巡检")
    expect(etable).not_to_contain_text("门户网站改版")
    expect(epage.locator("[data-test=new-item]")).to_have_count(0)
    etable.locator("[data-test=row-title]", has_text="机房巡检").click()
    expect(epage.locator("[data-test=item-delayed]")).to_be_visible()
    progress = epage.locator("[data-test=progress-form]")
    number = progress.locator("[data-test=progress-percent] input")
    number.fill("60")
    number.press("Enter")
    progress.locator("[data-test=progress-text]").fill("完成 3 个机房的巡检")
    report = tmp_path / "巡检报告.pdf"
    report.write_bytes(real_pdf("inspection report"))
    progress.locator("input[type=file]").set_input_files(str(report))
    expect(progress).to_contain_text("巡检报告.pdf")
    progress.locator("[data-test=progress-save]").click()
    history = epage.locator("[data-test=item-history]")
    expect(history.locator("[data-test=history-entry]").first).to_contain_text(
        "陈工 更新进度为 60%"
    )
    expect(history).to_contain_text("完成 3 个机房的巡检")
    expect(history.locator("[data-test=history-file]")).to_contain_text("巡检报告.pdf")
    with epage.expect_download() as got:
        history.locator("[data-test=history-file]").click()
    assert got.value.suggested_filename == "巡检报告.pdf"
    saved = tmp_path / "downloaded.pdf"
    got.value.save_as(saved)
    assert saved.read_bytes() == report.read_bytes()
    expect(epage.locator("[data-test=status-form]")).to_have_count(0)
    engineer.screenshot("ledger-item-supplier-desktop")

    # 王处长: 已完成, then the monthly summary
    head = signed_in(people, office, "dz_chu")
    hpage = head.page
    menu(hpage, "ledger-items")
    hpage.locator("[data-test=row-title]", has_text="机房巡检").click()
    hpage.locator("[data-test=item-edit]").click()
    edit = hpage.locator(".el-dialog:visible", has_text="修改台账事项")
    expect(edit.locator("[data-test=item-title]")).to_have_value("机房巡检")
    edit.locator("[data-test=item-project]").fill("电子政务网巡检专项")
    edit.locator("[data-test=item-save]").click()
    expect(hpage.locator(".el-dialog:visible")).to_have_count(0)
    expect(hpage.locator(".el-descriptions")).to_contain_text("电子政务网巡检专项")
    expect(hpage.locator("[data-test=history-entry]").first).to_contain_text("王处长 修改了事项")
    expect(hpage.locator("[data-test=history-entry]").first).to_contain_text("修改了项目")
    status = hpage.locator("[data-test=status-form]")
    status.locator("[data-test=status-select]").click()
    pick(hpage, "已完成")
    status.locator("[data-test=status-note]").fill("巡检报告已归档")
    status.locator("[data-test=status-save]").click()
    expect(hpage.locator("[data-test=item-status]")).to_have_text("已完成")
    expect(hpage.locator("[data-test=item-delayed]")).to_have_count(0)
    expect(hpage.locator("[data-test=history-entry]").first).to_contain_text(
        "王处长 将状态由「进行中」改为「已完成」"
    )
    head.screenshot("ledger-item-done-desktop")
    hpage.get_by_role("button", name="返回台账").click()
    hpage.get_by_role("tab", name="月度汇总").click()
    summary = hpage.locator("[data-test=summary-table]")
    row = summary.locator(".el-table__body tr", has_text="黔云科技有限公司")
    last_month_day = today() - 10 * day
    if last_month_day.month == today().month or (today() - day).month == today().month:
        expect(row.locator("td")).to_have_text(
            ["黔云科技有限公司", "1", "1", "0", "0", "0", "0", "1"]
        )
    head.screenshot("ledger-summary-desktop")

    # at phone width: cards, the delayed one red
    phone = signed_in(people, office, "dz_ban1", PHONE)
    menu(phone.page, "ledger-items", phone=True)
    cards = phone.page.locator("[data-test=ledger-cards]")
    expect(cards).to_contain_text("机房巡检")
    expect(cards).to_contain_text("门户网站改版")
    phone.screenshot("ledger-items-phone")
    phone.page.locator(".item-card", has_text="机房巡检").click()
    expect(phone.page.locator("[data-test=item-history]")).to_contain_text("更新进度为 60%")
    phone.screenshot("ledger-item-phone")


def previous_working_day(person: Any, on: dt.date) -> dt.date:
    days: dict[dt.date, bool] = {}
    for month in {(on - dt.timedelta(days=31)).strftime("%Y-%m"), on.strftime("%Y-%m")}:
        for d in ok(person.get(f"/calendar/months/{month}"))["days"]:
            days[dt.date.fromisoformat(d["date"])] = d["working"]
    day = on - dt.timedelta(days=1)
    while not days.get(day, day.isoweekday() <= 5):
        day -= dt.timedelta(days=1)
    return day


def test_the_daily_ledger_in_the_browser(people: People, office: Office, tmp_path: Path) -> None:
    registrar, handler_api = office["wenshu"], office["dz_ban1"]
    division = office.units["电子政务处"]
    # the handler completes a task today (签收), through the API
    doc = register(registrar, DOC_TITLE)
    open_task(registrar, doc["id"], "registry_distribute")
    ok(registrar.post(f"/documents/{doc['id']}/distribute", json={"lead_unit_id": division}))
    sign = open_task(handler_api, doc["id"], "division_sign")
    act(handler_api, sign["id"], action="sign", is_leader_instruction=False)
    eventually(lambda: ok(handler_api.get("/ledger/daily/suggestions")))
    previous = previous_working_day(handler_api, today())

    handler = signed_in(people, office, "dz_ban1")
    page = handler.page
    menu(page, "ledger-daily")
    form = page.locator("[data-test=entry-form]")
    suggestion = form.locator("[data-test=suggestion]", has_text=DOC_TITLE)
    expect(suggestion).to_be_visible()
    suggestion.click()
    form.locator("[data-test=entry-content]").fill("签收运维指标数据通知并拟办")
    form.locator("[data-test=entry-save]").click()
    entry = page.locator("[data-test=mine-entry]", has_text="签收运维指标数据通知并拟办")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text(f"已办：{DOC_TITLE}")
    expect(page.locator("[data-test=mine-day]").first).to_contain_text(today().isoformat())
    expect(page.get_by_role("tab", name="处室台账")).to_have_count(0)
    handler.screenshot("ledger-daily-desktop")

    # the previous working day, typed in the date picker
    day_input = form.get_by_placeholder("台账日期")
    day_input.fill(previous.isoformat())
    day_input.press("Enter")
    form.locator("[data-test=entry-content]").fill("整理处室周报")
    form.locator("[data-test=entry-save]").click()
    if previous.strftime("%Y-%m") == today().strftime("%Y-%m"):
        expect(page.locator("[data-test=mine-entry]", has_text="整理处室周报")).to_be_visible()

    # 王处长: who has not filled in the previous working day; the month's export
    head = signed_in(people, office, "dz_chu")
    hpage = head.page
    menu(hpage, "ledger-daily")
    hpage.get_by_role("tab", name="处室台账").click()
    missing = hpage.locator("[data-test=division-missing]")
    expect(missing).to_contain_text(f"{previous.isoformat()}（上一个工作日） 未填报")
    expect(missing.locator("[data-test=missing-person]")).to_have_count(2)
    expect(missing).to_contain_text("吴承办")
    expect(missing).to_contain_text("王处长")
    expect(missing).not_to_contain_text("李承办")
    people_table = hpage.locator("[data-test=division-people]")
    expect(people_table.locator(".el-table__body tr", has_text="李承办")).to_contain_text(
        "整理处室周报"
    )
    head.screenshot("ledger-division-desktop")

    month_input = hpage.get_by_placeholder("汇总月份")
    month_input.fill(previous.strftime("%Y-%m"))
    month_input.press("Enter")
    summary = hpage.locator("[data-test=division-summary]")
    expect(summary.locator(".el-table__body tr", has_text="李承办")).to_be_visible()
    with hpage.expect_download() as info:
        hpage.locator("[data-test=division-export]").click()
    download = info.value
    assert download.suggested_filename == f"每日台账-{previous.strftime('%Y-%m')}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    detail = [[c.value for c in r] for r in book["台账明细"].iter_rows()]
    assert detail[0] == ["日期", "姓名", "工作内容", "关联公文/待办"]
    assert [dt.datetime.combine(previous, dt.time()), "李承办", "整理处室周报", None] in detail
    per_person = {
        r[0]: r for r in [[c.value for c in row] for row in book["人员汇总"].iter_rows()][1:]
    }
    assert set(per_person) == {"李承办", "吴承办", "王处长"}
    assert per_person["吴承办"][1:3] == [0, 0]
    assert per_person["李承办"][1] >= 1

    # at phone width
    phone = signed_in(people, office, "dz_chu", PHONE)
    menu(phone.page, "ledger-daily", phone=True)
    phone.screenshot("ledger-daily-phone")
    phone.page.get_by_role("tab", name="处室台账").click()
    expect(phone.page.locator("[data-test=division-missing]")).to_contain_text("吴承办")
    phone.screenshot("ledger-division-phone")
