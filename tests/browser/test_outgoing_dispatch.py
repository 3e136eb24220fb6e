"""发文 from 签发 to the recipients' receipts in the browser (DESIGN 4.2): the registrar
(张文书) numbers an issued document in the office's series (测试厅发〔<year>〕N号), records
the seal with a note and dispatches it to two other tenants — 主送 贵阳市人民政府 and 抄送
遵义市人民政府, each their 文书处; the 签收回执 card shows both 待签收 and the registrar
urges one (催签 with a message, counted); 贵阳's registrar signs for it in their 收文箱,
遵义's refuses it with a reason; the sender reads 已签收 (who, when) and 已拒收 (why), sends
it again to 遵义 (重新发送: a new 待签收 copy above the refused one, shown 已重新发送); the
发文登记簿 lists the number with its title, 签发人 赵厅长 and 已分发, finds it by a word,
and 导出 Excel downloads the year's register with that row. At phone width the receipts
and the register are cards."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.gateway import (
    Gateway,
    Office,
    User,
    incoming_office,
    ok,
    setup_office,
)
from tests.support.outgoing import draft, recipients, stage_of, to_issue
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TITLE = "关于开展全省政务服务“一网通办”专项检查的通知"
PHONE_TITLE = "关于做好2027年元旦春节期间政务值班工作的通知"
MAIN = "贵阳市人民政府"
COPY = "遵义市人民政府"
SEAL_NOTE = "加盖省政府办公厅印章"
URGE_MESSAGE = "请尽快签收并按要求报送检查情况"
REASON = "非我市主管事项，请改送省发展改革委"


def year() -> int:
    return dt.datetime.now(SHANGHAI).year


def today() -> str:
    return dt.datetime.now(SHANGHAI).date().isoformat()


def receiving_office(gw: Gateway, platform_admin: User, name: str) -> Office:
    """A recipient tenant as other_incoming_office builds it (文书处 with 外文书), under a
    name of its own so that the sender's receipts tell the two apart."""
    built = setup_office(gw, platform_admin, unique("fw"), name)
    for unit in ("文书处", "办公室"):
        built.add_unit(unit)
    built.add_person("wenshu", "外文书", "文书处", ["registrar"])
    built.add_person("ban", "外承办", "办公室", ["handler"])
    return built


@pytest.fixture(scope="module")
def offices(gw: Gateway, platform_admin: User) -> Iterator[dict[str, Any]]:
    """The sender (收文测试厅, its series 测试厅发) and the two recipient tenants."""
    office = incoming_office(gw, platform_admin)
    series = ok(
        office.admin.post("/number-series", json={"unit_id": office.root_id, "prefix": "测试厅发"}),
        201,
    )
    yield {
        "office": office,
        "series": series,
        "main": receiving_office(gw, platform_admin, MAIN),
        "copy": receiving_office(gw, platform_admin, COPY),
    }


def issued(offices: dict[str, Any], title: str) -> dict[str, Any]:
    """拟稿 (主送 贵阳, 抄送 遵义, in 测试厅发) → 核稿 → 签发 by 赵厅长, through the API."""
    office: Office = offices["office"]
    main, copy = offices["main"], offices["copy"]
    doc = draft(
        office,
        office["dz_ban1"],
        title,
        recipients((main.code, main.units["文书处"])),
        copy_to=recipients((copy.code, copy.units["文书处"])),
        series_id=offices["series"]["id"],
    )
    to_issue(office, office["dz_ban1"], office["dz_chu"], doc, office["ting1"])
    ok(office["ting1"].post(f"/outgoing/{doc['id']}/issue", json={"opinion": "同意印发。"}))
    stage_of(office["wenshu"], doc["id"], "number")
    return doc


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def open_dialog(page: Page) -> Locator:
    """The dialog (or message box) that is open."""
    dialog = page.locator(".el-dialog:visible, .el-message-box:visible").last
    expect(dialog).to_be_visible()
    return dialog


def step(page: Page, button: str, note: str | None = None) -> Locator:
    """Click a step's button on the document page and confirm its dialog with 确定."""
    page.get_by_role("button", name=button, exact=True).click()
    dialog = open_dialog(page)
    if note is not None:
        dialog.get_by_role("textbox").last.fill(note)
    dialog.get_by_role("button", name="确定", exact=True).click()
    expect(dialog).to_be_hidden()
    return dialog


def receipts_of(registrar: Any, document_id: str) -> dict[str, Any]:
    return dict(
        eventually(
            lambda: (r := ok(registrar.get(f"/outgoing/{document_id}/receipts")))["receipts"] and r,
            what="the receipts",
        )
    )


def row_of(panel: Locator, inbox_item_id: str) -> Locator:
    """A receipt's row (desktop) or card (phone)."""
    marker = f"[data-test=receipt-{inbox_item_id}]"
    return panel.locator(f".el-table__body tr:has({marker}), .receipt-card{marker}")


def test_a_registrar_numbers_seals_dispatches_and_follows_the_receipts(
    people: People, offices: dict[str, Any], tmp_path: Path
):
    office: Office = offices["office"]
    main: Office = offices["main"]
    copy: Office = offices["copy"]
    series = offices["series"]
    registrar = office["wenshu"]
    doc = issued(offices, TITLE)
    number = f"测试厅发〔{year()}〕1号"

    clerk = signed_in(people, office, "wenshu")
    page = clerk.page
    clerk.open(f"/outgoing/{doc['id']}")
    expect(page.get_by_text(TITLE).first).to_be_visible()

    # 编号 in the draft's series: the number appears
    page.get_by_role("button", name="编号", exact=True).click()
    dialog = open_dialog(page)
    expect(dialog).to_contain_text(number)  # the draft's series chosen: how it will read
    dialog.get_by_role("button", name="确定", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(number).first).to_be_visible()
    stage_of(registrar, doc["id"], "seal")

    # 用印 with a note, then 分发
    step(page, "用印", SEAL_NOTE)
    expect(page.get_by_text(SEAL_NOTE).first).to_be_visible()
    stage_of(registrar, doc["id"], "dispatch")
    step(page, "分发")

    # the 签收回执: both recipients 待签收
    panel = page.locator("[data-test=receipts-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-test=receipts-counts]")).to_have_text(
        "已签收 0 · 待签收 2 · 已拒收 0"
    )
    sent = receipts_of(registrar, doc["id"])
    by_tenant = {r["tenant_code"]: r for r in sent["receipts"]}
    to_main, to_copy = by_tenant[main.code], by_tenant[copy.code]
    main_row = row_of(panel, to_main["inbox_item_id"])
    copy_row = row_of(panel, to_copy["inbox_item_id"])
    expect(main_row).to_contain_text(f"{MAIN} · 文书处")
    expect(main_row.locator("[data-test=receipt-kind]")).to_have_text("主送")
    expect(copy_row.locator("[data-test=receipt-kind]")).to_have_text("抄送")
    for row in (main_row, copy_row):
        expect(row.locator("[data-test=receipt-status]")).to_have_text("待签收")
        expect(row.locator("[data-test=receipt-by]")).to_have_text("已发送，待签收")

    # 催签 the 主送 unit, with a message
    main_row.locator("[data-test=receipt-urge]").click()
    urge = page.locator(".el-dialog", has_text="催签")
    expect(urge).to_contain_text(MAIN)
    urge.locator("[data-test=urge-message]").fill(URGE_MESSAGE)
    clerk.screenshot("outgoing-urge-desktop")
    urge.get_by_role("button", name="确定", exact=True).click()
    expect(urge).to_be_hidden()
    expect(main_row.locator("[data-test=receipt-urged]")).to_have_text("1 次")
    assert ok(main["wenshu"].get(f"/inbox/{to_main['inbox_item_id']}"))["urge_count"] == 1

    # 贵阳's registrar signs for it in their 收文箱; 遵义's refuses it with a reason
    receiver = signed_in(people, main, "wenshu")
    inbox = receiver.page
    inbox.locator("[data-test=menu-inbox]").click()
    inbox.get_by_role("link", name=TITLE).click()
    expect(inbox.locator("[data-test=inbox-title]")).to_have_text(TITLE)
    expect(inbox.get_by_text(number).first).to_be_visible()
    inbox.locator("[data-test=inbox-sign]").click()
    expect(inbox.locator("[data-test=document-title]")).to_have_text(TITLE)
    ok(copy["wenshu"].post(f"/inbox/{to_copy['inbox_item_id']}/refuse", json={"reason": REASON}))

    # the sender reads who signed and when, who refused and why
    panel.locator("[data-test=receipts-refresh]").click()
    expect(panel.locator("[data-test=receipts-counts]")).to_have_text(
        "已签收 1 · 待签收 0 · 已拒收 1"
    )
    expect(main_row.locator("[data-test=receipt-status]")).to_have_text("已签收")
    expect(main_row.locator("[data-test=receipt-by]")).to_have_text("外文书 签收")
    expect(main_row.locator("[data-test=receipt-when]")).to_contain_text(today())
    expect(main_row.locator("[data-test=receipt-urge]")).to_have_count(0)
    expect(copy_row.locator("[data-test=receipt-status]")).to_have_text("已拒收")
    expect(copy_row.locator("[data-test=receipt-by]")).to_have_text("外文书 拒收")
    expect(copy_row.locator("[data-test=receipt-reason]")).to_have_text(REASON)
    clerk.screenshot("outgoing-receipts-desktop")

    # 重新发送 to 遵义: a new 待签收 copy, the refused one greyed as 已重新发送
    copy_row.locator("[data-test=receipt-resend]").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text(REASON)
    confirm.get_by_role("button", name="确定", exact=True).click()
    expect(panel.locator("[data-test=receipts-counts]")).to_have_text(
        "已签收 1 · 待签收 1 · 已拒收 0"
    )
    again = ok(registrar.get(f"/outgoing/{doc['id']}/receipts"))
    [new_copy] = [
        r for r in again["receipts"] if r["tenant_code"] == copy.code and not r["superseded"]
    ]
    new_row = row_of(panel, new_copy["inbox_item_id"])
    expect(new_row.locator("[data-test=receipt-status]")).to_have_text("待签收")
    expect(new_row.locator("[data-test=receipt-urge]")).to_be_visible()
    expect(copy_row.locator("[data-test=receipt-superseded]")).to_have_text("已重新发送")
    expect(copy_row.locator("[data-test=receipt-resend]")).to_have_count(0)
    expect(copy_row).to_have_class(re.compile(r"\bsuperseded-row\b"))
    rows = panel.locator(".el-table__body tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("待签收")  # the new copy above the refused one
    expect(rows.nth(2)).to_contain_text("已重新发送")
    clerk.screenshot("outgoing-resent-desktop")

    # the 发文登记簿: the number with its title, signer and status; found by a word
    clerk.open("/outgoing/register")
    table = page.locator("[data-test=register-table]")
    line = table.locator(".el-table__body tr", has_text=number)
    expect(line.locator("[data-test=register-title]")).to_have_text(TITLE)
    expect(line.locator("[data-test=register-signer]")).to_have_text("赵厅长")
    expect(line.locator("[data-test=register-status]")).to_have_text("已分发")
    expect(line.locator("[data-test=register-issued]")).to_have_text(today())
    expect(line.locator("[data-test=register-recipients]")).to_have_text(
        f"{MAIN} · 文书处、{COPY} · 文书处"
    )
    expect(page.locator("[data-test=register-summary]")).to_contain_text(
        f"测试厅发 {year()} 年发文登记簿"
    )
    page.locator("[data-test=register-q]").fill("一网通办")
    expect(page.locator("[data-test=register-total]")).to_have_text("符合条件 1 条")
    expect(table.locator(".el-table__body tr")).to_have_count(1)
    clerk.screenshot("outgoing-register-desktop")
    page.locator("[data-test=register-q]").fill("没有这样的文件")
    expect(table).to_contain_text("没有符合条件的文号")
    page.locator("[data-test=register-q]").fill("")
    expect(line).to_be_visible()

    # 导出 Excel: the year's register with the row
    with page.expect_download() as info:
        page.locator("[data-test=register-export]").click()
    download = info.value
    assert download.suggested_filename == f"测试厅发{year()}年发文登记簿.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0][:8] == [
        "序号",
        "发文字号",
        "标题",
        "签发日期",
        "签发人",
        "主送/抄送单位",
        "状态",
        "备注",
    ]
    row = next(r for r in cells[1:] if r[1] == number)
    issued_on = dt.date.fromisoformat(today())
    assert row[2:8] == [
        TITLE,
        dt.datetime.combine(issued_on, dt.time()),
        "赵厅长",
        f"{MAIN} · 文书处、{COPY} · 文书处",
        "已分发",
        None,
    ]

    # the title leads back to the document
    line.locator("[data-test=register-title]").click()
    expect(page).to_have_url(f"{clerk.base_url}/outgoing/{doc['id']}")
    assert series["id"] in {s["id"] for s in ok(registrar.get("/number-series"))}


def test_at_phone_width_the_receipts_and_the_register_are_cards(
    people: People, offices: dict[str, Any]
):
    office: Office = offices["office"]
    copy: Office = offices["copy"]
    registrar = office["wenshu"]
    doc = issued(offices, PHONE_TITLE)
    # 编号, 用印 and 分发 through the API this time; 遵义 refuses
    ok(registrar.post(f"/outgoing/{doc['id']}/number"))
    stage_of(registrar, doc["id"], "seal")
    ok(registrar.post(f"/outgoing/{doc['id']}/seal", json={"opinion": SEAL_NOTE}))
    stage_of(registrar, doc["id"], "dispatch")
    ok(registrar.post(f"/outgoing/{doc['id']}/dispatch"))
    sent = receipts_of(registrar, doc["id"])
    to_copy = next(r for r in sent["receipts"] if r["tenant_code"] == copy.code)
    ok(copy["wenshu"].post(f"/inbox/{to_copy['inbox_item_id']}/refuse", json={"reason": REASON}))
    number = ok(registrar.get(f"/outgoing/{doc['id']}"))["number"]

    clerk = signed_in(people, office, "wenshu", PHONE)
    page = clerk.page
    clerk.open(f"/outgoing/{doc['id']}")
    panel = page.locator("[data-test=receipts-panel]")
    expect(panel.locator("[data-test=receipts-table]")).to_have_count(0)
    expect(panel.locator("[data-test=receipts-counts]")).to_have_text(
        "已签收 0 · 待签收 1 · 已拒收 1"
    )
    refused = row_of(panel, to_copy["inbox_item_id"])
    expect(refused.locator("[data-test=receipt-status]")).to_have_text("已拒收")
    expect(refused.locator("[data-test=receipt-reason]")).to_have_text(REASON)
    panel.scroll_into_view_if_needed()
    clerk.screenshot("outgoing-receipts-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 重新发送 at phone width
    refused.locator("[data-test=receipt-resend]").click()
    page.locator(".el-message-box").get_by_role("button", name="确定", exact=True).click()
    expect(panel.locator("[data-test=receipts-counts]")).to_have_text(
        "已签收 0 · 待签收 2 · 已拒收 0"
    )
    expect(refused.locator("[data-test=receipt-superseded]")).to_have_text("已重新发送")
    expect(panel.locator(".receipt-card")).to_have_count(3)
    clerk.screenshot("outgoing-resent-phone")

    clerk.open("/outgoing/register")
    cards = page.locator("[data-test=register-cards]")
    expect(page.locator("[data-test=register-table]")).to_have_count(0)
    card = cards.locator(".register-card", has_text=number)
    expect(card.locator("[data-test=register-title]")).to_have_text(PHONE_TITLE)
    expect(card.locator("[data-test=register-status]")).to_have_text("已分发")
    expect(card.locator("[data-test=register-signer]")).to_have_text("赵厅长")
    clerk.screenshot("outgoing-register-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
