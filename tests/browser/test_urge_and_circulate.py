"""催办 and 传阅 from the document page: the registry urges the division that has not
signed yet (its handler sees the urge under the bell), and circulates the document to
a colleague, who finds it in 待阅 and marks it read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, ok, register, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
TITLE = "关于开展全省政务信息系统安全检查的通知"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("cb"), "催办测试厅")
    for unit in ("文书处", "电子政务处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("yuedu", "周阅读", "电子政务处", ["handler"])
    yield built


def signed_in(people: People, office: Office, username: str) -> Person:
    person = people(DESKTOP)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def test_the_registry_urges_and_circulates_and_the_reader_marks_it_read(
    people: People, office: Office
):
    registrar = office["wenshu"]
    doc = register(registrar, TITLE, urgency="特急")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["电子政务处"]}
        )
    )
    registry = signed_in(people, office, "wenshu")
    page = registry.page
    page.goto(f"/documents/{doc['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    page.get_by_role("tab", name="办理流程").click()
    page.locator("[data-test=urge]").first.click()
    page.locator(".el-message-box input").fill("请今日内签收")
    page.locator(".el-message-box").get_by_role("button", name="催办").click()
    expect(page.locator(".el-message__content", has_text="已催办")).to_be_visible()

    page.locator("[data-test=circulate]").click()
    page.locator("[data-test=circulate-people]").click()
    page.keyboard.type("周阅读")
    pick(page, "周阅读")
    page.keyboard.press("Escape")
    page.locator("[data-test=circulate-send]").click()
    expect(page.locator(".el-message__content", has_text="已传阅")).to_be_visible()

    handler = office["dz_ban1"]
    eventually(lambda: any(n["kind"] == "urge" for n in ok(handler.get("/notifications"))["items"]))
    urged = signed_in(people, office, "dz_ban1")
    urged.page.locator("[data-test=bell]").click()
    expect(urged.page.locator("[data-test=notification]", has_text="催办").first).to_be_visible()
    urged.screenshot("notifications-desktop")

    reader = signed_in(people, office, "yuedu")
    page = reader.page
    expect(page.locator("[data-test=count-reading]")).to_contain_text("1")
    page.locator("[data-test=menu-reading]").click()
    row = page.locator("[data-test=reading-table] .el-table__body tr", has_text=TITLE)
    expect(row).to_be_visible()
    reader.screenshot("reading-desktop")
    row.get_by_role("button", name="标记已阅").click()
    expect(row.get_by_role("button", name="标记已阅")).to_have_count(0)
    expect(row.locator(".el-tag", has_text="已阅")).to_be_visible()
    [item] = [
        i for i in ok(office["yuedu"].get("/reading"))["items"] if i["document_id"] == doc["id"]
    ]
    assert item["read_at"] is not None
    phone = people(PHONE)
    phone.sign_in(office.code, "yuedu")
    expect(phone.page.get_by_text("您好，周阅读")).to_be_visible()
    phone.page.goto("/reading")
    expect(phone.page.locator("[data-test=reading-table]")).to_contain_text(TITLE)
    phone.screenshot("reading-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
