"""Administration, delegations and audit in the browser: a tenant administrator adds a
division to the org tree, renames and moves it, cannot 撤销 a unit with a user in it
(the server's reason shows) but 撤销 and 恢复 an empty one, creates a user in it, finds, edits
and deactivates them; copies the default process template and sets a step's time
limit; reads the calendar month (holidays, 调休) and adds and removes a local day off;
the platform administrator publishes a national year and onboards a tenant; a leader
authorises a secretary and revokes it; an auditor filters the trail and runs the
chain check (「校验通过」)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from devstack.stack import Stack
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD, Settings
from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import PASSWORD, Gateway, Office, User, ok, register, setup_office
from tests.support.stacks import unique

People = Any
NAME = "管理测试厅"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("gl"), NAME)
    for unit in ("文书处", "电子政务处", "秘书处"):
        built.add_unit(unit)
    built.add_person("shenji", "周审计", "文书处", ["auditor"])
    built.add_person("ting1", "赵厅长", None, ["office_leader"])
    built.add_person("mishu", "孙秘书", "秘书处", ["secretary"])
    yield built


def admin_signed_in(people: People, office: Office, viewport: dict[str, int] = DESKTOP) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, f"{office.code}-admin")
    expect(page.get_by_text(f"您好，{NAME}管理员")).to_be_visible()
    return person


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def units_named(office: Office) -> dict[str, dict[str, Any]]:
    return {u["name"]: u for u in ok(office.admin.get("/org-units"))}


def test_an_admin_adds_a_division_renames_and_moves_it(people: People, office: Office):
    admin = admin_signed_in(people, office)
    page = admin.page
    page.locator("[data-test=menu-admin-org]").click()
    tree = page.locator("[data-test=org-tree]")
    expect(tree).to_contain_text("电子政务处")
    tree.get_by_text(NAME, exact=True).click()
    page.locator("[data-test=org-add-child]").click()
    dialog = page.locator(".el-dialog", has_text="添加")
    dialog.locator("[data-test=org-name]").fill("数据资源处")
    dialog.locator("[data-test=org-submit]").click()
    expect(tree.locator("[data-test=org-node-数据资源处]")).to_be_visible()
    made = units_named(office)["数据资源处"]
    assert (made["kind"], made["parent_id"]) == ("division", office.root_id)

    # a unit to move it under
    tree.get_by_text(NAME, exact=True).click()
    page.locator("[data-test=org-add-child]").click()
    dialog.locator("[data-test=org-name]").fill("省大数据局")
    dialog.get_by_text("单位", exact=True).click()
    dialog.locator("[data-test=org-submit]").click()
    expect(tree.locator("[data-test=org-node-省大数据局]")).to_be_visible()

    tree.locator("[data-test=org-node-数据资源处]").click()
    page.locator("[data-test=org-rename]").click()
    rename = page.locator(".el-dialog", has_text="重命名")
    rename.locator("[data-test=org-name]").fill("数据资源管理处")
    rename.locator("[data-test=org-submit]").click()
    expect(tree.locator("[data-test=org-node-数据资源管理处]")).to_be_visible()

    page.locator("[data-test=org-move]").click()
    move = page.locator(".el-dialog", has_text="移动")
    move.locator(".el-select").click()
    pick(page, "省大数据局")
    move.locator("[data-test=org-submit]").click()
    expect(page.locator("[data-test=org-detail]")).to_contain_text("省大数据局")
    units = units_named(office)
    assert units["数据资源管理处"]["parent_id"] == units["省大数据局"]["id"]
    assert units["数据资源管理处"]["depth"] == units["省大数据局"]["depth"] + 1
    admin.screenshot("admin-org-desktop")


def test_an_admin_cannot_deactivate_a_unit_with_a_user_in_it_but_an_empty_one(
    people: People, office: Office
):
    office.add_unit("信息中心")
    office.add_unit("撤并办")
    office.add_person("xx_ban", "郭承办", "信息中心", ["handler"])
    admin = admin_signed_in(people, office)
    page = admin.page
    page.locator("[data-test=menu-admin-org]").click()
    tree = page.locator("[data-test=org-tree]")
    detail = page.locator("[data-test=org-detail]")

    # a user is still in it: the server's refusal, and nothing changes
    tree.locator("[data-test=org-node-信息中心]").click()
    detail.locator("[data-test=org-deactivate]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤销").click()
    expect(detail.locator("[data-test=org-action-error]")).to_have_text(
        "该机构下还有 1 名在职人员，请先调出或停用后再撤销"
    )
    expect(detail.locator("[data-test=org-status]")).to_have_text("启用")
    assert units_named(office)["信息中心"]["active"] is True
    admin.screenshot("admin-org-in-use-desktop")

    # an empty one: 撤销 after the confirmation, greyed with 已撤销
    tree.locator("[data-test=org-node-撤并办]").click()
    expect(detail.locator("[data-test=org-action-error]")).to_have_count(0)
    detail.locator("[data-test=org-deactivate]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤销").click()
    node = tree.locator("[data-test=org-node-撤并办]")
    expect(node.locator("[data-test=org-inactive]")).to_have_text("已撤销")
    expect(detail.locator("[data-test=org-status]")).to_have_text("已撤销")
    expect(detail.locator("[data-test=org-add-child]")).to_be_disabled()
    assert units_named(office)["撤并办"]["active"] is False
    admin.screenshot("admin-org-deactivated-desktop")

    # and back: 恢复
    detail.locator("[data-test=org-reactivate]").click()
    page.locator(".el-message-box").get_by_role("button", name="恢复").click()
    expect(detail.locator("[data-test=org-status]")).to_have_text("启用")
    expect(node.locator("[data-test=org-inactive]")).to_have_count(0)
    assert units_named(office)["撤并办"]["active"] is True

    detail.locator("[data-test=org-deactivate]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤销").click()
    expect(node.locator("[data-test=org-inactive]")).to_have_text("已撤销")
    phone = admin_signed_in(people, office, PHONE)
    phone.open("/admin/org")
    expect(
        phone.page.locator("[data-test=org-node-撤并办] [data-test=org-inactive]")
    ).to_be_visible()
    phone.screenshot("admin-org-deactivated-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_admin_creates_a_user_then_finds_edits_and_deactivates_them(
    people: People, office: Office, gw: Gateway
):
    admin = admin_signed_in(people, office)
    page = admin.page
    page.locator("[data-test=menu-admin-users]").click()
    expect(page.locator("[data-test=user-table]")).to_contain_text("周审计")
    username = unique("cb")

    page.locator("[data-test=user-create]").click()
    dialog = page.locator(".el-dialog", has_text="新建用户")
    dialog.locator("[data-test=user-username]").fill(username)
    dialog.locator("[data-test=user-fullname]").fill("黄承办")
    dialog.locator("[data-test=user-password]").fill(PASSWORD)
    dialog.locator(".el-form-item", has_text="所属单位").locator(".el-select").click()
    pick(page, "电子政务处")
    dialog.get_by_text("承办人", exact=True).click()
    admin.screenshot("admin-user-create-desktop")
    dialog.locator("[data-test=user-submit]").click()
    expect(dialog).to_be_hidden()

    page.locator("[data-test=user-search]").fill("黄承办")
    page.locator("[data-test=user-search]").press("Enter")
    rows = page.locator("[data-test=user-table] .el-table__body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(username)
    expect(rows.first).to_contain_text("电子政务处")
    expect(rows.first).to_contain_text("承办人")
    assert gw.login(office.code, username).me()["org_unit_name"] == "电子政务处"  # can sign in

    # the same username again: the server's refusal, and the form keeps what was typed
    page.locator("[data-test=user-create]").click()
    dialog.locator("[data-test=user-username]").fill(username)
    dialog.locator("[data-test=user-fullname]").fill("黄承办二")
    dialog.locator("[data-test=user-password]").fill(PASSWORD)
    dialog.locator(".el-form-item", has_text="所属单位").locator(".el-select").click()
    pick(page, "电子政务处")
    dialog.get_by_text("承办人", exact=True).click()
    dialog.locator("[data-test=user-submit]").click()
    expect(dialog.locator("[data-test=user-dialog-error]")).not_to_be_empty()
    expect(dialog.locator("[data-test=user-fullname]")).to_have_value("黄承办二")
    dialog.get_by_role("button", name="取消").click()

    page.locator(f"[data-test=user-edit-{username}]").click()
    edit = page.locator(".el-dialog", has_text="编辑用户")
    edit.get_by_text("处室负责人", exact=True).click()
    edit.locator("[data-test=user-submit]").click()
    expect(rows.first).to_contain_text("处室负责人")
    [user] = ok(office.admin.get("/users", params={"q": username}))["items"]
    assert set(user["roles"]) == {"handler", "division_head"}
    admin.screenshot("admin-users-desktop")

    page.locator(f"[data-test=user-deactivate-{username}]").click()
    page.locator(".el-message-box").get_by_role("button", name="停用").click()
    expect(rows).to_have_count(0)
    assert ok(office.admin.get(f"/users/{user['id']}"))["active"] is False


def test_an_admin_copies_the_default_template_and_sets_a_time_limit(people: People, office: Office):
    admin = admin_signed_in(people, office)
    page = admin.page
    page.locator("[data-test=menu-admin-templates]").click()
    steps = page.locator("[data-test=template-steps]")
    expect(steps).to_contain_text("平台默认模板，由平台管理员修改")
    expect(steps).to_contain_text("承办节点")
    page.locator("[data-test=template-copy]").click()
    expect(steps).to_contain_text("（本单位）")

    limit = steps.locator("[data-test=limit-propose]")
    limit.locator("input").fill("5")
    limit.locator("input").press("Tab")
    steps.locator("[data-test=limit-save-propose]").click()
    expect(page.locator(".el-message", has_text="5 个工作日")).to_be_visible()
    [mine] = [t for t in ok(office.admin.get("/templates")) if t["tenant_id"] and t["version"] == 2]
    assert next(s for s in mine["steps"] if s["key"] == "propose")["time_limit_days"] == 5
    expect(page.locator("[data-test=template-table]")).to_contain_text("v2")
    admin.screenshot("admin-templates-desktop")


def test_an_admin_reads_the_calendar_and_adds_and_removes_a_local_day_off(
    people: People, office: Office
):
    admin = admin_signed_in(people, office)
    page = admin.page
    page.locator("[data-test=menu-admin-calendar]").click()
    expect(page.locator("[data-test=calendar-grid]")).to_be_visible()
    page.goto("/admin/calendar?month=2026-10")
    expect(page.locator("[data-test=calendar-month] input")).to_have_value("2026年10月")
    expect(page.locator("[data-test=day-2026-10-01]")).to_contain_text("休")
    expect(page.locator("[data-test=day-2026-10-10]")).to_contain_text("班")  # 调休
    expect(page.locator("[data-test=calendar-provisional]")).to_have_count(0)
    admin.screenshot("admin-calendar-desktop")

    page.locator("[data-test=override-date] input").fill("2026-12-09")
    page.locator("[data-test=override-date] input").press("Enter")
    page.locator("[data-test=override-note]").fill("苗年放假")
    page.locator("[data-test=override-add]").click()
    day = page.locator("[data-test=day-2026-12-09]")
    expect(day).to_contain_text("本地休")
    expect(day).to_contain_text("苗年放假")
    expect(page.locator("[data-test=override-table]")).to_contain_text("苗年放假")
    assert [o["note"] for o in ok(office.admin.get("/calendar/overrides"))] == ["苗年放假"]
    admin.screenshot("admin-calendar-override-desktop")

    page.locator("[data-test=override-remove-2026-12-09]").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(day).not_to_contain_text("苗年放假")
    assert ok(office.admin.get("/calendar/overrides")) == []


def test_the_platform_admin_publishes_a_year_and_onboards_a_tenant(
    people: People, gw: Gateway, platform_admin: User, stack: Stack, settings: Settings
):
    password = stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
    person = people(DESKTOP)
    page = person.sign_in("", settings.platform_admin_username, password)
    page.locator("[data-test=menu-admin-calendar]").click()
    expect(page.locator("[data-test=calendar-grid]")).to_be_visible()
    page.goto("/admin/calendar?month=2031-01")
    expect(page.locator("[data-test=calendar-provisional]")).to_contain_text(
        "2031年全国节假日安排尚未发布"
    )
    page.locator("[data-test=year-publish-open]").click()
    dialog = page.locator(".el-dialog", has_text="发布全年节假日安排")
    dialog.locator("[data-test=year-number] input").fill("2031")
    dialog.locator("[data-test=year-holidays]").fill("2031-01-01\n2031-01-22~2031-01-28")
    dialog.locator("[data-test=year-workdays]").fill("2031-01-04")
    dialog.locator("[data-test=year-note]").fill("测试用 2031 年安排")
    dialog.locator("[data-test=year-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=calendar-provisional]")).to_have_count(0)
    expect(page.locator("[data-test=day-2031-01-01]")).to_contain_text("休")
    expect(page.locator("[data-test=day-2031-01-04]")).to_contain_text("班")
    year = ok(platform_admin.get("/calendar/years/2031"))
    assert year["provisional"] is False and "2031-01-25" in year["holidays"]
    person.screenshot("admin-calendar-publish-desktop")

    page.locator("[data-test=menu-admin-tenants]").click()
    code = unique("xz")
    page.locator("[data-test=tenant-create]").click()
    form = page.locator(".el-dialog", has_text="接入新租户")
    form.locator("[data-test=tenant-code]").fill(code)
    form.locator("[data-test=tenant-name]").fill("新接入县")
    form.locator("[data-test=tenant-admin-username]").fill(f"{code}-admin")
    form.locator("[data-test=tenant-admin-name]").fill("县管理员")
    form.locator("[data-test=tenant-admin-password]").fill(PASSWORD)
    form.locator("[data-test=tenant-submit]").click()
    expect(form).to_be_hidden()
    expect(page.locator("[data-test=tenant-table]")).to_contain_text(code)
    assert gw.login(code, f"{code}-admin").me()["tenant_name"] == "新接入县"
    person.screenshot("admin-tenants-desktop")


def test_a_leader_authorises_a_secretary_and_revokes_it(people: People, office: Office):
    leader = signed_in(people, office, "ting1")
    page = leader.page
    page.locator("[data-test=menu-delegations]").click()
    page.locator("[data-test=delegation-form] .el-select").click()
    pick(page, "孙秘书")
    page.locator("[data-test=delegation-note]").fill("出差期间代为录入批示")
    page.locator("[data-test=delegation-create]").click()
    given = page.locator("[data-test=delegations-given] .el-table__body tr")
    expect(given).to_have_count(1)
    expect(given.first).to_contain_text("孙秘书")
    expect(given.first).to_contain_text("生效中")
    leader.screenshot("delegations-desktop")

    secretary = signed_in(people, office, "mishu", PHONE)
    secretary.page.locator("[data-test=menu-toggle]").click()
    secretary.page.locator("[data-test=menu-delegations]").click()
    received = secretary.page.locator("[data-test=delegations-received] .el-table__body tr")
    expect(received.first).to_contain_text("赵厅长")
    expect(received.first).to_contain_text("生效中")
    secretary.screenshot("delegations-secretary-phone")

    given.first.locator("[data-test=delegation-revoke]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤销").click()
    expect(given.first).to_contain_text("已撤销")
    [made] = ok(office["ting1"].get("/delegations", params={"as_role": "leader"}))
    assert made["revoked_at"] and made["active"] is False
    secretary.page.reload()
    expect(received.first).to_contain_text("已撤销")


def test_an_auditor_filters_the_trail_and_the_chain_check_passes(people: People, office: Office):
    registrar = office.add_person("wenshu", "钱文书", "文书处", ["registrar"])
    doc = register(registrar, "关于审计筛选的测试来文")
    auditor = signed_in(people, office, "shenji")
    page = auditor.page
    page.locator("[data-test=menu-audit]").click()
    rows = page.locator("[data-test=audit-table] .el-table__body tr.el-table__row")
    expect(rows.first).to_be_visible()
    # the server filters: the action is sent as a prefix of the trail's actions
    with page.expect_response(
        lambda r: "/api/v1/audit?" in r.url and "action=user.created" in r.url
    ) as sent:
        page.locator("[data-test=audit-action] .el-select").click()
        pick(page, "新建用户")
    assert sent.value.ok
    expect(page.locator("[data-test=audit-pager]")).to_contain_text("共")
    shown = page.locator("[data-test=audit-pager] .el-pagination__total").inner_text()
    assert int(re.sub(r"\D", "", shown)) >= 4, shown  # shenji, ting1, mishu, wenshu
    for n in range(rows.count()):
        expect(rows.nth(n)).to_contain_text("新建用户")

    # the documents trail (auditors only): 收文登记 finds the registered document
    with page.expect_response(
        lambda r: "service=documents" in r.url and "action=document.register" in r.url
    ):
        page.locator("[data-test=audit-service]").get_by_text("公文办理").click()
        page.locator("[data-test=audit-action] .el-select").click()
        pick(page, "收文登记")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("收文登记")
    expect(rows.first).to_contain_text("钱文书")
    expect(rows.first).to_contain_text(doc["id"])
    # who acted: someone else registered nothing
    page.locator("[data-test=audit-actor] .el-select").click()
    page.locator("[data-test=audit-actor] input").fill("周审计")
    with page.expect_response(lambda r: "actor_id=" + office["shenji"].id in r.url):
        pick(page, "周审计")
    expect(page.locator("[data-test=audit-table]")).to_contain_text("没有符合条件的审计记录")
    page.locator("[data-test=audit-actor] .el-select").hover()
    page.locator("[data-test=audit-actor] .el-select__clear").click()
    expect(rows).to_have_count(1)
    # the document's own trail by its id, every action (a prefix typed in)
    page.locator("[data-test=audit-action] .el-select").hover()
    page.locator("[data-test=audit-action] .el-select__clear").click()
    page.locator("[data-test=audit-target] input").fill(doc["id"])
    expect(rows.first).to_contain_text(doc["id"])
    for n in range(rows.count()):
        expect(rows.nth(n)).to_contain_text(doc["id"])
    # today (Asia/Shanghai) holds the registration
    today = page.evaluate(
        "new Intl.DateTimeFormat('sv-SE', {timeZone: 'Asia/Shanghai'}).format(new Date())"
    )
    with page.expect_response(lambda r: "since=" in r.url and "until=" in r.url) as ranged:
        picker = page.locator("[data-test=audit-range]")
        picker.click()
        cell = page.locator(".el-date-range-picker td.today").first
        cell.click()
        cell.click()
    sent_query = parse_qs(urlsplit(ranged.value.url).query)
    tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    assert sent_query["since"] == [f"{today}T00:00:00+08:00"], sent_query
    assert sent_query["until"] == [f"{tomorrow}T00:00:00+08:00"], sent_query
    assert sent_query["target_id"] == [doc["id"]], sent_query
    expect(page.locator("[data-test=audit-table]")).to_contain_text("收文登记")
    auditor.screenshot("audit-filtered")

    page.locator("[data-test=verify-run]").click()
    result = page.locator("[data-test=verify-result]")
    expect(result).to_contain_text("校验通过")
    expect(result).to_contain_text("账号与组织审计链共校验")
    page.locator("[data-test=verify-service]").get_by_text("公文办理").click()
    page.locator("[data-test=verify-run]").click()
    expect(result).to_contain_text("公文办理审计链")
    expect(result).to_contain_text("校验通过")
    auditor.screenshot("audit-desktop")

    phone = signed_in(people, office, "shenji", PHONE)
    phone.open("/audit")
    expect(phone.page.locator("[data-test=audit-table]")).to_be_visible()
    phone.page.locator("[data-test=verify-run]").click()
    expect(phone.page.locator("[data-test=verify-result]")).to_contain_text("校验通过")
    phone.screenshot("audit-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_at_phone_width_the_admin_pages_fit(people: People, office: Office):
    admin = admin_signed_in(people, office, PHONE)
    for path, name in (
        ("/admin/org", "admin-org-phone"),
        ("/admin/users", "admin-users-phone"),
        ("/admin/templates", "admin-templates-phone"),
        ("/admin/calendar", "admin-calendar-phone"),
    ):
        page = admin.open(path)
        expect(page.locator(".el-main")).not_to_be_empty()
        admin.screenshot(name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
