"""Notices with receipts (通知 + 回执) in the browser (DESIGN 5): the province office's
clerk (王文书) composes a meeting notice — its text, a PDF attachment and a receipt form
built field by field (参会人员 and 人数 required, 联系电话 a phone number, 是否住宿 a
单选 with its options; moved up and down, previewed as the recipient will see it) with a
reply deadline; sending it with no recipients, then to a division with nobody in it, is
refused in Chinese and makes nothing; sent to 电子政务处 it is in 我发出的 as 已发送 with
已回执 0/2. 李电政 of that division finds it under 收到的通知 as 未读 and opens it (read for
the sender), a reply missing 人数 is refused at the field, the reply goes in and is
changed once. The clerk sees the counts and the reply's fields, each recipient's e-mail
and SMS delivery, reminds the one missing (提醒未回执: 1 reminded) and exports the
replies as a workbook (header and the reply checked with openpyxl). At phone width: the
lists and the receipts are cards, a city's registrar replies, and after the deadline
(notify's test clock) the form reads 回执已截止."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, ok, real_pdf
from tests.support.notices import SHANGHAI, notice_offices, send_notice, sent_total
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

People = Any
TITLE = "关于召开全省电子政务工作推进会的通知"
BODY = "定于12月10日上午9:00在省政府3号楼第一会议室召开全省电子政务工作推进会。\n请各单位派1至2名负责同志参加，并于会前报送回执。"
PHONE_TITLE = "关于报送2027年度政务信息化项目计划的通知"
LATE_TITLE = "关于参加网络安全培训的通知"
DRAFT_TITLE = "关于报送元旦春节期间值班表的通知"
SAVED_TITLE = "关于报送年度工作总结的通知"
REQUIRED = re.compile(r"\bis-required\b")  # Element Plus marks a required form item so


@pytest.fixture(scope="module")
def offices(gw: Gateway, platform_admin: User) -> tuple[Office, Office]:
    return notice_offices(gw, platform_admin)


@pytest.fixture()
def notify_clock(rpc: SyncRpc) -> Iterator[Any]:
    """notify's test clock, set by the test; real time again afterwards."""

    def set_clock(instant: dt.datetime) -> None:
        rpc.call("notify", "set_test_clock", now=instant.isoformat())

    yield set_clock
    rpc.call("notify", "set_test_clock", now=None)


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def fits_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def field_row(page: Page, index: int) -> Locator:
    return page.locator("[data-test=form-field]").nth(index)


def reply_field(page: Page, label: str) -> Locator:
    return page.locator(f"[data-test=reply-card] [data-test=reply-field][data-label='{label}']")


def choose_in(page: Page, scope: Locator, option: str) -> None:
    scope.locator(".el-select").click()
    pick(page, option)


def in_three_days() -> dt.datetime:
    day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=3)).date()
    return dt.datetime.combine(day, dt.time(18, 0), SHANGHAI)


def test_a_clerk_composes_a_meeting_notice_and_follows_the_replies(
    people: People, offices: tuple[Office, Office], tmp_path: Path
):
    province, _city = offices
    clerk_api = province["clerk"]
    before = sent_total(clerk_api)

    clerk = signed_in(people, province, "clerk")
    page = clerk.page
    expect(page.locator("[data-test=menu-notices]")).to_have_text("通知公告")
    page.locator("[data-test=menu-notices]").click()
    expect(page.locator("[data-test=notices-tabs]")).to_contain_text("收到的通知")
    page.locator("[data-test=notices-new]").click()
    expect(page.get_by_text("拟写通知").first).to_be_visible()

    page.locator("[data-test=notice-title]").fill(TITLE)
    page.locator("[data-test=notice-body]").fill(BODY)
    page.locator("[data-test=notice-upload] input[type=file]").set_input_files(
        {"name": "会议议程.pdf", "mimeType": "application/pdf", "buffer": real_pdf("agenda")}
    )
    expect(page.locator("[data-test=notice-upload]")).to_contain_text("会议议程.pdf")

    # the receipt form: two common fields, 联系电话 typed by hand, 是否住宿 a 单选
    page.locator("[data-test=field-common-参会人员]").click()
    page.locator("[data-test=field-common-人数]").click()
    page.locator("[data-test=field-add]").click()
    phone_row = field_row(page, 2)
    phone_row.locator("[data-test=field-label]").fill("联系电话")
    choose_in(page, phone_row, "电话")
    page.locator("[data-test=field-add]").click()
    stay_row = field_row(page, 3)
    stay_row.locator("[data-test=field-label]").fill("是否住宿")
    choose_in(page, stay_row, "单选")
    expect(stay_row.locator("[data-test=field-options]")).to_be_visible()
    # 人数 and 参会人员 came required; the preview marks them
    preview = page.locator("[data-test=form-preview] [data-test=reply-field]")
    expect(preview).to_have_count(4)
    expect(preview.nth(0)).to_have_class(REQUIRED)
    expect(preview.nth(1)).to_have_class(REQUIRED)
    expect(preview.nth(2)).not_to_have_class(REQUIRED)

    # reorder: 联系电话 up above 人数, then back down
    phone_row.locator("[data-test=field-up]").click()
    expect(preview.nth(1)).to_have_attribute("data-label", "联系电话")
    field_row(page, 1).locator("[data-test=field-down]").click()
    expect(preview.nth(1)).to_have_attribute("data-label", "人数")
    expect(preview.nth(2)).to_have_attribute("data-label", "联系电话")

    deadline = in_three_days()
    picker = page.locator("[data-test=notice-deadline] input")
    picker.fill(deadline.strftime("%Y-%m-%d %H:%M"))
    picker.press("Enter")
    page.locator("[data-test=notice-title]").click()  # the picker closes

    # 发送 with no recipients and a 单选 without options: both said in Chinese, nothing made
    page.locator("[data-test=notice-send]").click()
    expect(page.get_by_text("请选择接收单位或人员")).to_be_visible()
    expect(stay_row.locator("[data-test=field-error]")).to_have_text("单选字段需要选项")
    expect(page.locator("[data-test=notice-problems]")).to_be_visible()
    clerk.screenshot("notice-compose-errors-desktop")
    assert sent_total(clerk_api) == before

    stay_row.locator("[data-test=field-option-input]").fill("是")
    stay_row.locator("[data-test=field-option-input]").press("Enter")
    stay_row.locator("[data-test=field-option-input]").fill("否")
    stay_row.locator("[data-test=field-option-input]").press("Enter")
    expect(stay_row.locator("[data-test=field-option]")).to_have_text(["是", "否"])
    expect(stay_row.locator("[data-test=field-error]")).to_have_count(0)

    # a division with nobody in it: the server refuses, in Chinese, and nothing is made
    units = page.locator("[data-test=notice-units]")
    units.locator("[data-test=recipient-units]").click()
    pick(page, "空处室")
    page.locator("[data-test=notice-title]").click()
    expect(units.locator("[data-test=recipient-tag]")).to_have_text(
        [f"{province.tenant['name']} · 空处室"]
    )
    page.locator("[data-test=notice-send]").click()
    expect(page.get_by_text("所选单位中没有在职人员，请重新选择接收单位或人员")).to_be_visible()
    assert sent_total(clerk_api) == before
    expect(page.locator("[data-test=notice-title]")).to_have_value(TITLE)  # nothing lost
    expect(page.locator("[data-test=draft-kept]")).to_have_count(0)

    units.locator("[data-test=recipient-tag] .el-tag__close").click()
    units.locator("[data-test=recipient-units]").click()
    pick(page, "电子政务处")
    page.locator("[data-test=notice-title]").click()
    expect(units.locator("[data-test=recipient-tag]")).to_have_text(
        [f"{province.tenant['name']} · 电子政务处"]
    )
    clerk.screenshot("notice-compose-desktop")
    page.locator("[data-test=notice-receipt-card]").scroll_into_view_if_needed()
    clerk.screenshot("notice-compose-form-desktop")

    page.locator("[data-test=notice-send]").click()
    expect(page.locator("[data-test=notice-title]")).to_have_text(TITLE)
    expect(page.locator("[data-test=notice-status]")).to_have_text("已发送")
    expect(page.locator("[data-test=count-total]")).to_have_text("2")
    expect(page.locator("[data-test=count-unread]")).to_have_text("2")
    expect(page.locator("[data-test=notice-attachment]")).to_contain_text("会议议程.pdf")
    notice_id = page.url.rstrip("/").split("/")[-1]
    notice = ok(clerk_api.get(f"/notices/{notice_id}"))
    assert [f["label"] for f in notice["form"]] == ["参会人员", "人数", "联系电话", "是否住宿"]
    assert [f["required"] for f in notice["form"]] == [True, True, False, False]
    assert [f["type"] for f in notice["form"]] == ["text", "integer", "phone", "select"]
    assert notice["form"][3]["options"] == ["是", "否"]
    assert dt.datetime.fromisoformat(notice["reply_deadline"]) == deadline
    assert sent_total(clerk_api) == before + 1

    # 我发出的: 已发送, 已回执 0/2
    page.locator("[data-test=notice-back]").click()
    expect(page.locator("[data-test=notices-tabs] .is-active")).to_have_text("我发出的")
    row = page.locator("[data-test=notices-table] .el-table__body tr", has_text=TITLE)
    expect(row.locator("[data-test=row-status]")).to_have_text("已发送")
    expect(row.locator("[data-test=row-counts]")).to_have_text("已回执 0/2")
    clerk.screenshot("notices-sent-desktop")

    # 李电政 of 电子政务处: 未读 under 收到的通知, opened — read for the sender
    recipient = signed_in(people, province, "dz1")
    mine = recipient.page
    mine.locator("[data-test=menu-notices]").click()
    line = mine.locator("[data-test=notices-table] .el-table__body tr", has_text=TITLE)
    expect(line.locator("[data-test=row-status]")).to_have_text("未读")
    expect(line).to_contain_text("办公室 · 王文书")
    recipient.screenshot("notices-received-desktop")
    line.locator("[data-test=row-title]").click()
    expect(mine.locator("[data-test=notice-title]")).to_have_text(TITLE)
    expect(mine.locator("[data-test=notice-status]")).to_have_text("已读未回执")
    expect(mine.locator("[data-test=notice-sender]")).to_contain_text("办公室 · 王文书")
    expect(mine.locator("[data-test=notice-deadline]")).to_contain_text(
        deadline.strftime("%Y-%m-%d %H:%M")
    )
    expect(mine.locator("[data-test=notice-body]")).to_contain_text("请各单位派1至2名负责同志参加")
    eventually(
        lambda: ok(clerk_api.get(f"/notices/{notice_id}"))["counts"]["read"] == 1,
        what="read for the sender",
    )

    # the attachment downloads
    with mine.expect_download() as info:
        mine.locator("[data-test=attachment-download]").click()
    assert info.value.suggested_filename == "会议议程.pdf"

    # a reply without 人数 is refused at the field; then the reply goes in
    expect(reply_field(mine, "人数")).to_have_class(REQUIRED)
    reply_field(mine, "参会人员").locator("input").fill("李电政")
    mine.locator("[data-test=reply-submit]").click()
    expect(reply_field(mine, "人数")).to_contain_text("请填写人数")
    recipient.screenshot("notice-reply-missing-desktop")
    assert ok(clerk_api.get(f"/notices/{notice_id}"))["counts"]["replied"] == 0
    reply_field(mine, "人数").locator("input").fill("2")
    reply_field(mine, "联系电话").locator("input").fill("0851-86812345")
    choose_in(mine, reply_field(mine, "是否住宿"), "否")
    mine.locator("[data-test=reply-submit]").click()
    shown = mine.locator("[data-test=reply-shown] [data-test=reply-value]")
    expect(shown).to_have_text(["李电政", "2", "0851-86812345", "否"])
    expect(mine.locator("[data-test=notice-status]")).to_have_text("已回执")
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    expect(mine.locator("[data-test=reply-time]")).to_contain_text(today)

    # 修改回执 before the deadline
    mine.locator("[data-test=reply-edit]").click()
    expect(reply_field(mine, "参会人员").locator("input")).to_have_value("李电政")
    reply_field(mine, "参会人员").locator("input").fill("李电政、张工")
    choose_in(mine, reply_field(mine, "是否住宿"), "是")
    mine.locator("[data-test=reply-submit]").click()
    expect(shown).to_have_text(["李电政、张工", "2", "0851-86812345", "是"])
    expect(mine.locator("[data-test=reply-time]")).to_contain_text("修改 1 次")
    recipient.screenshot("notice-replied-desktop")

    # the 通知 list leads to the notice
    mine.locator("[data-test=menu-notifications]").click()
    item = mine.locator("[data-test=notification]", has_text=TITLE).first
    expect(item.locator("[data-test=open-notice]")).to_have_text("查看通知")
    item.locator("[data-test=open-notice]").click()
    expect(mine.locator("[data-test=notice-title]")).to_have_text(TITLE)

    # the sender: counts, the reply's fields, delivery per channel
    def emailed() -> bool:
        items = ok(clerk_api.get(f"/notices/{notice_id}/receipts"))["items"]
        return all(
            any(d["channel"] == "email" and d["status"] == "sent" for d in r["delivery"])
            for r in items
        )

    eventually(emailed, timeout=30, what="the notice's e-mails")
    clerk.open(f"/notices/{notice_id}")
    expect(page.locator("[data-test=count-replied]")).to_have_text("1")
    expect(page.locator("[data-test=count-read]")).to_have_text("0")
    expect(page.locator("[data-test=count-unread]")).to_have_text("1")
    table = page.locator("[data-test=receipts-table]")
    replied = table.locator(".el-table__body tr", has_text="李电政")
    expect(replied.locator("[data-test=receipt-status]")).to_have_text("已回执")
    expect(replied.locator("[data-test=receipt-field]")).to_have_text(
        ["李电政、张工", "2", "0851-86812345", "是"]
    )
    expect(replied.locator("[data-test=receipt-changes]")).to_have_text("修改 1 次")
    expect(replied.locator("[data-test=delivery-tag][data-channel=email]")).to_have_text(
        "邮件已发送"
    )
    expect(replied.locator("[data-test=delivery-tag][data-channel=sms]")).to_have_count(1)
    missing = table.locator(".el-table__body tr", has_text="吴电政")
    expect(missing.locator("[data-test=receipt-status]")).to_have_text("未读")
    expect(missing.locator("[data-test=receipt-field]")).to_have_text(["—", "—", "—", "—"])
    expect(table.locator("thead")).to_contain_text("参会人员")
    clerk.screenshot("notice-receipts-desktop")

    # the 未读 tab lists 吴电政 only
    page.locator("[data-test=receipts-filter] .el-tabs__item", has_text="未读").click()
    expect(table.locator("[data-test=receipt-name]")).to_have_text(["吴电政"])
    page.locator("[data-test=receipts-filter] .el-tabs__item", has_text="全部").click()
    expect(table.locator("[data-test=receipt-name]")).to_have_count(2)

    # 提醒未回执: 吴电政 reminded
    page.locator("[data-test=notice-remind]").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text("1 位尚未回执")
    confirm.get_by_role("button", name="提醒", exact=True).click()
    expect(page.locator("[data-test=remind-result]")).to_contain_text("已提醒 1 人")
    expect(missing.locator("[data-test=receipt-reminded]")).to_have_text("已提醒 1 次")

    # 导出回执: the workbook with the header and the reply
    with page.expect_download() as info:
        page.locator("[data-test=notice-export]").click()
    download = info.value
    assert download.suggested_filename == f"{TITLE}-回执.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "序号",
        "单位",
        "姓名",
        "状态",
        "阅读时间",
        "回执时间",
        "修改次数",
        "参会人员",
        "人数",
        "联系电话",
        "是否住宿",
    ]
    line_of = next(r for r in rows[1:] if r[2] == "李电政")
    assert line_of[1] == "电子政务处" and line_of[3] == "已回执" and line_of[6] == 1
    assert line_of[7:] == ["李电政、张工", 2, "0851-86812345", "是"]
    assert next(r for r in rows[1:] if r[2] == "吴电政")[3] == "未读"


def test_at_phone_width_the_lists_and_receipts_are_cards_and_a_late_reply_is_closed(
    people: People, offices: tuple[Office, Office], notify_clock: Any
):
    province, city = offices
    clerk_api = province["clerk"]
    notice = send_notice(
        clerk_api,
        PHONE_TITLE,
        units=[
            {"unit_id": province.units["电子政务处"]},
            {"tenant_code": city.code, "unit_id": city.units["市政府办公室"]},
        ],
    )
    nid = notice["id"]

    # the city's registrar, at phone width: a card under 收到的通知, then the reply
    receiver = signed_in(people, city, "city1", PHONE)
    page = receiver.page
    receiver.open("/notices")
    card = page.locator("[data-test=notices-cards] [data-test=notice-card]", has_text=PHONE_TITLE)
    expect(card.locator("[data-test=row-status]")).to_have_text("未读")
    expect(card).to_contain_text(f"{province.tenant['name']} · 办公室 · 王文书")
    expect(page.locator("[data-test=notices-table]")).to_have_count(0)
    receiver.screenshot("notices-received-phone")
    fits_phone(page)
    card.click()
    expect(page.locator("[data-test=notice-title]")).to_have_text(PHONE_TITLE)
    reply_field(page, "参会人员").locator("input").fill("孙市办")
    reply_field(page, "人数").locator("input").fill("1")
    reply_field(page, "联系电话").locator("input").fill("13900002000")
    # a reload (刷新, or the read mark answering late) keeps what was typed
    page.locator("[data-test=notice-reload]").click()
    expect(page.locator("[data-test=notice-reload]")).to_be_enabled()
    expect(reply_field(page, "参会人员").locator("input")).to_have_value("孙市办")
    expect(reply_field(page, "联系电话").locator("input")).to_have_value("13900002000")
    receiver.screenshot("notice-reply-phone")
    fits_phone(page)
    page.locator("[data-test=reply-submit]").click()
    expect(page.locator("[data-test=reply-shown] [data-test=reply-value]")).to_have_text(
        ["孙市办", "1", "13900002000", "—"]
    )
    receiver.screenshot("notice-replied-phone")
    fits_phone(page)

    # the sender at phone width: the counts and a card per recipient
    sender = signed_in(people, province, "clerk", PHONE)
    spage = sender.page
    sender.open(f"/notices/{nid}")
    expect(spage.locator("[data-test=count-replied]")).to_have_text("1")
    expect(spage.locator("[data-test=count-unread]")).to_have_text("2")
    expect(spage.locator("[data-test=receipts-table]")).to_have_count(0)
    cards = spage.locator("[data-test=receipts-cards] [data-test=receipt-card]")
    expect(cards).to_have_count(3)
    city_card = cards.filter(has_text="孙市办")
    expect(city_card).to_contain_text(f"{city.tenant['name']} · 市政府办公室")
    expect(city_card.locator("[data-test=receipt-field]")).to_have_text(
        ["孙市办", "1", "13900002000", "—"]
    )
    spage.locator("[data-test=receipts-card]").scroll_into_view_if_needed()
    sender.screenshot("notice-receipts-phone")
    fits_phone(spage)
    sender.open("/notices?box=sent")
    expect(
        spage.locator("[data-test=notices-cards] [data-test=notice-card]", has_text=PHONE_TITLE)
    ).to_contain_text("已回执 1/3")
    sender.screenshot("notices-sent-phone")
    fits_phone(spage)

    # the composer at phone width, with a field or two
    sender.open("/notices/new")
    spage.locator("[data-test=field-common-参会人员]").click()
    spage.locator("[data-test=field-add]").click()
    field_row(spage, 1).locator("[data-test=field-label]").fill("是否住宿")
    choose_in(spage, field_row(spage, 1), "单选")
    sender.screenshot("notice-compose-phone")
    fits_phone(spage)

    # after the deadline (notify's clock): 回执已截止, nothing to submit
    soon = dt.datetime.now(SHANGHAI) + dt.timedelta(hours=1)
    late = send_notice(
        clerk_api, LATE_TITLE, units=[{"unit_id": province.units["电子政务处"]}], deadline=soon
    )
    notify_clock(soon + dt.timedelta(minutes=1))
    dz2 = signed_in(people, province, "dz2", PHONE)
    dz2.open(f"/notices/{late['id']}")
    dpage = dz2.page
    expect(dpage.locator("[data-test=notice-title]")).to_have_text(LATE_TITLE)
    expect(dpage.locator("[data-test=reply-closed]")).to_contain_text("回执已截止")
    expect(dpage.locator("[data-test=reply-submit]")).to_be_disabled()
    expect(dpage.locator("[data-test=notice-deadline]")).to_contain_text("已截止")
    dz2.screenshot("notice-closed-phone")
    fits_phone(dpage)


def test_a_refused_attachment_keeps_the_draft_and_a_draft_is_sent_from_the_list(
    people: People, offices: tuple[Office, Office]
):
    province, _city = offices
    clerk_api = province["clerk"]
    before = sent_total(clerk_api)
    clerk = signed_in(people, province, "clerk")
    page = clerk.page
    clerk.open("/notices/new")
    page.locator("[data-test=notice-title]").fill(DRAFT_TITLE)
    page.locator("[data-test=notice-body]").fill("请于本周五前报送本单位值班表。")
    units = page.locator("[data-test=notice-units]")
    units.locator("[data-test=recipient-units]").click()
    pick(page, "电子政务处")
    page.locator("[data-test=notice-title]").click()
    # a .pdf that is no PDF: the draft is made, the file refused by its bytes, nothing sent
    page.locator("[data-test=notice-upload] input[type=file]").set_input_files(
        {"name": "值班表.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf at all"}
    )
    page.locator("[data-test=notice-send]").click()
    expect(page.locator("[data-test=draft-kept]")).to_be_visible()
    expect(page.get_by_text("值班表.pdf：文件类型不支持")).to_be_visible()
    expect(page.locator("[data-test=notice-title]")).to_have_value(DRAFT_TITLE)
    clerk.screenshot("notice-draft-kept-desktop")
    [draft] = [
        n
        for n in ok(clerk_api.get("/notices", params={"box": "sent"}))["items"]
        if n["title"] == DRAFT_TITLE
    ]
    assert draft["status"] == "draft"

    # the file taken out, 发送 again: the same draft goes, once
    item = page.locator("[data-test=notice-upload] .el-upload-list__item", has_text="值班表.pdf")
    item.hover()
    item.locator(".el-icon--close").click()
    expect(item).to_have_count(0)
    page.locator("[data-test=notice-send]").click()
    expect(page.locator("[data-test=notice-status]")).to_have_text("已发送")
    assert page.url.rstrip("/").endswith(draft["id"])
    assert sent_total(clerk_api) == before + 1

    # a draft saved earlier: 草稿 in 我发出的, opened and sent from its page
    saved = ok(
        clerk_api.post(
            "/notices",
            json={
                "title": SAVED_TITLE,
                "body": "请各处室于下周一前报送年度工作总结。",
                "units": [{"unit_id": province.units["电子政务处"]}],
            },
        ),
        201,
    )
    clerk.open("/notices?box=sent")
    row = page.locator("[data-test=notices-table] .el-table__body tr", has_text=SAVED_TITLE)
    expect(row.locator("[data-test=row-status]")).to_have_text("草稿")
    row.locator("[data-test=row-title]").click()
    expect(page.locator("[data-test=notice-status]")).to_have_text("草稿")
    expect(page.locator("[data-test=draft-actions]")).to_contain_text("草稿尚未发送")
    clerk.screenshot("notice-draft-desktop")
    page.locator("[data-test=draft-send]").click()
    expect(page.locator("[data-test=notice-status]")).to_have_text("已发送")
    expect(page.locator("[data-test=draft-actions]")).to_have_count(0)
    # no receipt form: 阅读情况, 提醒未读
    expect(page.locator("[data-test=receipts-card]")).to_contain_text("阅读情况")
    expect(page.locator("[data-test=notice-remind]")).to_have_text("提醒未读")
    expect(page.locator("[data-test=count-unread]")).to_have_text("2")
    assert ok(clerk_api.get(f"/notices/{saved['id']}"))["status"] == "sent"
