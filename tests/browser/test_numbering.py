"""发文字号 in the browser: the tenant administrator creates 黔府办函 for the root unit (a
prefix with the year in it is refused first with the server's message, the form keeping
what was typed; the same prefix again is refused as existing); a registrar reserves a
number for a paper document (黔府办函〔<year>〕1号 已预留), voids it with a reason (已作废,
the reason and who voided it shown), and the next reservation is 2号 — a voided number is
never given again — with the year accounted for (已使用 0，已预留 1，已作废 1，共 2 个，无空号);
a registrar of the root unit's registry is refused (403) on the series of another unit
(机关事务局) and cannot create a series for it, which that unit's registrar does; at phone
width the series and their numbers are cards and a number is reserved there too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, incoming_office, ok

People = Any
NAME = "收文测试厅"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PAPER = "关于做好春运期间安全生产工作的紧急通知（纸质印发）"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = incoming_office(gw, platform_admin)
    built.add_unit("机关事务局", "unit")
    built.add_person("jw_wenshu", "罗文书", "机关事务局", ["registrar"])
    yield built


def year() -> int:
    return dt.datetime.now(SHANGHAI).year


def signed_in(
    people: People, office: Office, username: str | None, viewport: dict[str, int] = DESKTOP
) -> Person:
    """``username`` None: the tenant administrator."""
    person = people(viewport)
    page = person.sign_in(office.code, username or f"{office.code}-admin")
    full_name = office[username].full_name if username else f"{NAME}管理员"
    expect(page.get_by_text(f"您好，{full_name}")).to_be_visible()
    return person


def number_row(page: Page, number: str):
    return page.locator("[data-test=numbers-table] .el-table__body tr", has_text=number)


def series_named(office: Office) -> dict[str, dict[str, Any]]:
    return {s["prefix"]: s for s in ok(office.admin.get("/number-series"))}


def test_an_admin_creates_a_series_and_a_registrar_reserves_voids_and_reserves_again(
    people: People, office: Office
):
    y = year()
    admin = signed_in(people, office, None)
    page = admin.page
    page.locator("[data-test=menu-numbering]").click()
    expect(page.locator("[data-test=series-table]")).to_contain_text("尚无发文字号")

    # a prefix with the year in it: the server's refusal, in Chinese; the form keeps it
    page.locator("[data-test=series-create]").click()
    dialog = page.locator(".el-dialog", has_text="新建字号")
    expect(dialog.locator("[data-test=series-unit]")).to_contain_text(NAME)  # the root unit
    dialog.locator("[data-test=series-prefix]").fill(f"黔府办函〔{y}〕")
    dialog.locator("[data-test=series-name]").fill("省政府办公厅函")
    dialog.locator("[data-test=series-submit]").click()
    expect(dialog.locator("[data-test=series-dialog-error]")).to_have_text(
        "机关代字只写代字本身（如 黔府办函），不能含年份、〔〕、第、号或数字"
    )
    expect(dialog.locator("[data-test=series-prefix]")).to_have_value(f"黔府办函〔{y}〕")
    expect(dialog.locator("[data-test=series-name]")).to_have_value("省政府办公厅函")
    admin.screenshot("numbering-bad-prefix-desktop")
    assert series_named(office) == {}

    dialog.locator("[data-test=series-prefix]").fill("黔府办函")
    expect(dialog).to_contain_text(f"黔府办函〔{y}〕1号")  # how its numbers will read
    dialog.locator("[data-test=series-submit]").click()
    expect(dialog).to_be_hidden()
    table = page.locator("[data-test=series-table]")
    row = table.locator(".el-table__body tr", has_text="黔府办函")
    expect(row).to_contain_text("省政府办公厅函")
    expect(row).to_contain_text(NAME)
    expect(row).to_contain_text("尚未编号")
    expect(row).to_contain_text(f"黔府办函〔{y}〕1号")
    made = series_named(office)["黔府办函"]
    assert (made["unit_id"], made["name"]) == (office.root_id, "省政府办公厅函")

    # the same prefix again: 409, in Chinese
    page.locator("[data-test=series-create]").click()
    dialog.locator("[data-test=series-prefix]").fill("黔府办函")
    dialog.locator("[data-test=series-submit]").click()
    expect(dialog.locator("[data-test=series-dialog-error]")).to_have_text(
        "本租户已有该机关代字的发文字号，不能重复创建"
    )
    dialog.get_by_role("button", name="取消").click()
    # the administrator reads the numbers but does not number
    panel = page.locator("[data-test=numbers-panel]")
    expect(panel.locator("[data-test=numbers-counts]")).to_have_text(
        "已使用 0，已预留 0，已作废 0，共 0 个，本年尚未编号"
    )
    expect(panel.locator("[data-test=number-reserve]")).to_have_count(0)

    # a registrar reserves a number for a paper document
    clerk = signed_in(people, office, "wenshu")
    page = clerk.page
    page.locator("[data-test=menu-numbering]").click()
    page.locator("[data-test=series-table] [data-test=series-黔府办函]").click()
    panel = page.locator("[data-test=numbers-panel]")
    expect(panel).to_contain_text("黔府办函")
    panel.locator("[data-test=number-reserve]").click()
    reserve = page.locator(".el-dialog", has_text="预留文号")
    reserve.locator("[data-test=reserve-submit]").click()  # 用途 is required
    expect(reserve.locator("[data-test=reserve-error]")).to_have_text(
        "请填写用途（例如纸质文件的标题）"
    )
    reserve.locator("[data-test=reserve-purpose]").fill(PAPER)
    reserve.locator("[data-test=reserve-submit]").click()
    expect(reserve).to_be_hidden()
    first = number_row(page, f"黔府办函〔{y}〕1号")
    expect(first.locator("[data-test=number-state-1]")).to_have_text("已预留")
    expect(first).to_contain_text(PAPER)
    expect(first).to_contain_text("张文书")
    expect(panel.locator("[data-test=numbers-counts]")).to_have_text(
        "已使用 0，已预留 1，已作废 0，共 1 个，无空号"
    )
    expect(page.locator("[data-test=series-last-黔府办函]")).to_have_text("1 号")
    expect(page.locator("[data-test=series-next-黔府办函]")).to_have_text(f"黔府办函〔{y}〕2号")

    # voided with a reason (required), after a confirmation
    first.locator("[data-test=number-void-1]").click()
    void = page.locator(".el-dialog", has_text="作废原因")
    void.locator("[data-test=void-submit]").click()
    expect(void.locator("[data-test=void-error]")).to_have_text("请填写作废原因")
    void.locator("[data-test=void-reason]").fill("纸质文件改为电子印发，原预留文号作废")
    void.locator("[data-test=void-submit]").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text(f"黔府办函〔{y}〕1号")
    confirm.get_by_role("button", name="作废").click()
    expect(void).to_be_hidden()
    expect(first.locator("[data-test=number-state-1]")).to_have_text("已作废")
    expect(first.locator("[data-test=number-reason-1]")).to_have_text(
        "纸质文件改为电子印发，原预留文号作废"
    )
    expect(first).to_contain_text("作废 张文书")
    expect(first.locator("[data-test=number-void-1]")).to_have_count(0)

    # the next reservation is 2号: a voided number is never given again
    panel.locator("[data-test=number-reserve]").click()
    reserve.locator("[data-test=reserve-purpose]").fill("关于春运期间值班安排的通知（纸质）")
    reserve.locator("[data-test=reserve-submit]").click()
    expect(reserve).to_be_hidden()
    second = number_row(page, f"黔府办函〔{y}〕2号")
    expect(second.locator("[data-test=number-state-2]")).to_have_text("已预留")
    expect(panel.locator("[data-test=numbers-counts]")).to_have_text(
        "已使用 0，已预留 1，已作废 1，共 2 个，无空号"
    )
    expect(page.locator("[data-test=series-next-黔府办函]")).to_have_text(f"黔府办函〔{y}〕3号")
    rows = page.locator("[data-test=numbers-table] .el-table__body tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"黔府办函〔{y}〕2号")  # newest first
    clerk.screenshot("numbering-desktop")

    # the state filter, and another year (none numbered)
    panel.locator("[data-test=numbers-filter]").get_by_text("已作废").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"黔府办函〔{y}〕1号")
    panel.locator("[data-test=numbers-year]").click()
    pick(page, f"{y - 1} 年")
    expect(panel.locator("[data-test=numbers-counts]")).to_have_text(
        "已使用 0，已预留 0，已作废 0，共 0 个，本年尚未编号"
    )
    expect(page.locator("[data-test=numbers-table]")).to_contain_text(f"{y - 1} 年尚未编号")
    assert f"year={y - 1}" in page.url  # a reload keeps the chosen series and year

    year_view = ok(office["wenshu"].get(f"/number-series/{made['id']}/numbers"))
    assert [(n["n"], n["state"]) for n in year_view["numbers"]] == [(1, "voided"), (2, "reserved")]


def test_a_registrar_of_another_unit_is_refused_on_its_series(people: People, office: Office):
    y = year()
    ok(
        office.admin.post(
            "/number-series",
            json={
                "unit_id": office.units["机关事务局"],
                "prefix": "黔机事发",
                "name": "机关事务局发文",
            },
        ),
        201,
    )
    # the root unit's registry (文书处) does not number in 机关事务局's series
    clerk = signed_in(people, office, "wenshu")
    page = clerk.page
    clerk.open("/numbering")
    page.locator("[data-test=series-table] [data-test=series-黔机事发]").click()
    panel = page.locator("[data-test=numbers-panel]")
    expect(panel).to_contain_text("机关事务局")
    panel.locator("[data-test=number-reserve]").click()
    reserve = page.locator(".el-dialog", has_text="预留文号")
    reserve.locator("[data-test=reserve-purpose]").fill("借用机关事务局文号")
    reserve.locator("[data-test=reserve-submit]").click()
    expect(reserve.locator("[data-test=reserve-error]")).to_have_text(
        "这是其他单位的发文字号，只有该单位的文书才能在其中编号或为其创建字号"
    )
    expect(reserve.locator("[data-test=reserve-purpose]")).to_have_value("借用机关事务局文号")
    clerk.screenshot("numbering-not-own-desktop")
    reserve.get_by_role("button", name="取消").click()
    expect(panel.locator("[data-test=numbers-counts]")).to_have_text(
        "已使用 0，已预留 0，已作废 0，共 0 个，本年尚未编号"
    )

    # nor creates a series of that unit: the server's 403, what was typed kept
    page.locator("[data-test=series-create]").click()
    dialog = page.locator(".el-dialog", has_text="新建字号")
    unit = dialog.locator("[data-test=series-unit]")
    expect(unit).to_contain_text(NAME)  # the unit of their registry by default
    unit.click()
    pick(page, "机关事务局")
    expect(unit).to_contain_text("机关事务局")
    dialog.locator("[data-test=series-prefix]").fill("黔机事函")
    dialog.locator("[data-test=series-submit]").click()
    expect(dialog.locator("[data-test=series-dialog-error]")).to_have_text(
        "这是其他单位的发文字号，只有该单位的文书才能在其中编号或为其创建字号"
    )
    expect(dialog.locator("[data-test=series-prefix]")).to_have_value("黔机事函")
    assert "黔机事函" not in series_named(office)

    # 机关事务局's own registrar does, for their unit (chosen by default)
    other = signed_in(people, office, "jw_wenshu")
    page = other.page
    other.open("/numbering")
    page.locator("[data-test=series-create]").click()
    dialog = page.locator(".el-dialog", has_text="新建字号")
    unit = dialog.locator("[data-test=series-unit]")
    expect(unit).to_contain_text("机关事务局")
    dialog.locator("[data-test=series-prefix]").fill("黔机事函")
    dialog.locator("[data-test=series-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=numbers-panel]")).to_contain_text("黔机事函")
    expect(page.locator("[data-test=numbers-panel] [data-test=numbers-next]")).to_have_text(
        f"下一个号：黔机事函〔{y}〕1号"
    )


def test_at_phone_width_series_and_numbers_are_cards(people: People, office: Office):
    y = year()
    series = series_named(office).get("黔府办函") or ok(
        office.admin.post("/number-series", json={"unit_id": office.root_id, "prefix": "黔府办函"}),
        201,
    )
    clerk = signed_in(people, office, "wenshu2", PHONE)
    page = clerk.page
    clerk.open("/numbering")
    cards = page.locator("[data-test=series-cards]")
    cards.locator("[data-test=series-黔府办函]").click()
    panel = page.locator("[data-test=numbers-panel]")
    expect(panel.locator("[data-test=numbers-table]")).to_have_count(0)
    numbers = panel.locator("[data-test=numbers-cards]")
    panel.locator("[data-test=number-reserve]").click()
    reserve = page.locator(".el-dialog", has_text="预留文号")
    reserve.locator("[data-test=reserve-purpose]").fill(
        "关于做好低温雨雪冰冻天气防范工作的通知（纸质）"
    )
    reserve.locator("[data-test=reserve-submit]").click()
    expect(reserve).to_be_hidden()
    given = ok(office["wenshu2"].get(f"/number-series/{series['id']}/numbers"))
    last = given["numbers"][-1]
    card = numbers.locator(".number-card", has_text=last["number"])
    expect(card.locator(f"[data-test=number-state-{last['n']}]")).to_have_text("已预留")
    expect(card).to_contain_text("陈收发")
    assert last["number"] == f"黔府办函〔{y}〕{last['n']}号"
    clerk.screenshot("numbering-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 作废 at phone width too
    card.locator(f"[data-test=number-void-{last['n']}]").click()
    void = page.locator(".el-dialog", has_text="作废原因")
    void.locator("[data-test=void-reason]").fill("重复预留")
    void.locator("[data-test=void-submit]").click()
    page.locator(".el-message-box").get_by_role("button", name="作废").click()
    expect(card.locator(f"[data-test=number-state-{last['n']}]")).to_have_text("已作废")
    expect(card.locator(f"[data-test=number-reason-{last['n']}]")).to_have_text(
        "作废原因：重复预留"
    )
    clerk.screenshot("numbering-voided-phone")
