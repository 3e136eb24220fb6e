"""代录批示 in the browser: a leader authorises a secretary (授权, through the API); a
division head's approval sends a document to that leader; the secretary finds the
leader's task under 代录批示 (with the leader's name), opens it and enters the
instruction 「代 钱副厅长 录入批示」 — a refusal (the delegation revoked meanwhile) is
shown and keeps the text — and the slip shows it as the leader's
「（秘书 孙秘书 代录）」. A secretary without a delegation has an empty list and cannot
open the document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from services.routing.working_days import SHANGHAI
from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.gateway import Gateway, Office, User, act, ok, open_task, register, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
TITLE = "关于做好全省政务服务“一网通办”工作的请示"
OPINION = "同意，请电子政务处牵头抓好落实。"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("ms"), "秘书测试厅")
    for unit in ("文书处", "电子政务处", "秘书处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    built.add_person("dz_chu", "王处长", "电子政务处", ["division_head"])
    built.add_person("ting2", "钱副厅长", None, ["office_leader"])
    built.add_person("mishu", "孙秘书", "秘书处", ["secretary"])
    built.add_person("mishu2", "周秘书", "秘书处", ["secretary"])
    yield built


def signed_in(
    people: People, office: Office, username: str, viewport: dict[str, int] = DESKTOP
) -> Person:
    person = people(viewport)
    page = person.sign_in(office.code, username)
    expect(page.get_by_text(f"您好，{office[username].full_name}")).to_be_visible()
    return person


def to_the_leader(office: Office, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document a division head approved for 钱副厅长's instruction, and that task."""
    registrar, handler, head = office["wenshu"], office["dz_ban1"], office["dz_chu"]
    doc = register(registrar, title, urgency="加急")
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
    act(head, review["id"], action="approve", opinion="同意。", leader_ids=[office["ting2"].id])
    return doc, open_task(office["ting2"], doc["id"], "leader_instruction")


def authorise(office: Office, secretary: str) -> dict[str, Any]:
    now = dt.datetime.now(SHANGHAI)
    return ok(
        office["ting2"].post(
            "/delegations",
            json={
                "secretary_id": office[secretary].id,
                "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
                "note": "出差期间代为录入批示",
            },
        ),
        201,
    )


def can_open(person: Any, document_id: str) -> bool:
    return person.get(f"/documents/{document_id}").status_code == 200


def test_a_secretary_enters_the_instruction_of_the_leader_who_authorised_them(
    people: People, office: Office
):
    doc, task = to_the_leader(office, TITLE)
    secretary = office["mishu"]
    authorise(office, "mishu")
    # documents learns the delegation from identity's event (a second or less behind)
    eventually(lambda: can_open(secretary, doc["id"]), what="the secretary may open it")

    person = signed_in(people, office, "mishu")
    page = person.page
    expect(page.locator("[data-test=count-delegated]")).to_contain_text("1")
    person.screenshot("home-secretary-desktop")
    page.locator("[data-test=menu-delegated]").click()
    rows = page.locator("[data-test=task-table] .el-table__body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TITLE)
    expect(rows.first).to_contain_text("加急")
    expect(rows.first).to_contain_text("领导批示")
    expect(rows.first.locator("[data-test=task-leader]")).to_have_text("钱副厅长")
    person.screenshot("delegated-desktop")

    # at phone width: the list as cards, and the document page
    phone = signed_in(people, office, "mishu", PHONE)
    phone.page.locator("[data-test=menu-toggle]").click()
    phone.page.locator("[data-test=menu-delegated]").click()
    card = phone.page.locator("[data-test=task-cards] .task-card")
    expect(card).to_have_count(1)
    expect(card.first.locator("[data-test=task-leader]")).to_have_text("钱副厅长")
    phone.screenshot("delegated-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.first.click()
    expect(phone.page.locator("[data-test=proxy-for]")).to_contain_text("代 钱副厅长 录入批示")
    phone.screenshot("document-delegated-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    rows.first.get_by_role("link", name=TITLE).click()
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    assert f"task={task['id']}" in page.url
    actions = page.locator("[data-test=task-actions]")
    expect(actions.locator("[data-test=proxy-for]")).to_contain_text("代 钱副厅长 录入批示")
    expect(actions.get_by_text("代哪位领导批示")).to_have_count(0)  # the task says whose it is
    expect(actions.locator("button")).to_have_count(1)
    opinion = actions.locator("textarea[name=opinion]")
    opinion.fill(OPINION)
    person.screenshot("document-delegated-desktop")

    # the leader revokes the delegation meanwhile: refused, and the text stays
    [given] = ok(office["ting2"].get("/delegations", params={"as_role": "leader"}))
    ok(office["ting2"].post(f"/delegations/{given['id']}/revoke"))
    actions.locator("[data-test=action-instruct]").click()
    expect(actions.locator("[data-test=action-error]")).to_have_text(
        "没有有效的领导授权，不能代领导批示"
    )
    expect(opinion).to_have_value(OPINION)
    person.screenshot("document-delegated-refused-desktop")

    # authorised again, the same text goes through
    authorise(office, "mishu")
    eventually(lambda: can_open(secretary, doc["id"]), what="the secretary may open it again")
    actions.locator("[data-test=action-instruct]").click()
    expect(page.locator(".el-message__content", has_text="已代钱副厅长录入批示")).to_be_visible()
    expect(page.get_by_text("该任务已办")).to_be_visible()

    page.get_by_role("tab", name="处理笺").click()
    instruction = page.locator("[data-test=opinion]", has_text=OPINION)
    expect(instruction).to_contain_text("领导批示")
    expect(instruction.locator("[data-test=opinion-author]")).to_have_text(
        "钱副厅长（秘书 孙秘书 代录）"
    )
    person.screenshot("slip-delegated-desktop")
    [entered] = [
        o
        for o in ok(secretary.get(f"/documents/{doc['id']}/slip"))["opinions"]
        if o["text"] == OPINION
    ]
    assert (entered["author_name"], entered["on_behalf_of_name"]) == ("孙秘书", "钱副厅长")

    # done: the list is empty again
    page.locator("[data-test=menu-delegated]").click()
    expect(page.locator("[data-test=task-table]")).to_contain_text("暂无需要代录的批示")


def test_without_a_delegation_a_secretary_has_nothing_to_enter(people: People, office: Office):
    doc, _ = to_the_leader(office, "关于未授权秘书不能代录批示的测试通知")
    person = signed_in(people, office, "mishu2")
    page = person.page
    expect(page.locator("[data-test=count-delegated]")).to_contain_text("0")
    page.locator("[data-test=menu-delegated]").click()
    expect(page.locator("[data-test=task-table]")).to_contain_text("暂无需要代录的批示")
    expect(page.locator("[data-test=task-table] .el-table__body tr")).to_have_count(0)
    person.screenshot("delegated-empty-desktop")
    page.goto(f"/documents/{doc['id']}")
    expect(page.locator("[data-test=document-error]")).to_have_text("文件不存在或无权查看")

    handler = signed_in(people, office, "dz_ban1")
    expect(handler.page.locator("[data-test=menu-todo]")).to_be_visible()
    expect(handler.page.locator("[data-test=menu-delegated]")).to_have_count(0)
