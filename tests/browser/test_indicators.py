"""运维指标数据 in the browser: the province's ops read the month's 应用情况 per 市州
ranked, with the ECharts chart, open a city's 12-month trend and export the table (the
workbook checked cell by cell); a city's ops report their 服务站点运维 month, are refused
a correction without its reason (what they typed stays), correct it with one; the
province's ops see who has not reported. Screenshots at 1366×768 and phone width."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from services.metrics.arithmetic import SHANGHAI
from tests.support.browser import DESKTOP, PHONE
from tests.support.gateway import (
    Gateway,
    User,
    create_user,
    error_code,
    fresh_address,
    ok,
    onboard,
    wait_until,
)
from tests.support.stacks import unique

People = Any


def this_month() -> str:
    now = dt.datetime.now(SHANGHAI)
    return f"{now.year:04d}-{now.month:02d}"


@dataclass
class Land:
    code: str
    ops: User


def _root(admin: User) -> str:
    return str(next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)["id"])


@pytest.fixture(scope="module")
def land(gw: Gateway, platform_admin: User) -> Land:
    code = unique("wb")
    ok(onboard(platform_admin, code, "浏览省", None), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    create_user(admin, "ops", "省运维", _root(admin), ["ops"])
    for suffix, name in (("a", "甲市"), ("b", "乙州")):
        ok(onboard(platform_admin, f"{code}-{suffix}", name, code), 201)
        city_admin = gw.login(f"{code}-{suffix}", f"{code}-{suffix}-admin", address=fresh_address())
        create_user(city_admin, "ops", f"{name}运维", _root(city_admin), ["ops"])
        create_user(city_admin, "staff", f"{name}职员", _root(city_admin), ["handler"])
    gw.login(f"{code}-a", "ops", address=fresh_address())  # 甲市: 2 of 3 signed in
    ops = gw.login(code, "ops", address=fresh_address())

    def ready() -> bool:
        out = ok(ops.get("/metrics/indicators", params={"month": this_month(), "level": "city"}))
        rows = {r["name"]: r for r in out["rows"]}
        return rows.get("甲市", {}).get("active_users") == 2 and rows["乙州"]["active_users"] == 1

    wait_until(ready, 30, "the indicators")
    return Land(code, ops)


def test_the_province_reads_ranks_charts_trend_and_exports(
    people: People, land: Land, tmp_path: Path
) -> None:
    person = people(DESKTOP)
    page = person.sign_in(land.code, "ops")
    expect(page.get_by_text("您好，省运维")).to_be_visible()
    page.locator("[data-test=menu-metrics-indicators]").click()
    table = page.locator("[data-test=indicator-table]")
    rows = table.locator(".el-table__body-wrapper tbody tr")
    expect(rows).to_have_count(2)
    # 乙州: its administrator signed in, 1 of 3 (33.33%); 甲市: 2 of 3 (66.67%) ranks first
    expect(rows.nth(0)).to_contain_text("甲市")
    expect(rows.nth(0)).to_contain_text("66.67%")
    expect(rows.nth(1)).to_contain_text("乙州")
    expect(rows.nth(1)).to_contain_text("33.33%")
    expect(page.locator("[data-test=indicator-total]")).to_contain_text("浏览省")
    expect(page.locator("[data-test=echart] canvas").first).to_be_visible()
    person.screenshot("indicators-desktop")

    rows.nth(0).click()
    drawer = page.locator(".el-drawer")
    expect(drawer).to_contain_text("甲市 · 近12个月趋势")
    expect(drawer.locator("canvas")).to_be_visible()
    first = drawer.locator("[data-test=indicator-trend-table] tbody tr").first
    expect(first).to_contain_text(this_month())
    expect(first).to_contain_text("66.67%")
    person.screenshot("indicators-trend-desktop")
    page.keyboard.press("Escape")

    with page.expect_download() as info:
        page.locator("[data-test=indicator-export]").click()
    download = info.value
    assert download.suggested_filename == f"运维指标数据-应用情况-市州-{this_month()}.xlsx"
    path = tmp_path / "indicators.xlsx"
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:5] == ["排名", "市州", "用户数量", "登录用户数", "登录率"]
    assert cells[1][:5] == [1, "甲市", 3, 2, 0.6667]
    assert cells[2][:5] == [2, "乙州", 3, 1, 0.3333]
    assert cells[3][:2] == ["合计", "浏览省"] and len(cells) == 4

    phone = people(PHONE)
    ppage = phone.sign_in(land.code, "ops")
    expect(ppage.get_by_text("您好，省运维")).to_be_visible()
    ppage.goto("/indicators")
    expect(ppage.locator("[data-test=indicator-table]")).to_contain_text("66.67%")
    phone.screenshot("indicators-phone")


def test_a_city_reports_corrects_and_the_province_sees_the_missing(
    people: People, land: Land
) -> None:
    person = people(DESKTOP)
    page = person.sign_in(f"{land.code}-a", "ops")
    expect(page.get_by_text("您好，甲市运维")).to_be_visible()
    page.locator("[data-test=menu-metrics-site-ops]").click()
    form = page.locator("[data-test=site-form]")
    expect(form).to_contain_text("报送")
    form.locator("[data-test=site-incidents] input").fill("2")
    form.locator("[data-test=site-opened] input").fill("40")
    form.locator("[data-test=site-closed] input").fill("38")
    form.locator("[data-test=site-response] input").fill("12.5")
    form.locator("[data-test=site-note]").fill("一切正常")
    page.locator("[data-test=site-submit]").click()
    expect(page.get_by_text("已报送").first).to_be_visible()
    table = page.locator("[data-test=site-table]")
    expect(table).to_contain_text("38")
    expect(form).to_contain_text("更正")
    # a correction without its reason: refused, what was typed stays
    form.locator("[data-test=site-incidents] input").fill("3")
    page.locator("[data-test=site-submit]").click()
    expect(page.locator("[data-test=site-form-error]")).to_contain_text("更正须填写更正原因")
    expect(form.locator("[data-test=site-incidents] input")).to_have_value("3")
    person.screenshot("site-ops-refused-desktop")
    form.locator("[data-test=site-reason]").fill("漏报一次故障")
    page.locator("[data-test=site-submit]").click()
    expect(table).to_contain_text("已更正")
    table.get_by_role("button", name="v2").click()
    history = page.locator(".el-dialog")
    expect(history).to_contain_text("漏报一次故障")
    person.screenshot("site-ops-history-desktop")

    province = people(DESKTOP)
    ppage = province.sign_in(land.code, "ops")
    expect(ppage.get_by_text("您好，省运维")).to_be_visible()
    ppage.goto("/site-ops")
    expect(ppage.locator("[data-test=site-missing]")).to_contain_text("未报送：乙州")
    expect(ppage.locator("[data-test=site-table]")).to_contain_text("已更正")
    expect(ppage.locator("[data-test=site-form]")).to_have_count(0)
    province.screenshot("site-ops-province-desktop")

    phone = people(PHONE)
    mpage = phone.sign_in(land.code, "ops")
    expect(mpage.get_by_text("您好，省运维")).to_be_visible()
    mpage.goto("/site-ops")
    expect(mpage.locator("[data-test=site-missing]")).to_be_visible()
    phone.screenshot("site-ops-phone")


def test_the_menu_offers_the_indicators_to_the_provinces_leader_not_a_citys(
    gw: Gateway, platform_admin: User, people: People
) -> None:
    """A leader of the province finds 运维指标 in the menu; a city's leader does not (a
    city's indicators are for its ops and administrator), and the page, typed in, says so."""
    code = unique("wl")
    ok(onboard(platform_admin, code, "领导省", None), 201)
    ok(onboard(platform_admin, f"{code}-a", "领导市", code), 201)
    for tenant in (code, f"{code}-a"):
        admin = gw.login(tenant, f"{tenant}-admin", address=fresh_address())
        create_user(admin, "lingdao", "周领导", _root(admin), ["gov_leader"])
    province = gw.login(code, "lingdao", address=fresh_address())
    city = gw.login(f"{code}-a", "lingdao", address=fresh_address())
    assert ok(province.get("/me"))["tenant_parent_id"] is None
    assert ok(city.get("/me"))["tenant_parent_id"] == ok(province.get("/me"))["tenant_id"]

    def refused() -> str | None:  # once metrics has heard of the city
        response = city.get("/metrics/indicators", params={"month": this_month()})
        return error_code(response) if response.status_code == 403 else None

    assert wait_until(refused, 30, "the city leader refused") == "indicators_forbidden"

    person = people(DESKTOP)
    page = person.sign_in(code, "lingdao")
    expect(page.get_by_text("您好，周领导")).to_be_visible()
    expect(page.locator("[data-test=menu-metrics-indicators]")).to_have_text("运维指标")

    person = people(DESKTOP)
    page = person.sign_in(f"{code}-a", "lingdao")
    expect(page.get_by_text("您好，周领导")).to_be_visible()
    expect(page.locator("[data-test=menu-my-instructions]")).to_be_visible()  # the menu is up
    expect(page.locator("[data-test=menu-metrics-indicators]")).to_have_count(0)
    person.open("/indicators")
    expect(page.locator("[data-test=indicator-error]")).to_have_text(
        "运维指标仅供运维人员、管理员和省级领导查看"
    )
