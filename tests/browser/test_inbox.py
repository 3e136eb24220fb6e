"""收文箱 in the browser: a registrar finds documents another tenant sent through the
platform, opens one and signs for it (签收, landing on the newly registered document),
a colleague's second sign shows the server's 409; another is refused (拒收) with a
reason, which the dialog insists on; at phone width the inbox is a list of cards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.delivery import send_to
from tests.support.gateway import Gateway, Office, User, ok, setup_office
from tests.support.stacks import unique

People = Any
SIGN_TITLE = "贵阳市关于报送2026年政务服务工作情况的报告"
REFUSE_TITLE = "贵阳市关于商请支持数字乡村建设项目的函"
PHONE_TITLE = "贵阳市关于寒潮天气应对情况的报告"


@pytest.fixture(scope="module")
def offices(gw: Gateway, platform_admin: User) -> Iterator[dict[str, Any]]:
    """The recipient (a province office with two registrars) and a sender (a city)."""
    recipient = setup_office(gw, platform_admin, unique("sx"), "收文箱测试厅")
    recipient.add_unit("文书处")
    recipient.add_person("wenshu", "张文书", "文书处", ["registrar"])
    recipient.add_person("wenshu2", "陈收发", "文书处", ["registrar"])
    sender = setup_office(gw, platform_admin, unique("fs"), "贵阳市人民政府")
    sender.add_unit("文书处")
    sender.add_person("wenshu", "贵阳文书", "文书处", ["registrar"])
    items = {
        title: send_to(sender, recipient, title, urgency=urgency, doc_number=number)
        for title, urgency, number in (
            (SIGN_TITLE, "加急", "筑府办函〔2026〕88号"),
            (REFUSE_TITLE, "平件", "筑府函〔2026〕12号"),
            (PHONE_TITLE, "特急", "筑府办电〔2026〕3号"),
        )
    }
    yield {"recipient": recipient, "sender": sender, "items": items}


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def test_a_registrar_signs_for_a_sent_document_and_a_second_sign_is_refused(
    people: People, offices: dict[str, Any]
):
    recipient: Office = offices["recipient"]
    item_id = offices["items"][SIGN_TITLE]["inbox_item_id"]
    clerk = signed_in(people, recipient, "wenshu")
    colleague = signed_in(people, recipient, "wenshu2")
    colleague.open(f"/inbox/{item_id}")  # opened before it is signed for
    expect(colleague.page.locator("[data-test=inbox-sign]")).to_be_visible()

    page = clerk.page
    page.locator("[data-test=menu-inbox]").click()
    rows = page.locator("[data-test=inbox-table] .el-table__body tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text=SIGN_TITLE)
    expect(row).to_contain_text("贵阳市人民政府")
    expect(row).to_contain_text("筑府办函〔2026〕88号")
    expect(row).to_contain_text("加急")
    expect(row).to_contain_text("待签收")
    clerk.screenshot("inbox-desktop")

    page.get_by_role("link", name=SIGN_TITLE).click()
    expect(page.locator("[data-test=inbox-title]")).to_have_text(SIGN_TITLE)
    expect(page.get_by_text("正文.pdf")).to_be_visible()
    clerk.screenshot("inbox-item-desktop")
    page.locator("[data-test=inbox-sign]").click()
    expect(page.locator("[data-test=document-title]")).to_have_text(SIGN_TITLE)
    doc_id = page.url.rstrip("/").split("/documents/")[1].split("?")[0]
    signed = ok(recipient["wenshu"].get(f"/documents/{doc_id}"))
    assert signed["doc_number"] == "筑府办函〔2026〕88号" and signed["status"] == "registered"

    colleague.page.locator("[data-test=inbox-sign]").click()
    expect(colleague.page.locator("[data-test=inbox-error]")).to_contain_text("已签收")
    expect(colleague.page.locator("[data-test=inbox-status-tag]")).to_have_text("已签收")
    expect(colleague.page.locator("[data-test=inbox-open-document]")).to_be_visible()

    page.goto("/inbox")
    expect(rows).to_have_count(2)  # 待签收 only
    expect(page.get_by_text(SIGN_TITLE)).to_have_count(0)


def test_a_registrar_refuses_a_document_with_a_reason(people: People, offices: dict[str, Any]):
    recipient: Office = offices["recipient"]
    item_id = offices["items"][REFUSE_TITLE]["inbox_item_id"]
    clerk = signed_in(people, recipient, "wenshu")
    page = clerk.page
    page.locator("[data-test=menu-inbox]").click()
    page.get_by_role("link", name=REFUSE_TITLE).click()
    page.locator("[data-test=inbox-refuse]").click()
    dialog = page.locator(".el-dialog", has_text="拒收理由")
    dialog.locator("[data-test=refuse-confirm]").click()
    expect(dialog.locator("[data-test=refuse-error]")).to_have_text("请填写拒收理由")
    reason = "非我单位主管事项，请改送省发展改革委"
    dialog.locator("[data-test=refuse-reason]").fill(reason)
    expect(dialog.locator("[data-test=refuse-error]")).to_have_count(0)
    clerk.screenshot("inbox-refuse-desktop")
    dialog.locator("[data-test=refuse-confirm]").click()
    expect(page.locator("[data-test=inbox-status-tag]")).to_have_text("已拒收")
    expect(page.locator("[data-test=refusal-reason]")).to_have_text(reason)
    expect(page.locator("[data-test=inbox-sign]")).to_have_count(0)

    item = ok(recipient["wenshu"].get(f"/inbox/{item_id}"))
    assert (item["status"], item["refusal_reason"]) == ("refused", reason)
    page.goto("/inbox?status=refused")
    expect(page.locator("[data-test=inbox-table] .el-table__body tr")).to_contain_text(REFUSE_TITLE)


def test_at_phone_width_the_inbox_is_cards(people: People, offices: dict[str, Any]):
    recipient: Office = offices["recipient"]
    clerk = signed_in(people, recipient, "wenshu", PHONE)
    page = clerk.page
    page.locator("[data-test=menu-toggle]").click()
    page.locator("[data-test=menu-inbox]").click()
    card = page.locator("[data-test=inbox-cards] a", has_text=PHONE_TITLE)
    expect(card).to_contain_text("特急")
    clerk.screenshot("inbox-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.click()
    expect(page.locator("[data-test=inbox-title]")).to_have_text(PHONE_TITLE)
    expect(page.locator("[data-test=inbox-sign]")).to_be_visible()
    clerk.screenshot("inbox-item-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
