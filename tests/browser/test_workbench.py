"""The web workbench as its people use it: sign in (and a wrong password), the home
counts, the to-do list with urgency, working days left and a red overdue row, opening
the document at its task and signing for it, phone width, an expired session, the
password page, and nothing loaded from outside the gateway."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from services.routing.working_days import SHANGHAI
from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.gateway import PASSWORD, Gateway, Office, User, ok, register, setup_office, todo
from tests.support.stacks import SyncRpc, unique
from tests.support.waiting import eventually

People = Any  # the ``people`` fixture: people(viewport) -> Person

OVERDUE_TITLE = "关于报送年度政务数据统计报表的通知"
URGENT_TITLE = "关于做好寒潮天气防范应对工作的紧急通知"
HURRIED_TITLE = "关于开展政务服务满意度调查的通知"
#: the browser's clock in these tests: Friday 11 Dec 2026, 09:00 Shanghai
BROWSER_NOW = dt.datetime(2026, 12, 11, 9, 0, tzinfo=SHANGHAI)


def shanghai(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def distribute(office: Office, title: str, urgency: str) -> dict[str, Any]:
    registrar = office["wenshu"]
    doc = register(
        registrar, title, urgency=urgency, doc_number=f"黔办发〔2026〕{unique('')[:3]}号"
    )
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"], "assisting_unit_ids": []},
        )
    )
    return doc


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User, rpc: SyncRpc) -> Iterator[Office]:
    """A tenant of its own with a registry and 电子政务处 (a handler and its head), and
    three documents distributed to the division with routing's test clock: one on
    Monday 7 Dec (overdue since the end of Thursday 10 Dec), two (特急, 加急) on Friday
    11 Dec at 09:00 — due at the end of Wednesday 16 Dec."""
    built = setup_office(gw, platform_admin, unique("wb"), "工作台测试厅")
    for unit in ("文书处", "电子政务处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("dz_chu", "王处长", "电子政务处", ["division_head"])
    try:
        rpc.call("routing", "set_test_clock", now=shanghai(2026, 12, 7, 10).isoformat())
        built.tenant["overdue_doc"] = distribute(built, OVERDUE_TITLE, "平件")
        rpc.call("routing", "set_test_clock", now=BROWSER_NOW.isoformat())
        rpc.call("routing", "scan_now")
        built.tenant["urgent_doc"] = distribute(built, URGENT_TITLE, "特急")
        built.tenant["hurried_doc"] = distribute(built, HURRIED_TITLE, "加急")
        handler = built["dz_ban1"]
        listed = {t["title"]: t for t in todo(handler)}
        assert listed[OVERDUE_TITLE]["overdue"] is True, listed
        assert {URGENT_TITLE, HURRIED_TITLE} <= set(listed)
        yield built
    finally:
        rpc.call("routing", "set_test_clock", now=None)


def settled_unread(handler: User) -> int:
    """The handler's unread count once what the fixture set off has reached the inbox (a
    to-do for each of the three documents and the overdue notice come as events)."""

    def arrived() -> int | None:
        page = ok(handler.get("/notifications", params={"limit": 50}))
        kinds = [n["kind"] for n in page["items"]]
        settled = kinds.count("todo") >= 3 and "overdue" in kinds
        return page["unread_count"] if settled else None

    return int(eventually(arrived, what="the to-dos and the overdue notice"))


def at_browser_now(person: Person) -> Person:
    person.context.clock.set_fixed_time(BROWSER_NOW)
    return person


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = at_browser_now(people(viewport))
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def test_a_wrong_password_is_refused_with_a_message_then_sign_in_and_out(
    people: People, office: Office
):
    person = people(DESKTOP)
    page = person.sign_in(office.code, "dz_ban1", "not-the-password")
    expect(page.locator("[data-test=login-error]")).to_contain_text("租户代码、用户名或密码错误")
    expect(page.get_by_label("用户名")).to_have_value("dz_ban1")  # nothing typed is lost
    person.screenshot("login-error-desktop")

    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("您好，李承办")).to_be_visible()
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=logout]").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.goto("/todo")  # signed out: back to the sign-in page
    expect(page).to_have_url(re.compile(r"/login\?redirect="))


def test_home_shows_the_counts_and_the_bell_each_a_link(people: People, office: Office):
    handler = office["dz_ban1"]
    unread = settled_unread(handler)
    person = signed_in(people, office, "dz_ban1")
    page = person.page
    expect(page.locator("[data-test=count-todo]")).to_contain_text("3")
    expect(page.locator("[data-test=count-overdue]")).to_contain_text("1")
    expect(page.locator("[data-test=count-reading]")).to_contain_text("0")
    expect(page.locator("[data-test=count-unread]")).to_contain_text(str(unread))
    if unread:
        expect(page.locator("[data-test=bell] sup")).to_have_text(str(unread))
    expect(page.get_by_text(URGENT_TITLE)).to_be_visible()  # the most urgent to-dos
    person.screenshot("home-desktop")

    page.locator("[data-test=count-overdue]").click()
    expect(page).to_have_url(re.compile(r"/todo\?overdue=1"))
    rows = page.locator("[data-test=task-table] .el-table__body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(OVERDUE_TITLE)


def test_the_to_do_list_orders_by_urgency_counts_working_days_and_shows_overdue_in_red(
    people: People, office: Office
):
    person = signed_in(people, office, "dz_ban1")
    page = person.page
    page.locator("[data-test=menu-todo]").click()
    rows = page.locator("[data-test=task-table] .el-table__body tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("特急")
    expect(rows.nth(0)).to_contain_text(URGENT_TITLE)
    expect(rows.nth(0)).to_contain_text("剩 3 个工作日")  # Mon, Tue, Wed after Friday
    expect(rows.nth(0)).to_contain_text("2026-12-16 24:00")
    expect(rows.nth(1)).to_contain_text("加急")
    expect(rows.nth(2)).to_contain_text(OVERDUE_TITLE)
    expect(rows.nth(2)).to_contain_text("超期 1 天")
    expect(rows.nth(2)).to_have_class(re.compile("overdue-row"))
    expect(rows.nth(0)).not_to_have_class(re.compile("overdue-row"))
    color = rows.nth(2).locator("[data-test=deadline]").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(245, 108, 108)", color  # red
    person.screenshot("todo-desktop")

    page.get_by_placeholder("搜索标题或文号").fill("寒潮")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(URGENT_TITLE)


def test_one_click_opens_the_document_at_its_task_and_a_second_sign_is_refused(
    people: People, office: Office
):
    first = signed_in(people, office, "dz_ban1")
    second = signed_in(people, office, "dz_ban1")  # the same handler, in another window
    for person in (first, second):
        person.page.locator("[data-test=menu-todo]").click()
        person.page.get_by_role("link", name=HURRIED_TITLE).click()
        expect(person.page.locator("[data-test=document-title]")).to_have_text(HURRIED_TITLE)
        expect(person.page.locator("[data-test=task-actions]")).to_contain_text("签收")
    first.screenshot("document-desktop")

    first.page.locator("[data-test=action-sign]").click()
    expect(first.page.get_by_text("已签收")).to_be_visible()
    second.page.locator("[data-test=action-sign]").click()
    expect(second.page.locator("[data-test=action-error]")).not_to_be_empty()
    doc_id = office.tenant["hurried_doc"]["id"]
    signed = [
        t
        for t in ok(office["dz_ban1"].get(f"/documents/{doc_id}/tasks"))
        if t["step"] != "registry_distribute"
    ]
    assert [t["status"] for t in signed].count("done") == 1  # signed once


def test_at_phone_width_the_menu_is_a_drawer_and_lists_are_cards(people: People, office: Office):
    person = at_browser_now(people(PHONE))
    page = person.open("/login")
    person.screenshot("login-phone")
    person.sign_in(office.code, "dz_ban1")
    expect(page.get_by_text("您好，李承办")).to_be_visible()
    expect(page.locator("aside")).to_have_count(0)
    person.screenshot("home-phone")
    page.locator("[data-test=menu-toggle]").click()
    page.locator("[data-test=menu-todo]").click()
    cards = page.locator("[data-test=task-cards] a")
    expect(cards.first).to_contain_text(URGENT_TITLE)
    expect(page.locator(".task-card-overdue")).to_contain_text("超期 1 天")
    person.screenshot("todo-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # no sideways scrolling
    cards.first.click()
    expect(page.locator("[data-test=document-title]")).to_have_text(URGENT_TITLE)
    person.screenshot("document-phone")


def test_an_expired_session_returns_to_sign_in_with_a_message(people: People, office: Office):
    person = signed_in(people, office, "dz_ban1")
    page = person.page
    # the tokens go bad while no workbench runs (on the origin's /healthz): an open one
    # would meet them first, sign out there, and the page below would find no session
    page.goto("/healthz")
    page.evaluate(
        "() => { localStorage.setItem('gongwen.access_token', 'expired.token.x');"
        " localStorage.setItem('gongwen.refresh_token', 'grt1.revoked'); }"
    )
    page.goto("/todo")
    expect(page.locator("[data-test=expired]")).to_contain_text("登录已过期，请重新登录")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_wrong_current_password_is_shown_at_its_field(people: People, office: Office):
    person = signed_in(people, office, "dz_chu")
    page = person.page
    page.locator("[data-test=menu-password]").click()
    page.get_by_label("当前密码").fill("not-my-password")
    page.get_by_label("新密码（至少 8 位）").fill("Another-2026-pass")
    page.get_by_label("再次输入新密码").fill("Another-2026-pass")
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_text("当前密码不正确")).to_be_visible()
    expect(page.get_by_label("新密码（至少 8 位）")).to_have_value("Another-2026-pass")
    person.screenshot("password-desktop")


def test_nothing_is_loaded_from_outside_the_gateway_docs_included(people: People, office: Office):
    person = signed_in(people, office, "dz_ban1")
    person.page.locator("[data-test=menu-todo]").click()
    expect(person.page.locator("[data-test=task-table]")).to_be_visible()
    person.page.goto("/docs")
    expect(person.page.get_by_text("Gongwen API")).to_be_visible()
    expect(person.page.locator(".opblock").first).to_be_visible()
    person.screenshot("docs-desktop")
    origin = urlsplit(person.base_url).netloc
    outside = [
        u
        for u in person.requests
        if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != origin
    ]
    assert outside == []
