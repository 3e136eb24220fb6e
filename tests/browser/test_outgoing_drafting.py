"""发文 in the browser, from 拟稿 to 签发: a handler drafts with recipients from the address
book and a DOCX body (a renamed .exe is refused first, with the server's word), lands
on the document page with 正文 v1 and uploads v2 (the current version, v1 still
listed); the division head checks it naming 赵厅长 to sign and 综合处 and 法规处 to
countersign; both heads countersign (the first sees it still waiting for the second),
and the 发文稿纸 shows both 会签意见 in order; the secretary, under the leader's
delegation, issues it 「代 赵厅长 签发」 and the slip reads 「赵厅长（秘书 孙秘书 代录）」;
at phone width the list and the document page are usable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import (
    Gateway,
    Office,
    User,
    act,
    incoming_office,
    ok,
    open_task,
    other_incoming_office,
)
from tests.support.instructions import delegate
from tests.support.outgoing import EXE, draft, real_docx, recipients, stage_of, to_issue
from tests.support.waiting import eventually

People = Any
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "关于做好2027年元旦春节期间值班工作的通知"
CHECK_TITLE = "关于开展政务数据质量专项检查的通知"
ISSUE_TITLE = "关于印发全省政务服务事项清单的通知"
CHECK_OPINION = "核稿通过，请综合处、法规处会签。"
NOTE = "请各单位于12月25日前报送值班表。"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = incoming_office(gw, platform_admin)
    built.add_person("fg_chu", "褚处长", "法规处", ["division_head"])
    yield built


@pytest.fixture(scope="module")
def other(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    yield other_incoming_office(gw, platform_admin)


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def fits_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def dialog_of(page: Page) -> Locator:
    dialog = page.locator("[data-test=step-dialog]:visible")
    expect(dialog).to_be_visible()
    return dialog


def file(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": DOCX, "buffer": data}


def in_address_book(person: Any, tenant: Office) -> bool:
    book = ok(person.get("/address-book", params={"tenant_code": tenant.code}))
    return any(u["tenant_code"] == tenant.code for u in book["units"])


def test_a_handler_drafts_with_a_body_and_uploads_a_new_version(
    people: People, office: Office, other: Office
):
    drafter = office["dz_ban1"]
    eventually(lambda: in_address_book(drafter, other), what="the other tenant's units")
    person = signed_in(people, office, "dz_ban1")
    page = person.page
    expect(page.locator("[data-test=menu-outgoing]")).to_have_text("发文")
    page.locator("[data-test=menu-outgoing-new]").click()
    expect(page.get_by_role("heading", name="拟稿")).to_be_visible()
    # only 非密 and 内部 are offered
    expect(page.locator("[data-test=draft-secrecy] label")).to_have_text(["非密", "内部"])

    page.locator("[data-test=draft-title]").fill(TITLE)
    # 主送: the other tenant's registry, chosen by its code; 抄送: 法规处 of this tenant
    main_to = page.locator("[data-test=draft-main-to]")
    main_to.locator("[data-test=recipient-tenant]").click()
    page.keyboard.type(other.code)
    with page.expect_response(
        lambda r: "/api/v1/address-book?" in r.url and f"tenant_code={other.code}" in r.url
    ):
        pick(page, other.code)
    main_to.locator("[data-test=recipient-units]").click()
    pick(page, "文书处")
    page.get_by_role("heading", name="拟稿").click()  # the dropdown closes
    expect(main_to.locator("[data-test=recipient-tag]")).to_have_text(["另一个厅 · 文书处"])
    copy_to = page.locator("[data-test=draft-copy-to]")
    copy_to.locator("[data-test=recipient-units]").click()
    pick(page, "法规处")
    page.get_by_role("heading", name="拟稿").click()
    expect(copy_to.locator("[data-test=recipient-tag]")).to_have_text(["收文测试厅 · 法规处"])
    page.locator("[data-test=draft-urgency]").get_by_text("加急").click()
    page.locator("[data-test=draft-note]").fill("请各单位按时报送值班表。")

    # a renamed .exe as the body: the draft is saved, the body refused by its bytes
    page.locator("[data-test=draft-body-input]").set_input_files(file("正文.docx", EXE))
    expect(page.locator("[data-test=draft-body-name]")).to_contain_text("正文.docx")
    person.screenshot("outgoing-draft-desktop")
    page.locator("[data-test=draft-save]").click()
    expect(page.get_by_text("正文.docx：文件类型不支持（正文仅限 DOCX、PDF、OFD）")).to_be_visible()
    expect(page.locator("[data-test=draft-created]")).to_be_visible()
    expect(page.locator("[data-test=draft-title]")).to_have_value(TITLE)  # nothing lost
    person.screenshot("outgoing-draft-refused-desktop")

    # the real DOCX: uploaded as version 1, and the document page
    page.locator("[data-test=draft-body-input]").set_input_files(
        file("正文.docx", real_docx("第一稿"))
    )
    page.locator("[data-test=draft-save]").click()
    expect(page.locator("[data-test=outgoing-title]")).to_have_text(TITLE)
    expect(page.locator("[data-test=outgoing-stage]")).to_have_text("拟稿")
    expect(page.locator("[data-test=main-to]")).to_have_text("另一个厅 · 文书处")
    expect(page.locator("[data-test=copy-to]")).to_have_text("法规处")
    versions = page.locator("[data-test=body-version]")
    expect(versions).to_have_count(1)
    expect(versions.first).to_have_attribute("data-version", "1")
    expect(versions.first).to_contain_text("第 1 版")
    expect(versions.first).to_contain_text("当前版本")
    expect(versions.first).to_contain_text("李承办")
    expect(page.locator("[data-test=slip-drafter]")).to_contain_text("电子政务处 李承办")
    expect(page.locator("[data-test=outgoing-actions]")).to_contain_text("当前任务：拟稿")
    expect(page.locator("[data-test=action-submit]")).to_have_text("送核稿")
    document_id = page.url.rstrip("/").split("/")[-1]
    person.screenshot("outgoing-document-draft-desktop")

    # 上传新版本: v2 is the current version, v1 still listed (and downloadable)
    page.locator("[data-test=body-input]").set_input_files(
        file("正文（修改）.docx", real_docx("第二稿"))
    )
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_have_attribute("data-version", "2")
    expect(versions.nth(0)).to_contain_text("正文（修改）.docx")
    expect(versions.nth(0).locator("[data-test=current-version]")).to_have_text("当前版本")
    expect(versions.nth(1)).to_have_attribute("data-version", "1")
    expect(versions.nth(1).locator("[data-test=current-version]")).to_have_count(0)
    with page.expect_download() as download:
        versions.nth(1).locator("[data-test=download]").click()
    assert download.value.suggested_filename == "正文.docx"
    # an .exe as a new version is refused too, and the versions stay
    page.locator("[data-test=body-input]").set_input_files(file("第三稿.docx", EXE))
    expect(page.locator("[data-test=body-error]")).to_have_text(
        "第三稿.docx：文件类型不支持（正文仅限 DOCX、PDF、OFD）"
    )
    expect(versions).to_have_count(2)
    person.screenshot("outgoing-document-versions-desktop")

    # 修改稿件 while at 拟稿: the note changes, the recipients stay
    page.locator("[data-test=edit-draft]").click()
    edit = page.locator("[data-test=edit-draft-dialog]")
    expect(edit.locator("[data-test=edit-title]")).to_have_value(TITLE)
    expect(edit.locator("[data-test=edit-main-to] [data-test=recipient-tag]")).to_have_text(
        ["另一个厅 · 文书处"]
    )
    edit.locator("textarea[name=edit-note]").fill(NOTE)
    edit.get_by_role("button", name="确定").click()
    expect(edit).to_be_hidden()
    expect(page.locator("[data-test=outgoing-draft]")).to_contain_text(NOTE)

    # what the server holds: one draft (the refused body made no second one), two versions
    shown = ok(drafter.get(f"/outgoing/{document_id}"))
    assert [v["version"] for v in shown["body_versions"]] == [2, 1]
    assert (shown["urgency"], shown["note"]) == ("urgent", NOTE)
    assert [(r["tenant_code"], r["unit_name"]) for r in shown["main_to"]] == [
        (other.code, "文书处")
    ]
    assert ok(drafter.get("/outgoing", params={"q": TITLE}))["total"] == 1

    # 发文: the list shows it; 送核稿 from the page
    page.locator("[data-test=menu-outgoing]").click()
    row = page.locator("[data-test=outgoing-table] .el-table__body tr", has_text=TITLE)
    expect(row.locator("[data-test=row-stage]")).to_have_text("拟稿")
    person.screenshot("outgoing-list-desktop")
    row.get_by_role("link", name=TITLE).click()
    page.locator("[data-test=action-submit]").click()
    expect(page.locator("[data-test=outgoing-stage]")).to_have_text("核稿")
    expect(page.locator("[data-test=outgoing-actions]")).to_have_count(0)

    # the drafting page at phone width
    phone = signed_in(people, office, "dz_ban1", PHONE)
    phone.open("/outgoing/new")
    expect(phone.page.get_by_role("heading", name="拟稿")).to_be_visible()
    phone.screenshot("outgoing-draft-phone")
    fits_phone(phone.page)


def test_the_head_checks_it_and_two_divisions_countersign_in_turn(
    people: People, office: Office, other: Office
):
    drafter = office["dz_ban1"]
    doc = draft(office, drafter, CHECK_TITLE, recipients((other.code, other.units["文书处"])))
    act(drafter, open_task(drafter, doc["id"], "draft")["id"], action="submit")
    open_task(office["dz_chu"], doc["id"], "check")

    # 核稿 by the head, from 待办 (the document page of 发文 opens)
    head = signed_in(people, office, "dz_chu")
    page = head.page
    page.locator("[data-test=menu-todo]").click()
    page.get_by_role("link", name=CHECK_TITLE).click()
    expect(page).to_have_url(f"{head.base_url}/outgoing/{doc['id']}")
    expect(page.locator("[data-test=outgoing-stage]")).to_have_text("核稿")
    actions = page.locator("[data-test=outgoing-actions]")
    expect(actions.locator("button")).to_have_text(["核稿通过", "退回"])
    actions.get_by_role("button", name="核稿通过").click()
    dialog = dialog_of(page)
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_contain_text("请选择签发领导")  # the signer is required
    dialog.locator("[data-test=step-signer]").click()
    pick(page, "赵厅长")
    dialog.locator("[data-test=step-countersign-units]").click()
    expect(page.locator(".el-select-dropdown__item:visible", has_text="电子政务处")).to_have_count(
        0
    )  # not the drafting division
    pick(page, "综合处")
    pick(page, "法规处")
    dialog.locator(".el-dialog__title").click()  # the dropdown closes
    dialog.locator("[data-test=step-opinion]").fill(CHECK_OPINION)
    head.screenshot("outgoing-check-dialog-desktop")
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=outgoing-stage]")).to_have_text("会签")
    waiting = page.locator("[data-test=countersign-waiting]")
    expect(waiting).to_contain_text("会签中，等待")
    expect(waiting).to_contain_text("综合处")
    expect(waiting).to_contain_text("法规处")
    expect(page.locator("[data-test=slip-checker]")).to_contain_text("王处长")

    # 综合处 countersigns first: the opinion is required; then it still waits for 法规处
    first = signed_in(people, office, "zh_chu")
    first.open(f"/outgoing/{doc['id']}")
    p1 = first.page
    p1.locator("[data-test=outgoing-actions]").get_by_role("button", name="会签").click()
    dialog = dialog_of(p1)
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_contain_text("请填写会签意见")
    dialog.locator("[data-test=step-opinion]").fill("综合处：同意。")
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_be_hidden()
    expect(p1.locator("[data-test=outgoing-actions]")).to_have_count(0)
    expect(p1.locator("[data-test=outgoing-stage]")).to_have_text("会签")
    expect(p1.locator("[data-test=countersign-waiting]")).to_have_text("会签中，等待 法规处 会签")
    expect(p1.locator("[data-test=slip-countersigners]")).to_contain_text("综合处 冯处长")
    expect(p1.locator("[data-test=slip-countersign-awaited]")).to_contain_text("法规处")
    first.screenshot("outgoing-countersign-waiting-desktop")

    # 法规处 countersigns: on to 签发
    second = signed_in(people, office, "fg_chu")
    second.open(f"/outgoing/{doc['id']}")
    p2 = second.page
    p2.locator("[data-test=outgoing-actions]").get_by_role("button", name="会签").click()
    dialog = dialog_of(p2)
    dialog.locator("[data-test=step-opinion]").fill("法规处：同意。")
    dialog.get_by_role("button", name="确定").click()
    expect(p2.locator("[data-test=outgoing-stage]")).to_have_text("待签发")
    slip = p2.locator("[data-test=draft-slip]")
    expect(slip.locator("[data-test=slip-opinion-kind]")).to_have_text(
        ["核稿意见", "会签意见", "会签意见"]
    )
    expect(slip.locator("[data-test=slip-opinion] .opinion-text")).to_have_text(
        [CHECK_OPINION, "综合处：同意。", "法规处：同意。"]
    )
    expect(slip.locator("[data-test=slip-opinion-author]")).to_have_text(
        ["王处长 · 电子政务处", "冯处长 · 综合处", "褚处长 · 法规处"]
    )
    expect(slip.locator("[data-test=slip-countersign-awaited]")).to_have_count(0)
    expect(slip.locator("[data-test=slip-signer]")).to_have_text("待签发")
    second.screenshot("outgoing-countersigned-desktop")
    # the route: 核稿 done, both 会签 done, 签发 open for 赵厅长
    p2.get_by_role("tab", name="办理流程").click()
    steps = p2.locator("[data-test=outgoing-route] .el-table__body tr")
    expect(steps).to_have_count(5)  # 拟稿, 核稿, 会签 ×2, 签发
    expect(steps.last).to_contain_text("签发")
    expect(steps.last).to_contain_text("赵厅长")
    p2.locator("[data-test=outgoing-route]").scroll_into_view_if_needed()
    second.screenshot("outgoing-route-desktop")
    assert ok(drafter.get(f"/outgoing/{doc['id']}"))["stage"] == "issue"


def test_the_secretary_issues_it_for_the_leader_and_the_slip_says_so(
    people: People, office: Office, other: Office
):
    drafter, head, leader, secretary = (
        office["dz_ban1"],
        office["dz_chu"],
        office["ting1"],
        office["mishu"],
    )
    doc = draft(office, drafter, ISSUE_TITLE, recipients((other.code, other.units["文书处"])))
    to_issue(office, drafter, head, doc, leader)
    delegate(leader, secretary)
    eventually(
        lambda: secretary.get(f"/outgoing/{doc['id']}").status_code == 200,
        what="the secretary may open it",
    )

    # the leader's 签发 task under 代录批示, and the document page of 发文
    person = signed_in(people, office, "mishu")
    page = person.page
    page.locator("[data-test=menu-delegated]").click()
    row = page.locator("[data-test=task-table] .el-table__body tr", has_text=ISSUE_TITLE)
    expect(row.locator("[data-test=task-leader]")).to_have_text("赵厅长")
    row.get_by_role("link", name=ISSUE_TITLE).click()
    expect(page).to_have_url(f"{person.base_url}/outgoing/{doc['id']}")
    actions = page.locator("[data-test=outgoing-actions]")
    expect(actions.locator("button")).to_have_text(["代 赵厅长 签发"])
    actions.get_by_role("button", name="代 赵厅长 签发").click()
    dialog = dialog_of(page)
    expect(dialog.locator(".el-dialog__title")).to_have_text("代 赵厅长 签发")
    expect(dialog.locator("[data-test=step-opinion]")).to_have_value("同意印发。")
    person.screenshot("outgoing-issue-proxy-desktop")
    dialog.get_by_role("button", name="确定").click()
    expect(page.locator(".el-message__content", has_text="已代赵厅长签发")).to_be_visible()
    expect(page.locator("[data-test=outgoing-stage]")).to_have_text("待编号")
    slip = page.locator("[data-test=draft-slip]")
    expect(slip.locator("[data-test=slip-signer]")).to_contain_text("赵厅长（秘书 孙秘书 代录）")
    issued = slip.locator("[data-test=slip-opinion]", has_text="签发意见")
    expect(issued.locator(".opinion-text")).to_have_text("同意印发。")
    expect(issued.locator("[data-test=slip-opinion-author]")).to_contain_text(
        "赵厅长（秘书 孙秘书 代录）"
    )
    expect(page.locator("[data-test=outgoing-actions]")).to_have_count(0)
    person.screenshot("outgoing-issued-desktop")
    shown = stage_of(drafter, doc["id"], "number")
    assert (shown["signer_name"], shown["issue_entered_by_name"]) == ("赵厅长", "孙秘书")

    # at phone width: the list as cards, and the document page with its slip
    phone = signed_in(people, office, "dz_ban1", PHONE)
    page = phone.page
    page.locator("[data-test=menu-toggle]").click()
    page.locator("[data-test=menu-outgoing]").click()
    card = page.locator("[data-test=outgoing-cards] .out-card", has_text=ISSUE_TITLE)
    expect(card).to_contain_text("待编号")
    phone.screenshot("outgoing-list-phone")
    fits_phone(page)
    card.click()
    expect(page.locator("[data-test=outgoing-title]")).to_have_text(ISSUE_TITLE)
    expect(page.locator("[data-test=slip-signer]")).to_contain_text("赵厅长（秘书 孙秘书 代录）")
    expect(page.locator("[data-test=body-version]")).to_have_count(1)
    phone.screenshot("outgoing-document-phone")
    fits_phone(page)
    page.locator("[data-test=outgoing-slip]").scroll_into_view_if_needed()
    phone.screenshot("outgoing-slip-phone")
    page.get_by_role("tab", name="办理流程").click()
    page.locator("[data-test=outgoing-route]").scroll_into_view_if_needed()
    phone.screenshot("outgoing-route-phone")
    fits_phone(page)

    # the secretary's 签发 at phone width reads the same (a second document)
    again = draft(
        office,
        drafter,
        "关于调整值班安排的补充通知",
        recipients((other.code, other.units["文书处"])),
    )
    to_issue(office, drafter, head, again, leader)
    eventually(
        lambda: secretary.get(f"/outgoing/{again['id']}").status_code == 200,
        what="the secretary may open the second one",
    )
    on_phone = signed_in(people, office, "mishu", PHONE)
    on_phone.open(f"/outgoing/{again['id']}")
    on_phone.page.get_by_role("button", name="代 赵厅长 签发").click()
    dialog = dialog_of(on_phone.page)
    expect(dialog.locator("[data-test=step-proxy]")).to_contain_text("代 赵厅长 签发")
    on_phone.screenshot("outgoing-issue-proxy-phone")
    fits_phone(on_phone.page)
    dialog.get_by_role("button", name="确定").click()
    expect(on_phone.page.locator("[data-test=slip-signer]")).to_contain_text(
        "赵厅长（秘书 孙秘书 代录）"
    )
    fits_phone(on_phone.page)
