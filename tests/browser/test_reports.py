"""超期通报 in the browser: the registrar opens the month's report (last month by
default), sees the totals, the bar chart per division and the tables per division, per
person and of every document with its working days late, and downloads it as XLSX
(opened with openpyxl) and CSV; a division head sees their own list and the 12-month
trend; at phone width the page does not scroll sideways."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from services.common.vocabulary import SHANGHAI
from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, act, ok
from tests.support.overdue import build_office, new_document, shanghai
from tests.support.stacks import SyncRpc

People = Any
MONTH = "2026-10"
NEVER_SIGNED = "关于做好国庆节后安全生产工作的通知"
SIGNED_LATE = "关于报送第三季度政务公开工作情况的通知"


@pytest.fixture(scope="module")
def october(gw: Gateway, platform_admin: User, rpc: SyncRpc) -> Iterator[dict[str, Any]]:
    """Distributed on Wed 30 Sep 2026 (due at the end of Sat 10 Oct): one never signed by
    电子政务处, one signed late (12 Oct) by 综合处's 郑承办, whose 拟办 then stays open
    past its own deadline; the report is read on Mon 2 Nov."""
    office = build_office(gw, platform_admin, "超期通报浏览器测试厅")
    try:
        rpc.call("routing", "set_test_clock", now=shanghai(2026, 9, 30, 10).isoformat())
        _, [never] = new_document(office, NEVER_SIGNED, "电子政务处", number="黔超浏〔2026〕1号")
        _, [late] = new_document(office, SIGNED_LATE, "综合处", number="黔超浏〔2026〕2号")
        rpc.call("routing", "set_test_clock", now=shanghai(2026, 10, 12, 10).isoformat())
        act(office["zh_ban"], late["id"], action="sign")
        rpc.call("routing", "set_test_clock", now=shanghai(2026, 11, 2, 10).isoformat())
        report = ok(office["wenshu"].get("/reports/overdue", params={"month": MONTH}))
        assert report["totals"]["overdue_documents"] == 2, report["totals"]
        yield {"office": office, "report": report}
    finally:
        rpc.call("routing", "set_test_clock", now=None)


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def last_month_in_shanghai() -> str:
    first = dt.datetime.now(SHANGHAI).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def test_the_registrar_reads_the_month_and_downloads_it_as_xlsx_and_csv(
    people: People, october: dict[str, Any], tmp_path: Any
):
    office, report = october["office"], october["report"]
    clerk = signed_in(people, office, "wenshu")
    page = clerk.page
    page.locator("[data-test=menu-overdue-report]").click()
    y, m = last_month_in_shanghai().split("-")
    expect(page.locator("[data-test=report-heading]")).to_have_text(f"{y}年{int(m)}月超期文件通报")

    page.goto(f"/reports/overdue?month={MONTH}")
    expect(page.locator("[data-test=report-heading]")).to_have_text("2026年10月超期文件通报")
    totals = page.locator("[data-test=report-totals]")
    expect(totals).to_contain_text("超期文件（件）")
    expect(totals.locator(".stat-value").first).to_have_text(
        str(report["totals"]["overdue_documents"])
    )
    expect(page.locator("[data-test=chart] canvas")).to_be_visible()
    divisions = page.locator("[data-test=by-division] .el-table__body tr")
    expect(divisions).to_have_count(len(report["by_division"]))
    for row in report["by_division"]:
        expect(divisions.filter(has_text=row["unit_name"])).to_contain_text(
            str(row["overdue_documents"])
        )
    page.wait_for_timeout(600)  # the chart's animation
    clerk.screenshot("overdue-report-desktop")

    page.get_by_role("tab", name="按人员").click()
    people_rows = page.locator("[data-test=by-person] .el-table__body tr")
    expect(people_rows.filter(has_text="郑承办")).to_contain_text("综合处")
    page.get_by_role("tab", name="超期明细").click()
    items = page.locator("[data-test=overdue-items] .el-table__body tr")
    expect(items).to_have_count(len(report["items"]))
    never = next(i for i in report["items"] if i["title"] == NEVER_SIGNED)
    never_row = items.filter(has_text=NEVER_SIGNED)
    expect(never_row).to_contain_text("黔超浏〔2026〕1号")
    expect(never_row).to_contain_text("未办理")
    expect(never_row.locator("[data-test=days-late]")).to_have_text(str(never["working_days_late"]))
    clerk.screenshot("overdue-report-items-desktop")

    with page.expect_download() as info:
        page.locator("[data-test=download-xlsx]").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    assert "超期明细" in book.sheetnames, book.sheetnames
    cells = {
        str(c.value) for row in book["超期明细"].iter_rows() for c in row if c.value is not None
    }
    assert {NEVER_SIGNED, SIGNED_LATE, "黔超浏〔2026〕1号"} <= cells, cells

    with page.expect_download() as info:
        page.locator("[data-test=download-csv]").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    text = path.read_bytes().decode("utf-8-sig")
    titles = {row[2] for row in csv.reader(io.StringIO(text))}
    assert {NEVER_SIGNED, SIGNED_LATE} <= titles, titles


def test_a_division_head_sees_the_own_list_and_the_trend(people: People, october: dict[str, Any]):
    office = october["office"]
    head = signed_in(people, office, "dz_chu")
    page = head.page
    page.locator("[data-test=menu-division-overdue]").click()
    expect(page.locator("[data-test=division-heading]")).to_contain_text("电子政务处")
    expect(page.locator("[data-test=division-heading]")).to_contain_text("近 12 个月")
    expect(page.locator("[data-test=chart] canvas")).to_be_visible()
    rows = page.locator("[data-test=overdue-items] .el-table__body tr")
    expect(rows.filter(has_text=NEVER_SIGNED)).to_contain_text("未办理")
    expect(rows.filter(has_text=SIGNED_LATE)).to_have_count(0)  # 综合处's
    expect(page.locator("[data-test=menu-overdue-report]")).to_have_count(0)  # the registry's
    page.wait_for_timeout(600)
    head.screenshot("division-overdue-desktop")


def test_at_phone_width_the_report_and_the_trend_fit(people: People, october: dict[str, Any]):
    office = october["office"]
    clerk = signed_in(people, office, "wenshu", PHONE)
    page = clerk.open(f"/reports/overdue?month={MONTH}")
    expect(page.locator("[data-test=report-heading]")).to_have_text("2026年10月超期文件通报")
    expect(page.locator("[data-test=chart] canvas")).to_be_visible()
    page.wait_for_timeout(600)
    clerk.screenshot("overdue-report-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    head = signed_in(people, office, "dz_chu", PHONE)
    head.open("/reports/division")
    expect(head.page.locator("[data-test=division-heading]")).to_contain_text("电子政务处")
    head.page.wait_for_timeout(600)
    head.screenshot("division-overdue-phone")
    assert head.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_registry_looks_at_any_division(people: People, october: dict[str, Any]):
    office = october["office"]
    clerk = signed_in(people, office, "wenshu")
    page = clerk.page
    page.locator("[data-test=menu-division-overdue]").click()
    expect(page.get_by_text("请选择处室")).to_be_visible()
    page.locator(".toolbar .el-select").first.click()
    pick(page, "综合处")
    expect(page.locator("[data-test=division-heading]")).to_contain_text("综合处")
    rows = page.locator("[data-test=overdue-items] .el-table__body tr")
    expect(rows.filter(has_text=SIGNED_LATE)).to_have_count(2)  # 签收 late, 拟办 still open
    expect(rows.filter(has_text=NEVER_SIGNED)).to_have_count(0)
