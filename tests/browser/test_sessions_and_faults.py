"""What people see when things go wrong, and a proxy instruction on the slip:

* a service that is unavailable (503) reads 「服务暂时不可用，请稍后重试」 with the
  request id to quote;
* an expired access token is refreshed once, silently, and the request repeated;
* an account throttled after repeated wrong passwords gets its own message;
* a 代领导批示 entered by a secretary shows on the 处理笺 as the leader's instruction
  「（秘书 X 代录）」.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from services.routing.working_days import SHANGHAI
from tests.support.browser import DESKTOP
from tests.support.gateway import (
    PASSWORD,
    Gateway,
    Office,
    User,
    act,
    ok,
    open_task,
    register,
    setup_office,
)
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
TITLE = "关于进一步加强政务信息报送工作的通知"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("gz"), "故障测试厅")
    for unit in ("文书处", "电子政务处", "秘书处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("dz_chu", "王处长", "电子政务处", ["division_head"])
    built.add_person("ting2", "钱副厅长", None, ["office_leader"])
    built.add_person("mishu", "孙秘书", "秘书处", ["secretary"])
    built.add_person("locked", "吴承办", "电子政务处", ["handler"])
    yield built


def sign_in(people: People, office: Office, username: str) -> Any:
    person = people(DESKTOP)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def test_an_unavailable_service_reads_so_with_the_request_id(people: People, office: Office):
    person = sign_in(people, office, "dz_ban1")
    page = person.page

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503,
            headers={"X-Request-ID": "req-test-503", "Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "broker_unavailable", "message": "broker away"}}),
        )

    page.route("**/api/v1/tasks/todo*", unavailable)
    page.locator("[data-test=menu-todo]").click()
    expect(page.get_by_text("服务暂时不可用，请稍后重试（请求编号 req-test-503）")).to_be_visible()
    person.screenshot("todo-unavailable-desktop")
    page.unroute("**/api/v1/tasks/todo*")
    page.get_by_role("button", name="刷新").click()
    expect(page.get_by_text("服务暂时不可用")).to_have_count(0)


def test_an_expired_access_token_is_refreshed_once_and_the_request_repeated(
    people: People, office: Office
):
    person = sign_in(people, office, "dz_ban1")
    page = person.page
    before = page.evaluate("localStorage.getItem('gongwen.refresh_token')")
    expired = {"n": 0}

    def expire_once(route: Route) -> None:
        if expired["n"] == 0:
            expired["n"] += 1
            route.fulfill(
                status=401,
                headers={"Content-Type": "application/json"},
                body=json.dumps({"error": {"code": "token_expired", "message": "expired"}}),
            )
        else:
            route.continue_()

    page.route("**/api/v1/tasks/done*", expire_once)
    with page.expect_response("**/api/v1/auth/refresh") as refreshed:
        page.locator("[data-test=menu-done]").click()
    assert refreshed.value.status == 200
    expect(page.locator("[data-test=task-table]")).to_be_visible()
    expect(page.get_by_text("登录已过期")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('gongwen.refresh_token')") != before  # rotated
    assert [u for u in person.requests if u.endswith("/api/v1/auth/refresh")] == [
        person.base_url + "/api/v1/auth/refresh"
    ]


def test_a_throttled_account_is_told_to_wait(people: People, office: Office):
    person = people(DESKTOP)
    page = person.open("/login")
    for _ in range(6):  # LOGIN_MAX_FAILURES_ACCOUNT is 5
        page.get_by_label("租户代码").fill(office.code)
        page.get_by_label("用户名").fill("locked")
        page.get_by_label("密码", exact=True).fill("wrong-password")
        with page.expect_response("**/api/v1/auth/login"):
            page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-test=login-error]")).to_contain_text("登录失败次数过多")
    person.screenshot("login-throttled-desktop")


def test_a_proxy_instruction_shows_the_leader_and_the_secretary_on_the_slip(
    people: People, office: Office
):
    registrar, handler, head = office["wenshu"], office["dz_ban1"], office["dz_chu"]
    leader, secretary = office["ting2"], office["mishu"]
    doc = register(registrar, TITLE, urgency="加急")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="拟请钱副厅长批示。")[
        "next_tasks"
    ]
    act(head, review["id"], action="approve", opinion="同意。", leader_ids=[leader.id])
    instruction = open_task(leader, doc["id"], "leader_instruction")
    now = dt.datetime.now(SHANGHAI)
    ok(
        leader.post(
            "/delegations",
            json={
                "secretary_id": secretary.id,
                "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            },
        ),
        201,
    )
    act(
        secretary,
        instruction["id"],
        action="instruct",
        opinion="请电子政务处抓紧落实。",
        on_behalf_of=leader.id,
    )

    # the slip follows routing's events (a second or less behind)
    eventually(lambda: len(ok(handler.get(f"/documents/{doc['id']}/slip"))["opinions"]) == 3)

    person = sign_in(people, office, "dz_ban1")
    page = person.page
    page.goto(f"/documents/{doc['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    page.get_by_role("tab", name="处理笺").click()
    opinions = page.locator("[data-test=opinion]")
    expect(opinions).to_have_count(3)
    expect(opinions.nth(2)).to_contain_text("请电子政务处抓紧落实。")
    expect(opinions.nth(2).locator("[data-test=opinion-author]")).to_have_text(
        "钱副厅长（秘书 孙秘书 代录）"
    )
    expect(opinions.nth(0).locator("[data-test=opinion-author]")).to_have_text("李承办")
    person.screenshot("slip-desktop")
    page.get_by_role("tab", name="全程留痕").click()
    expect(page.locator("[data-test=trace]").first).to_be_visible()
    person.screenshot("trace-desktop")


def test_a_handler_cannot_open_another_divisions_document(people: People, office: Office):
    registrar = office["wenshu"]
    if "综合处" not in office.units:
        office.add_unit("综合处")
        office.add_person("zh_ban", "郑承办", "综合处", ["handler"])
    doc = register(registrar, "关于综合处内部事项的通知")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["综合处"]}
        )
    )
    person = sign_in(people, office, "dz_ban1")
    page = person.page
    page.goto(f"/documents/{doc['id']}")
    expect(page.locator("[data-test=document-error]")).to_have_text("文件不存在或无权查看")
    expect(page.get_by_text("关于综合处内部事项的通知")).to_have_count(0)
    page.goto("/todo")
    expect(page.locator("[data-test=task-table]")).to_be_visible()
    expect(page.get_by_text("关于综合处内部事项的通知")).to_have_count(0)


def test_when_the_refresh_fails_too_the_sign_in_page_says_the_session_expired(
    people: People, office: Office
):
    person = sign_in(people, office, "dz_ban1")
    page = person.page
    page.evaluate("localStorage.setItem('gongwen.refresh_token', 'grt1.not-a-refresh-token')")

    def expired(route: Route) -> None:
        route.fulfill(
            status=401,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "token_expired", "message": "expired"}}),
        )

    page.route("**/api/v1/tasks/todo*", expired)
    with page.expect_response("**/api/v1/auth/refresh") as refreshed:
        page.locator("[data-test=menu-todo]").click()
    assert refreshed.value.status == 401
    expect(page.locator("[data-test=expired]")).to_have_text("登录已过期，请重新登录")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(%2F|/)todo"))
    # signing in again goes back to the page asked for
    page.unroute("**/api/v1/tasks/todo*")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("用户名").fill("dz_ban1")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/todo$"))


def test_a_division_head_returns_with_a_reason_and_the_handler_sees_it(
    people: People, office: Office
):
    registrar, handler = office["wenshu"], office["dz_ban1"]
    title = "关于退回重拟的测试通知"
    doc = register(registrar, title)
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["电子政务处"]}
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign")["next_tasks"]
    act(handler, propose["id"], action="propose", opinion="拟请处长审核。")

    person = sign_in(people, office, "dz_chu")
    page = person.page
    page.goto("/todo")
    page.get_by_role("link", name=title).click()
    page.locator("[data-test=action-return]").click()  # the return dialog: step and reason
    dialog = page.locator("[data-test=return-dialog]")
    expect(dialog.locator(".el-radio.is-checked")).to_contain_text("拟办")  # the step before
    dialog.locator("[data-test=return-send]").click()  # no reason given
    expect(dialog).to_contain_text("请填写退回理由")
    dialog.locator("[data-test=return-reason]").fill("拟办意见未写明办理时限，请补充。")
    dialog.locator("[data-test=return-send]").click()
    expect(page.locator(".el-message__content", has_text="已退回")).to_be_visible()

    again = open_task(handler, doc["id"], "propose")
    assert again["id"] != propose["id"]
    eventually(
        lambda: any(
            o["kind"] == "return_reason"
            for o in ok(handler.get(f"/documents/{doc['id']}/slip"))["opinions"]
        )
    )
    back = sign_in(people, office, "dz_ban1")
    back.page.goto(f"/documents/{doc['id']}")
    back.page.get_by_role("tab", name="处理笺").click()
    reason = back.page.locator("[data-test=opinion]", has_text="退回理由")
    expect(reason).to_contain_text("拟办意见未写明办理时限，请补充。")
    expect(reason).to_contain_text("王处长")
    expect(back.page.locator("[data-test=task-actions]")).to_contain_text("拟办")
