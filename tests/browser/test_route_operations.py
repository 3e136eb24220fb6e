"""Route operations in the browser (issue 11, item 5): a leader returns a document to
拟办 chosen from the route's earlier steps (the handler then has it), with the reason
required; a handler withdraws (撤回) a proposal from 已办 before the division head
acted — the step is theirs again — and is told when the next holder has acted; a
division head gives (转交) a handler's task to the other handler of the division, who
then finds it in 待办. Each dialog also at phone width."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import (
    Gateway,
    Office,
    User,
    act,
    incoming_office,
    ok,
    open_task,
    register,
    todo,
)

People = Any
RETURN_TITLE = "关于报送政务信息系统整合共享进展情况的通知"
WITHDRAW_TITLE = "关于开展电子证照应用推广工作的函"
REASSIGN_TITLE = "关于做好政务外网安全检查工作的通知"
RETURN_REASON = "拟办意见不够具体，请补充办理措施后再报。"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    yield incoming_office(gw, platform_admin)


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def fits_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def distributed(office: Office, title: str) -> dict[str, Any]:
    registrar = office["wenshu"]
    doc = register(registrar, title, doc_number="黔府办函〔2026〕15号")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    return doc


def proposed(office: Office, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document signed and proposed by 李承办: (document, the head's review task)."""
    handler = office["dz_ban1"]
    doc = distributed(office, title)
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="拟请电子政务处办理。")[
        "next_tasks"
    ]
    return doc, review


def test_a_leader_returns_the_document_to_the_proposal_step_chosen_from_the_route(
    people: People, office: Office
):
    head, leader = office["dz_chu"], office["ting1"]
    doc, review = proposed(office, RETURN_TITLE)
    act(head, review["id"], action="approve", opinion="同意。", leader_ids=[leader.id])
    task = open_task(leader, doc["id"], "leader_instruction")

    # at phone width first: the dialog fits
    on_phone = signed_in(people, office, "ting1", PHONE)
    on_phone.open(f"/documents/{doc['id']}?task={task['id']}")
    on_phone.page.locator("[data-test=action-return]").click()
    phone_dialog = on_phone.page.locator("[data-test=return-dialog]")
    expect(phone_dialog.locator("[data-test=return-target]").first).to_contain_text("处室审核节点")
    on_phone.screenshot("return-dialog-phone")
    fits_phone(on_phone.page)

    person = signed_in(people, office, "ting1")
    page = person.page
    page.goto(f"/documents/{doc['id']}?task={task['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(RETURN_TITLE)
    page.locator("[data-test=action-return]").click()
    dialog = page.locator("[data-test=return-dialog]")
    targets = dialog.locator("[data-test=return-target]")
    # the nearest first, each with who held it; the step before is preselected
    expect(targets.nth(0)).to_contain_text("处室审核节点")
    expect(targets.nth(0)).to_contain_text("王处长")
    expect(targets.nth(0)).to_contain_text("上一环节")
    expect(targets.nth(1)).to_contain_text("拟办(承办节点)")
    expect(targets.nth(1)).to_contain_text("李承办")
    expect(targets.nth(2)).to_contain_text("处室签收")
    expect(dialog.locator(".el-radio.is-checked")).to_contain_text("处室审核节点")
    # the reason is required
    dialog.locator("[data-test=return-send]").click()
    expect(dialog).to_contain_text("请填写退回理由")
    targets.nth(1).click()
    expect(dialog.locator(".el-radio.is-checked")).to_contain_text("拟办(承办节点)")
    dialog.locator("[data-test=return-reason]").fill(RETURN_REASON)
    person.screenshot("return-dialog-desktop")
    with page.expect_response(lambda r: r.url.endswith("/actions")) as returned:
        dialog.locator("[data-test=return-send]").click()
    assert returned.value.ok, returned.value.text()
    open_task(office["dz_ban1"], doc["id"], "propose")  # back at 拟办, not 处室审核
    expect(
        page.locator(".el-message__content", has_text="已退回至「拟办(承办节点)」")
    ).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("该任务已退回")).to_be_visible()

    # the handler has it again at 拟办, the reason on the slip
    handler = signed_in(people, office, "dz_ban1")
    hpage = handler.page
    hpage.locator("[data-test=menu-todo]").click()
    row = hpage.locator("[data-test=task-table] .el-table__body tr", has_text=RETURN_TITLE)
    expect(row).to_contain_text("拟办(承办节点)")
    row.get_by_role("link", name=RETURN_TITLE).click()
    expect(hpage.locator("[data-test=task-actions]")).to_contain_text("当前任务：拟办(承办节点)")
    hpage.get_by_role("tab", name="处理笺").click()
    expect(hpage.locator("[data-test=opinion]", has_text=RETURN_REASON)).to_contain_text("退回理由")
    handler.screenshot("returned-to-proposal-desktop")


def test_a_handler_withdraws_a_proposal_before_the_head_acted(people: People, office: Office):
    head = office["dz_chu"]
    doc, review = proposed(office, WITHDRAW_TITLE)

    person = signed_in(people, office, "dz_ban1")
    page = person.page
    page.locator("[data-test=menu-done]").click()
    row = page.locator("[data-test=task-table] .el-table__body tr", has_text=WITHDRAW_TITLE).filter(
        has_text="拟办(承办节点)"
    )
    expect(row).to_have_count(1)
    signed = page.locator("[data-test=task-table] .el-table__body tr", has_text=WITHDRAW_TITLE)
    expect(signed.filter(has_text="处室签收").locator("[data-test=withdraw]")).to_have_count(0)
    person.screenshot("done-withdraw-desktop")
    row.locator("[data-test=withdraw]").click()
    box = page.locator(".el-message-box")
    expect(box).to_contain_text("撤回您在「拟办(承办节点)」环节的办理")
    with page.expect_response(lambda r: r.url.endswith("/withdraw")) as withdrawn:
        box.get_by_role("button", name="撤回").click()
    assert withdrawn.value.ok, withdrawn.value.text()
    # the step is mine again: on the document, at 拟办
    expect(page.locator("[data-test=document-title]")).to_have_text(WITHDRAW_TITLE)
    actions = page.locator("[data-test=task-actions]")
    expect(actions).to_contain_text("当前任务：拟办(承办节点)")
    assert not [t for t in todo(head) if t["document_id"] == doc["id"]]  # the review is gone
    person.screenshot("withdrawn-desktop")

    # proposed again; once the head has acted, 撤回 is refused with its reason
    actions.locator("textarea[name=opinion]").fill("拟请电子政务处抓紧办理。")
    actions.locator("[data-test=action-propose]").click()
    expect(page.locator(".el-message__content", has_text="已拟办")).to_be_visible()
    expect(page.locator("[data-test=withdraw]")).to_be_visible()
    again = open_task(head, doc["id"], "division_review")
    act(head, again["id"], action="approve", opinion="同意。", leader_ids=[office["ting1"].id])
    page.reload()
    page.locator("[data-test=withdraw]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤回").click()
    expect(page.locator("[data-test=withdraw-error]")).to_contain_text("下一环节已经办理，不能撤回")

    on_phone = signed_in(people, office, "dz_ban1", PHONE)
    on_phone.open("/done")
    cards = on_phone.page.locator("[data-test=task-cards] a", has_text=WITHDRAW_TITLE)
    expect(cards.locator("[data-test=withdraw]")).to_have_count(1)  # on the latest one only
    on_phone.screenshot("done-withdraw-phone")
    fits_phone(on_phone.page)


def test_a_division_head_gives_a_task_to_the_other_handler(people: People, office: Office):
    first = office["dz_ban1"]
    doc = distributed(office, REASSIGN_TITLE)
    sign = open_task(first, doc["id"], "division_sign")
    [propose] = act(first, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    assert propose["assignee_id"] == first.id

    on_phone = signed_in(people, office, "dz_chu", PHONE)
    on_phone.open(f"/documents/{doc['id']}")
    on_phone.page.locator("[data-test=reassign]").click()
    expect(on_phone.page.locator("[data-test=reassign-dialog]")).to_contain_text("李承办")
    on_phone.screenshot("reassign-dialog-phone")
    fits_phone(on_phone.page)

    person = signed_in(people, office, "dz_chu")
    page = person.page
    page.goto(f"/documents/{doc['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(REASSIGN_TITLE)
    page.locator("[data-test=reassign]").click()
    dialog = page.locator("[data-test=reassign-dialog]")
    expect(dialog.locator("[data-test=reassign-current]")).to_contain_text("拟办(承办节点)")
    expect(dialog.locator("[data-test=reassign-current]")).to_contain_text("李承办")
    dialog.locator("[data-test=reassign-send]").click()
    expect(dialog).to_contain_text("请选择转交给哪位承办人")
    dialog.locator("[data-test=reassign-handler]").click()
    expect(page.locator(".el-select-dropdown__item:visible", has_text="李承办")).to_have_count(0)
    pick(page, "吴承办")
    dialog.locator("[data-test=reassign-reason]").fill("李承办出差，由吴承办办理")
    person.screenshot("reassign-dialog-desktop")
    with page.expect_response(lambda r: r.url.endswith("/reassign")) as given:
        dialog.locator("[data-test=reassign-send]").click()
    assert given.value.ok, given.value.text()
    expect(page.locator(".el-message__content", has_text="已转交给 吴承办")).to_be_visible()
    page.get_by_role("tab", name="办理流程").click()
    open_row = page.locator(".el-table__body tr", has_text="拟办(承办节点)").filter(
        has_text="办理中"
    )
    expect(open_row).to_contain_text("吴承办")

    # the other handler finds it in 待办; the first one no longer has it
    other = signed_in(people, office, "dz_ban2")
    other.page.locator("[data-test=menu-todo]").click()
    row = other.page.locator("[data-test=task-table] .el-table__body tr", has_text=REASSIGN_TITLE)
    expect(row).to_contain_text("拟办(承办节点)")
    other.screenshot("reassigned-todo-desktop")
    row.get_by_role("link", name=REASSIGN_TITLE).click()
    expect(other.page.locator("[data-test=task-actions]")).to_contain_text(
        "当前任务：拟办(承办节点)"
    )
    assert not [t for t in todo(first) if t["document_id"] == doc["id"]]
