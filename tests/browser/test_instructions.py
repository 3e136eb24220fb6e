"""领导批示 in the browser (DESIGN 4.4, 4.5): a 厅领导 sets the format of their serials
under 我的批示 and instructs — the slip shows the system's number; a secretary enters a
省政府领导's instruction with a hand number — the slip shows the number and
「（秘书 孙秘书 代录）」; 批示检索 finds it by its number and by a word, a taken number is
refused with its message, and 导出 downloads the leader's workbook; a handler forwards a
领导批示件 (限制转办) with the fixed notice, the document then shows 已转办 and where it
went, the receiving registry sees the 转办笺 (and keeps it when signing for it); a
handler of another division is told the document does not exist; an ordinary document
is forwarded (转办, at phone width) with its slip's opinions and no notice; the 转办
recipients are picked from the address book — a unit of this tenant and one of another
tenant, whose registrar finds it in 收文箱 with the 转办笺; 知悉范围 offers its add
controls only to the registry that registered it and the lead division."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from services.routing.working_days import SHANGHAI
from tests.support.browser import DESKTOP, PHONE, Person, pick
from tests.support.gateway import Gateway, Office, User, act, ok, open_task, register, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
NOTICE = "此件系内部资料，严格控制知悉范围，严禁在互联网端存储或传输"
YEAR = dt.datetime.now(SHANGHAI).year
OFFICE_TITLE = "关于进一步加强全省政务数据共享工作的请示"
OFFICE_OPINION = "同意，请电子政务处抓紧落实。"
GOV_TITLE = "关于做好全省防汛抗旱工作的报告"
GOV_OPINION = "请省水利厅牵头，认真研究防汛物资储备问题。"
HAND_NUMBER = f"省长批〔{YEAR}〕118号"
LATER_TITLE = "关于推进数字乡村试点建设的请示"
LATER_OPINION = "原则同意，请抓好试点经验总结。"
FORWARD_TITLE = "关于转办群众来信反映问题的批示件"
PLAIN_TITLE = "关于商请协助做好水利工程移民安置工作的函"
PLAIN_PROPOSAL = "拟转省水利厅研究办理。"
ACROSS_TITLE = "关于协调解决跨市供水管网建设问题的函"
ACROSS_PROPOSAL = "拟转贵阳市研究办理。"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("ps"), "批示测试厅")
    for unit in ("文书处", "电子政务处", "综合处", "秘书处"):
        built.add_unit(unit)
    built.add_unit("省水利厅", kind="unit")
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("dz_chu", "王处长", "电子政务处", ["division_head"])
    built.add_person("zh_ban", "郑承办", "综合处", ["handler"])
    built.add_person("ting2", "钱副厅长", None, ["office_leader"])
    built.add_person("shengzhang", "陈省长", None, ["gov_leader"])
    built.add_person("mishu", "孙秘书", "秘书处", ["secretary"])
    built.add_person("slt_wenshu", "水利文书", "省水利厅", ["registrar"])
    yield built


@pytest.fixture(scope="module")
def city(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    """Another tenant (贵阳市) with its registry (文书处) and a registrar."""
    built = setup_office(gw, platform_admin, unique("gy"), "贵阳市")
    for unit in ("文书处", "办公室"):
        built.add_unit(unit)
    built.add_person("wenshu", "贵阳文书", "文书处", ["registrar"])
    yield built


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def fits_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def to_the_leader(
    office: Office, title: str, leader: str, *, leader_instruction: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document the division head approved for ``leader``'s instruction, and that task."""
    registrar, handler, head = office["wenshu"], office["dz_ban1"], office["dz_chu"]
    doc = register(registrar, title, urgency="加急", doc_number="国办函〔2026〕7号")
    lead = {"lead_unit_id": office.units["电子政务处"]}
    ok(registrar.post(f"/documents/{doc['id']}/distribute", json=lead))
    sign = open_task(handler, doc["id"], "division_sign")
    signed = act(handler, sign["id"], action="sign", is_leader_instruction=leader_instruction)
    [propose] = signed["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="拟请领导批示。")["next_tasks"]
    act(head, review["id"], action="approve", opinion="同意。", leader_ids=[office[leader].id])
    return doc, open_task(office[leader], doc["id"], "leader_instruction")


def authorise(office: Office, leader: str, secretary: str) -> None:
    now = dt.datetime.now(SHANGHAI)
    ok(
        office[leader].post(
            "/delegations",
            json={
                "secretary_id": office[secretary].id,
                "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
                "note": "代为录入批示",
            },
        ),
        201,
    )


def can_open(person: Any, document_id: str) -> bool:
    return person.get(f"/documents/{document_id}").status_code == 200


def test_an_office_leaders_instruction_gets_the_system_number_in_their_format(
    people: People, office: Office
):
    leader = signed_in(people, office, "ting2")
    page = leader.page
    page.locator("[data-test=menu-my-instructions]").click()
    expect(page.locator("[data-test=my-instructions]")).to_contain_text("暂无批示过的文件")
    page.get_by_role("tab", name="编号格式").click()
    fmt = page.locator("[data-test=serial-format]")
    expect(fmt).to_have_value("{n}")
    fmt.fill("厅批〔{year}〕{n}号")
    page.locator("[data-test=serial-save]").click()
    expect(page.locator("[data-test=serial-example]")).to_have_text(
        f"下一个编号示例：厅批〔{YEAR}〕1号"
    )

    doc, task = to_the_leader(office, OFFICE_TITLE, "ting2")
    page.goto(f"/documents/{doc['id']}?task={task['id']}")
    actions = page.locator("[data-test=task-actions]")
    expect(actions.locator("[data-test=instruction-number-auto]")).to_have_text(
        "批示编号由系统自动生成"
    )
    expect(actions.locator("[data-test=instruction-number]")).to_have_count(0)
    actions.locator("textarea[name=opinion]").fill(OFFICE_OPINION)
    actions.locator("[data-test=action-instruct]").click()
    expect(page.get_by_text("该任务已办")).to_be_visible()
    page.get_by_role("tab", name="处理笺").click()
    opinion = page.locator("[data-test=opinion]", has_text=OFFICE_OPINION)
    expect(opinion.locator("[data-test=opinion-number]")).to_have_text(f"厅批〔{YEAR}〕1号")
    expect(opinion.locator("[data-test=opinion-author]")).to_have_text("钱副厅长")
    leader.screenshot("slip-office-instruction-desktop")

    # 我的批示: the document, my instruction with its number, where it stands, 催办
    page.locator("[data-test=menu-my-instructions]").click()
    card = page.locator("[data-test=my-document]", has_text=OFFICE_TITLE)
    expect(card).to_contain_text(f"厅批〔{YEAR}〕1号")
    expect(card).to_contain_text(OFFICE_OPINION)
    expect(card.locator("[data-test=open-tasks]")).to_contain_text("电子政务处")
    with page.expect_response(lambda r: "/urge" in r.url) as urged:
        card.locator("[data-test=urge]").first.click()
        page.locator(".el-message-box").get_by_role("button", name="催办").click()
    assert urged.value.ok, urged.value.text()
    expect(page.locator(".el-message__content", has_text="已催办")).to_be_visible()
    leader.screenshot("my-instructions-desktop")
    on_phone = signed_in(people, office, "ting2", PHONE)
    on_phone.open("/instructions/mine")
    expect(on_phone.page.locator("[data-test=my-document]", has_text=OFFICE_TITLE)).to_be_visible()
    on_phone.screenshot("my-instructions-phone")
    fits_phone(on_phone.page)


def test_a_secretary_enters_a_gov_leaders_numbered_instruction_found_and_exported(
    people: People, office: Office, tmp_path: Path
):
    doc, task = to_the_leader(office, GOV_TITLE, "shengzhang")
    later, later_task = to_the_leader(office, LATER_TITLE, "shengzhang")
    authorise(office, "shengzhang", "mishu")
    secretary = office["mishu"]
    eventually(lambda: can_open(secretary, doc["id"]), what="the secretary may open it")

    person = signed_in(people, office, "mishu")
    page = person.page
    page.goto(f"/documents/{doc['id']}?task={task['id']}")
    actions = page.locator("[data-test=task-actions]")
    expect(actions.locator("[data-test=proxy-for]")).to_contain_text("代 陈省长 录入批示")
    number = actions.locator("[data-test=instruction-number]")
    number.fill(HAND_NUMBER)
    actions.locator("textarea[name=opinion]").fill(GOV_OPINION)
    person.screenshot("document-gov-instruction-desktop")
    actions.locator("[data-test=action-instruct]").click()
    expect(page.get_by_text("该任务已办")).to_be_visible()
    page.get_by_role("tab", name="处理笺").click()
    opinion = page.locator("[data-test=opinion]", has_text=GOV_OPINION)
    expect(opinion.locator("[data-test=opinion-number]")).to_have_text(HAND_NUMBER)
    expect(opinion.locator("[data-test=opinion-author]")).to_have_text("陈省长（秘书 孙秘书 代录）")
    person.screenshot("slip-gov-instruction-desktop")

    # a second one with the number already given: refused, nothing typed is lost; then
    # entered without a number (numbered later on the search page)
    page.goto(f"/documents/{later['id']}?task={later_task['id']}")
    expect(actions.locator("[data-test=proxy-for]")).to_contain_text("代 陈省长 录入批示")
    number.fill(HAND_NUMBER)
    actions.locator("textarea[name=opinion]").fill(LATER_OPINION)
    actions.locator("[data-test=action-instruct]").click()
    expect(actions.locator("[data-test=action-error]")).to_have_text(
        "该领导本年度已有此批示编号，请核对后重新填写"
    )
    expect(number).to_have_value(HAND_NUMBER)
    expect(actions.locator("textarea[name=opinion]")).to_have_value(LATER_OPINION)
    number.fill("")
    actions.locator("[data-test=action-instruct]").click()
    expect(page.get_by_text("该任务已办")).to_be_visible()

    # 批示检索: by number (written with spaces and full-width digits), then by a word
    page.locator("[data-test=menu-instructions]").click()
    rows = page.locator("[data-test=instruction-table] .el-table__body tr.el-table__row")
    expect(rows.filter(has_text=GOV_OPINION)).to_have_count(1)
    with page.expect_response(lambda r: "/api/v1/instructions?" in r.url and "number=" in r.url):
        page.locator("[data-test=filter-number]").fill(f"省长批〔{YEAR}〕１１８ 号")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("[data-test=instruction-number]")).to_have_text(HAND_NUMBER)
    expect(row).to_contain_text("陈省长")
    expect(row).to_contain_text(GOV_TITLE)
    expect(row).to_contain_text("国办函〔2026〕7号")
    expect(row.locator("[data-test=instruction-attribution]")).to_have_text("秘书 孙秘书 代录")
    expect(row).to_contain_text("办理中")
    page.locator("[data-test=filter-number]").fill("")
    with page.expect_response(lambda r: "/api/v1/instructions?" in r.url and "q=" in r.url):
        page.locator("[data-test=filter-q]").fill("防汛物资")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(GOV_OPINION)
    row.get_by_role("link", name=GOV_TITLE).click()
    expect(page.locator("[data-test=document-title]")).to_have_text(GOV_TITLE)
    page.go_back()

    # 编号 for the unnumbered one: the taken number is refused (kept in the box), then a free one
    page.locator("[data-test=filter-q]").fill("试点经验")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("未编号")
    rows.first.locator("[data-test=number-action]").click()
    dialog = page.locator("[data-test=number-dialog]")
    dialog.locator("[data-test=number-input]").fill(HAND_NUMBER)
    dialog.locator("[data-test=number-save]").click()
    expect(dialog.locator("[data-test=number-error]")).to_have_text(
        "该领导本年度已有此批示编号，请核对后重新填写"
    )
    expect(dialog.locator("[data-test=number-input]")).to_have_value(HAND_NUMBER)
    person.screenshot("instruction-number-taken-desktop")
    dialog.locator("[data-test=number-input]").fill(f"省长批〔{YEAR}〕119号")
    dialog.locator("[data-test=number-save]").click()
    expect(dialog).to_be_hidden()
    expect(rows.first.locator("[data-test=instruction-number]")).to_have_text(
        f"省长批〔{YEAR}〕119号"
    )

    # 导出: the leader's instructions of the year as a workbook
    page.locator("[data-test=filter-q]").fill("")
    page.locator("[data-test=filter-leader] .el-select").click()
    pick(page, "陈省长")
    page.locator("[data-test=filter-year] .el-select").click()
    pick(page, f"{YEAR} 年")
    expect(rows).to_have_count(2)
    person.screenshot("instructions-desktop")
    with page.expect_download() as info:
        page.locator("[data-test=export]").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path)["批示明细"]
    table = [[c.value for c in r] for r in sheet.iter_rows()]
    assert table[0][:8] == [
        "序号",
        "批示编号",
        "批示日期",
        "文号",
        "标题",
        "批示内容",
        "录入",
        "办理情况",
    ]
    [mine] = [r for r in table[1:] if r[1] == HAND_NUMBER]
    assert mine[3:7] == ["国办函〔2026〕7号", GOV_TITLE, GOV_OPINION, "秘书 孙秘书 代录"], mine
    assert len(table) == 3, table  # the header and the leader's two instructions

    on_phone = signed_in(people, office, "mishu", PHONE)
    on_phone.open("/instructions")
    expect(on_phone.page.locator("[data-test=instruction-cards]")).to_contain_text(HAND_NUMBER)
    on_phone.screenshot("instructions-phone")
    fits_phone(on_phone.page)

    # the leader's 我的批示: what the secretary entered on their behalf
    leader = signed_in(people, office, "shengzhang")
    leader.page.locator("[data-test=menu-my-instructions]").click()
    leader.page.get_by_role("tab", name="秘书代录").click()
    proxied = leader.page.locator("[data-test=proxy-instruction]")
    expect(proxied).to_have_count(2)
    expect(proxied.filter(has_text=GOV_OPINION)).to_contain_text("秘书 孙秘书 代录")
    expect(leader.page.get_by_role("tab", name="编号格式")).to_have_count(0)  # no serials


def test_a_leader_instruction_document_is_forwarded_with_the_notice_and_hidden_from_outsiders(
    people: People, office: Office
):
    registrar, handler = office["wenshu"], office["dz_ban1"]
    doc = register(registrar, FORWARD_TITLE, doc_number="信访转〔2026〕3号")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=True)["next_tasks"]
    eventually(
        lambda: ok(registrar.get(f"/documents/{doc['id']}"))["is_leader_instruction"],
        what="documents knows it is a 领导批示件",
    )

    # an outsider of the same tenant: the document does not exist for them
    outsider = signed_in(people, office, "zh_ban")
    outsider.open(f"/documents/{doc['id']}")
    expect(outsider.page.locator("[data-test=document-error]")).to_have_text("文件不存在或无权查看")
    assert outsider.page.locator("[data-test=document-title]").count() == 0
    outsider.screenshot("document-restricted-outsider-desktop")

    person = signed_in(people, office, "dz_ban1")
    page = person.page
    page.goto(f"/documents/{doc['id']}?task={propose['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(FORWARD_TITLE)
    page.locator("[data-test=scope]").click()
    scope = page.locator("[data-test=scope-dialog]")
    expect(scope.locator("[data-test=scope-defaults]")).to_contain_text("厅领导")
    expect(scope.locator("[data-test=scope-people]")).to_contain_text("李承办")
    scope.locator("[data-test=scope-people-select]").click()
    with page.expect_response(lambda r: "/api/v1/users?" in r.url and "q=" in r.url):
        scope.locator("[data-test=scope-people-select] input").fill("孙秘书")
    pick(page, "孙秘书")
    expect(scope.locator("[data-test=scope-people-select]")).to_contain_text("孙秘书")
    scope.locator(".el-dialog__title").click()  # the dropdown closes
    scope.locator("[data-test=scope-add-send]").click()
    expect(scope.locator("[data-test=scope-people] tr", has_text="孙秘书")).to_contain_text(
        "增加知悉"
    )
    person.screenshot("scope-dialog-desktop")
    scope.get_by_role("button", name="关闭", exact=True).click()

    # in the scope but neither its registry nor the lead division: the list, no controls
    ok(handler.post(f"/documents/{doc['id']}/scope", json={"user_ids": [office["slt_wenshu"].id]}))
    eventually(lambda: can_open(office["slt_wenshu"], doc["id"]), what="the scope widened")
    for username in ("mishu", "slt_wenshu"):
        onlooker = signed_in(people, office, username)
        onlooker.open(f"/documents/{doc['id']}")
        onlooker.page.locator("[data-test=scope]").click()
        seen = onlooker.page.locator("[data-test=scope-dialog]")
        expect(seen.locator("[data-test=scope-people]")).to_contain_text("孙秘书")
        expect(seen.locator("[data-test=scope-add]")).to_have_count(0)
    # the registry that registered it extends it
    clerk = signed_in(people, office, "wenshu")
    clerk.open(f"/documents/{doc['id']}")
    clerk.page.locator("[data-test=scope]").click()
    expect(clerk.page.locator("[data-test=scope-dialog] [data-test=scope-add]")).to_be_visible()

    page.locator("[data-test=forward]").click()
    dialog = page.locator("[data-test=forward-dialog]")
    expect(dialog.locator("[data-test=forward-notice]")).to_contain_text(NOTICE)
    title = dialog.locator("[data-test=forward-title]")
    expect(title).to_have_value(FORWARD_TITLE)
    title.fill("")
    dialog.locator("[data-test=forward-send]").click()
    expect(dialog).to_contain_text("请填写转办笺标题")
    title.fill(f"{FORWARD_TITLE}（转办）")
    dialog.locator("[data-test=forward-send]").click()
    expect(dialog.locator("[data-test=forward-error]")).to_have_text("请选择接收单位")
    dialog.locator("[data-test=recipient-units]").click()
    pick(page, "省水利厅")
    dialog.locator(".el-dialog__title").click()  # the dropdown closes
    dialog.locator("[data-test=forward-note]").fill("请按领导批示精神研究办理。")
    person.screenshot("forward-dialog-desktop")
    dialog.locator("[data-test=forward-send]").click()
    expect(page.locator("[data-test=forwarded-tag]")).to_have_text("已转办")
    expect(page.locator("[data-test=forwarded-to]")).to_contain_text("省水利厅")
    expect(page.locator("[data-test=forward]")).to_have_count(0)
    person.screenshot("document-forwarded-desktop")

    # the receiving registry: the 转办笺 with the notice, nothing of the slip
    [went] = ok(registrar.get(f"/documents/{doc['id']}"))["forwarded_to"]
    receiver = signed_in(people, office, "slt_wenshu")
    receiver.open(f"/inbox/{went['inbox_item_id']}")
    slip = receiver.page.locator("[data-test=forwarding-slip]")
    expect(slip.locator("[data-test=forwarding-slip-title]")).to_have_text(
        f"{FORWARD_TITLE}（转办）"
    )
    expect(slip.locator("[data-test=forwarding-slip-notice]")).to_have_text(NOTICE)
    expect(slip.locator("[data-test=forwarding-slip-note]")).to_have_text(
        "请按领导批示精神研究办理。"
    )
    expect(slip.locator("[data-test=forwarding-slip-from]")).to_contain_text("电子政务处")
    expect(slip).not_to_contain_text("拟办")
    receiver.screenshot("inbox-forwarding-slip-desktop")
    receiver.page.locator("[data-test=inbox-sign]").click()  # registered: the slip stays with it
    expect(receiver.page.locator("[data-test=document-title]")).to_have_text(
        f"{FORWARD_TITLE}（转办）"
    )
    slip = receiver.page.locator("[data-test=forwarding-slip]")
    expect(slip.locator("[data-test=forwarding-slip-notice]")).to_have_text(NOTICE)
    receiver.page.get_by_role("tab", name="处理笺").click()
    expect(receiver.page.get_by_text("暂无意见")).to_be_visible()  # a slip of its own
    receiver.screenshot("document-forwarding-slip-desktop")

    # at phone width: the dialog of a fresh 领导批示件 fits
    other = register(registrar, "关于转办另一批示件的测试", doc_number="信访转〔2026〕4号")
    ok(
        registrar.post(
            f"/documents/{other['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, other["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=True)["next_tasks"]
    on_phone = signed_in(people, office, "dz_ban1", PHONE)
    on_phone.open(f"/documents/{other['id']}?task={propose['id']}")
    on_phone.page.locator("[data-test=forward]").click()
    expect(on_phone.page.locator("[data-test=forward-notice]")).to_contain_text(NOTICE)
    on_phone.screenshot("forward-dialog-phone")
    fits_phone(on_phone.page)


def test_an_ordinary_document_is_forwarded_with_its_slip(people: People, office: Office):
    registrar, handler = office["wenshu"], office["dz_ban1"]
    doc = register(registrar, PLAIN_TITLE, doc_number="黔办函〔2026〕21号")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion=PLAIN_PROPOSAL)["next_tasks"]

    head = signed_in(people, office, "dz_chu", PHONE)
    page = head.page
    head.open(f"/documents/{doc['id']}?task={review['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(PLAIN_TITLE)
    expect(page.locator("[data-test=scope]")).to_have_count(0)  # not a 领导批示件
    page.locator("[data-test=forward]").click()
    dialog = page.locator("[data-test=forward-dialog]")
    expect(dialog.locator("[data-test=forward-notice]")).to_have_count(0)
    expect(dialog.locator("[data-test=forward-title]")).to_have_value(PLAIN_TITLE)
    dialog.locator("[data-test=recipient-units]").click()
    pick(page, "省水利厅")
    dialog.locator(".el-dialog__title").click()  # the dropdown closes
    head.screenshot("forward-plain-dialog-phone")
    fits_phone(page)
    dialog.locator("[data-test=forward-send]").click()
    expect(page.locator("[data-test=forwarded-to]")).to_contain_text("省水利厅")
    fits_phone(page)

    [went] = ok(registrar.get(f"/documents/{doc['id']}"))["forwarded_to"]
    receiver = signed_in(people, office, "slt_wenshu")
    receiver.open(f"/inbox/{went['inbox_item_id']}")
    slip = receiver.page.locator("[data-test=forwarding-slip]")
    expect(slip.locator("[data-test=forwarding-slip-title]")).to_have_text(PLAIN_TITLE)
    expect(slip.locator("[data-test=forwarding-slip-notice]")).to_have_count(0)
    opinion = slip.locator("[data-test=forwarding-slip-opinion]", has_text=PLAIN_PROPOSAL)
    expect(opinion).to_contain_text("拟办意见")
    expect(opinion).to_contain_text("李承办")
    receiver.screenshot("inbox-forwarding-plain-desktop")


def test_an_ordinary_document_is_forwarded_to_another_tenant_picked_from_the_address_book(
    people: People, office: Office, city: Office
):
    registrar, handler = office["wenshu"], office["dz_ban1"]
    doc = register(registrar, ACROSS_TITLE, doc_number="黔办函〔2026〕35号")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion=ACROSS_PROPOSAL)["next_tasks"]

    def city_listed() -> bool:  # documents has heard of the city's registry
        book = ok(registrar.get("/address-book", params={"tenant_code": city.code}))
        return any(u["unit_id"] == city.units["文书处"] for u in book["units"])

    eventually(city_listed, 20, "the city's registry in the address book")

    head = signed_in(people, office, "dz_chu")
    page = head.page
    page.goto(f"/documents/{doc['id']}?task={review['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(ACROSS_TITLE)
    page.locator("[data-test=forward]").click()
    dialog = page.locator("[data-test=forward-dialog]")
    tenant = dialog.locator("[data-test=recipient-tenant]")
    expect(tenant).to_contain_text("批示测试厅（本租户）")  # one's own tenant first
    # a unit of this tenant, searched on the server
    dialog.locator("[data-test=recipient-units]").click()
    with page.expect_response(lambda r: "/api/v1/address-book?" in r.url and "q=" in r.url):
        dialog.locator("[data-test=recipient-units] input").fill("水利")
    pick(page, "省水利厅")
    dialog.locator(".el-dialog__title").click()  # the dropdown closes
    # then the city's registry: the city chosen by its code, its units offered
    tenant.click()
    page.keyboard.type(city.code)
    with page.expect_response(
        lambda r: "/api/v1/address-book?" in r.url and f"tenant_code={city.code}" in r.url
    ):
        pick(page, city.code)
    dialog.locator("[data-test=recipient-units]").click()
    pick(page, "文书处")
    dialog.locator(".el-dialog__title").click()
    tags = dialog.locator("[data-test=recipient-tag]")
    expect(tags).to_have_text(["批示测试厅 · 省水利厅", "贵阳市 · 文书处"])
    head.screenshot("forward-address-book-desktop")
    # the own tenant's unit is taken off again: only the city's registry receives it
    tags.filter(has_text="省水利厅").locator(".el-tag__close").click()
    expect(tags).to_have_text(["贵阳市 · 文书处"])
    with page.expect_response(lambda r: r.url.endswith("/forward")) as sent:
        dialog.locator("[data-test=forward-send]").click()
    assert sent.value.ok, sent.value.text()
    expect(page.locator("[data-test=forwarded-to]")).to_have_text("贵阳市 · 文书处")

    # the city's registrar: in 收文箱, and the 转办笺 with the slip's 拟办意见
    receiver = signed_in(people, city, "wenshu")
    rpage = receiver.page
    rpage.locator("[data-test=menu-inbox]").click()
    rows = rpage.locator("[data-test=inbox-table] .el-table__body tr")
    expect(rows.filter(has_text=ACROSS_TITLE)).to_have_count(1)
    expect(rows.filter(has_text=ACROSS_TITLE)).to_contain_text("批示测试厅")
    expect(rows.filter(has_text=ACROSS_TITLE).locator("[data-test=inbox-forwarded]")).to_have_text(
        "转办"
    )
    receiver.screenshot("inbox-forwarded-across-desktop")
    rpage.get_by_role("link", name=ACROSS_TITLE).click()
    slip = rpage.locator("[data-test=forwarding-slip]")
    expect(slip.locator("[data-test=forwarding-slip-title]")).to_have_text(ACROSS_TITLE)
    expect(slip.locator("[data-test=forwarding-slip-notice]")).to_have_count(0)
    expect(slip.locator("[data-test=forwarding-slip-from]")).to_contain_text("电子政务处")
    opinion = slip.locator("[data-test=forwarding-slip-opinion]", has_text=ACROSS_PROPOSAL)
    expect(opinion).to_contain_text("拟办意见")
    receiver.screenshot("inbox-forwarding-slip-across-desktop")

    # at phone width the picker stacks and fits
    other = register(registrar, "关于跨市转办的另一件测试函", doc_number="黔办函〔2026〕36号")
    ok(
        registrar.post(
            f"/documents/{other['id']}/distribute",
            json={"lead_unit_id": office.units["电子政务处"]},
        )
    )
    sign = open_task(handler, other["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=False)["next_tasks"]
    on_phone = signed_in(people, office, "dz_ban1", PHONE)
    on_phone.open(f"/documents/{other['id']}?task={propose['id']}")
    on_phone.page.locator("[data-test=forward]").click()
    phone_dialog = on_phone.page.locator("[data-test=forward-dialog]")
    phone_dialog.locator("[data-test=recipient-units]").click()
    pick(on_phone.page, "省水利厅")
    phone_dialog.locator(".el-dialog__title").click()
    expect(phone_dialog.locator("[data-test=recipient-tag]")).to_have_text(
        ["批示测试厅 · 省水利厅"]
    )
    on_phone.screenshot("forward-address-book-phone")
    fits_phone(on_phone.page)
