"""The whole incoming route in the browser, five people each in their own browser:
收文登记 with a real PDF by the registry, 分办, 签收 and 拟办 by the handler, 审核 by
the division head choosing the leader, 批示 by the leader, 办理 by the handler, 办结
and 归档 by a second registrar; the 处理笺 shows every opinion in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, ok, real_pdf, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
TITLE = "关于做好全省政务服务“一网通办”年度考核工作的通知"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("lc"), "流程测试厅")
    for unit in ("文书处", "电子政务处", "综合处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("wenshu2", "陈收发", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("dz_chu", "王处长", "电子政务处", ["division_head"])
    built.add_person("ting1", "赵厅长", None, ["office_leader"])
    yield built


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def open_from_todo(page: Page) -> None:
    page.goto("/todo")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)


def act(page: Page, action: str, done: str, opinion: str | None = None) -> None:
    if opinion is not None:
        page.locator("textarea[name=opinion]").fill(opinion)
    page.locator(f"[data-test=action-{action}]").click()
    expect(page.locator(".el-message__content", has_text=done)).to_be_visible()


def test_from_registration_to_archive_by_five_people(people: People, office: Office):
    # 收文登记 and the scan, by the registry
    registry = signed_in(people, office, "wenshu")
    page = registry.page
    page.locator("[data-test=menu-register]").click()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("来文单位").fill("省人民政府办公厅")
    page.get_by_label("文号").fill("黔府办函〔2026〕65号")
    page.locator(".el-radio-button", has_text="特急").click()
    page.get_by_role("button", name="登记").click()
    page.locator("[data-test=file-input]").set_input_files(
        [{"name": "来文扫描件.pdf", "mimeType": "application/pdf", "buffer": real_pdf("route")}]
    )
    page.locator("[data-test=upload]").click()
    expect(page.locator("[data-test=upload-item]")).to_contain_text("已上传")
    page.locator("[data-test=to-document]").click()
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    doc_id = page.url.split("/documents/")[1].split("?")[0]
    # 分办 to 电子政务处
    page.locator("[data-test=lead-unit]").click()
    pick(page, "电子政务处")
    act(page, "distribute", "已分办")

    # 签收 and 拟办, by the handler (on a phone)
    handler = signed_in(people, office, "dz_ban1", PHONE)
    page = handler.page
    page.goto("/todo")
    page.locator("[data-test=task-cards] a", has_text=TITLE).click()
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    act(page, "sign", "已签收")
    expect(page.locator("[data-test=task-actions]")).to_contain_text("拟办")
    act(page, "propose", "已拟办", "拟请电子政务处牵头办理，报赵厅长批示。")

    # 审核, by the division head, choosing the leader
    head = signed_in(people, office, "dz_chu")
    page = head.page
    open_from_todo(page)
    page.locator("[data-test=leaders]").click()
    pick(page, "赵厅长")
    page.keyboard.press("Escape")
    act(page, "approve", "已审核通过", "同意拟办意见，请赵厅长批示。")

    # 批示, by the leader (on a phone: leaders approve on the move)
    leader = signed_in(people, office, "ting1", PHONE)
    page = leader.page
    page.goto("/todo")
    page.locator("[data-test=task-cards] a", has_text=TITLE).click()
    act(page, "instruct", "已批示", "请抓紧办理，按时报送考核材料。")
    leader.screenshot("document-instructed-phone")

    # 办理, by the handler
    page = handler.page
    page.goto("/todo")
    page.locator("[data-test=task-cards] a", has_text=TITLE).click()
    act(page, "handle", "已办理完毕", "已按批示要求报送考核材料。")

    # 办结 and 归档, by the second registrar
    registry2 = signed_in(people, office, "wenshu2")
    page = registry2.page
    open_from_todo(page)
    act(page, "complete", "已办结", "办结。")
    expect(page.locator("[data-test=action-archive]")).to_be_visible()
    act(page, "archive", "已归档")

    registrar = office["wenshu"]
    eventually(lambda: ok(registrar.get(f"/documents/{doc_id}"))["status"] == "archived")
    eventually(lambda: len(ok(registrar.get(f"/documents/{doc_id}/slip"))["opinions"]) == 5)
    page.reload()
    page.get_by_role("tab", name="处理笺").click()
    opinions = page.locator("[data-test=opinion]")
    expect(opinions).to_have_count(5)
    expect(opinions.nth(0)).to_contain_text("拟请电子政务处牵头办理")
    expect(opinions.nth(0)).to_contain_text("李承办")
    expect(opinions.nth(1)).to_contain_text("王处长")
    expect(opinions.nth(2)).to_contain_text("赵厅长")
    expect(opinions.nth(3)).to_contain_text("已按批示要求报送考核材料")
    expect(opinions.nth(4)).to_contain_text("陈收发")
    registry2.screenshot("slip-archived-desktop")
    page.get_by_role("tab", name="办理流程").click()
    registry2.screenshot("route-desktop")
