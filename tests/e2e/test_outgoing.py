"""Outgoing documents (发文) end to end through the gateway: drafting with a body in
versions, 核稿, 会签 in parallel by two divisions, 签发 entered by a secretary under a
delegation, 编号 in the unit's series, 用印, 分发 across tenants with one recipient
signing and one refusing, the receipts, 催签 and 重新发送, the register (发文登记簿) and
its XLSX export — and every refusal with its own code and nothing changed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from tests.support.gateway import (
    Gateway,
    Office,
    User,
    act,
    expect_error,
    incoming_office,
    ok,
    open_task,
    other_incoming_office,
)
from tests.support.instructions import delegate
from tests.support.outgoing import (
    EXE,
    draft,
    real_docx,
    recipients,
    stage_of,
    to_issue,
    upload_body,
)
from tests.support.waiting import eventually

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Office:
    built = incoming_office(gw, platform_admin)
    built.add_person("fg_chu", "褚处长", "法规处", ["division_head"])
    built.add_unit("机关事务局", "unit")
    built.add_person("jg_wenshu", "机关文书", "机关事务局", ["registrar"])
    return built


@pytest.fixture(scope="module")
def receivers(gw: Gateway, platform_admin: User) -> tuple[Office, Office]:
    return other_incoming_office(gw, platform_admin), other_incoming_office(gw, platform_admin)


@pytest.fixture(scope="module")
def series(office: Office) -> dict[str, Any]:
    made = ok(
        office.admin.post("/number-series", json={"unit_id": office.root_id, "prefix": "测试厅发"}),
        201,
    )
    return dict(made)


def _to(office: Office, unit: str = "文书处") -> tuple[str, str]:
    return (office.code, office.units[unit])


def test_a_draft_keeps_every_body_version_and_refuses_what_it_may_not_hold(office: Office):
    drafter, other = office["dz_ban1"], office["zh_ban"]
    main_to = recipients(_to(office, "综合处"))
    body = {"title": "关于报送年度工作总结的通知", "main_to": main_to}
    expect_error(
        drafter.post("/outgoing", json={**body, "secrecy": "秘密"}), 422, "classified_refused"
    )
    expect_error(
        drafter.post("/outgoing", json={**body, "copy_to": main_to}), 422, "duplicate_recipient"
    )
    expect_error(
        drafter.post(
            "/outgoing",
            json={**body, "main_to": [{"unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}]},
        ),
        404,
        "recipient_unit_not_found",
    )
    expect_error(office["wenshu"].post("/outgoing", json=body), 403, "role_required")
    doc = ok(drafter.post("/outgoing", json=body), 201)
    assert doc["stage"] == "draft" and doc["drafter_name"] == "李承办"
    assert [r["unit_name"] for r in doc["main_to"]] == ["综合处"]

    # an .exe renamed .docx is refused by its bytes, and nothing is kept
    expect_error(upload_body(drafter, doc["id"], "正文.docx", EXE), 422, "file_type_not_allowed")
    first = ok(upload_body(drafter, doc["id"], "正文.docx", real_docx("第一稿")), 201)
    assert first[0]["role"] == "body" and first[0]["version"] == 1
    assert first[0]["content_type"].endswith("wordprocessingml.document")
    ok(upload_body(drafter, doc["id"], "正文（修改）.docx", real_docx("第二稿")), 201)
    expect_error(upload_body(other, doc["id"], "x.docx", real_docx()), 404, "document_not_found")
    shown = ok(drafter.get(f"/outgoing/{doc['id']}"))
    assert [(v["version"], v["filename"]) for v in shown["body_versions"]] == [
        (2, "正文（修改）.docx"),
        (1, "正文.docx"),
    ]
    assert shown["body_versions"][0]["uploaded_by_name"] == "李承办"
    content = drafter.get(f"/files/{shown['body_versions'][1]['file_id']}/content")
    assert content.status_code == 200 and b"word/document.xml" in content.content

    # attachments, and a change of the draft while it is at 拟稿
    attached = ok(
        drafter.post(
            f"/outgoing/{doc['id']}/attachments",
            files=[("files", ("附件1.docx", real_docx("附件"), "application/octet-stream"))],
        ),
        201,
    )
    assert attached[0]["role"] == "attachment"
    changed = ok(
        drafter.patch(f"/outgoing/{doc['id']}", json={"title": "关于报送2026年度工作总结的通知"})
    )
    assert changed["title"] == "关于报送2026年度工作总结的通知"
    assert [a["filename"] for a in changed["attachments"]] == ["附件1.docx"]
    # routing's to-do list follows the new title
    eventually(
        lambda: open_task(drafter, doc["id"], "draft")["title"] == "关于报送2026年度工作总结的通知"
    )


def test_issuing_numbering_and_dispatching_before_their_time_are_refused(
    office: Office, receivers: tuple[Office, Office], series: dict[str, Any]
):
    drafter, head, registrar = office["dz_ban1"], office["dz_chu"], office["wenshu"]
    doc = draft(office, drafter, "关于早到的签发的测试", recipients(_to(receivers[0])))
    expect_error(
        office["ting1"].post(f"/outgoing/{doc['id']}/issue", json={"opinion": "同意"}),
        409,
        "not_checked",
    )
    expect_error(registrar.post(f"/outgoing/{doc['id']}/number"), 409, "not_issued")
    expect_error(registrar.post(f"/outgoing/{doc['id']}/dispatch"), 409, "not_issued")
    # 核稿 must name the one leader who signs
    act(drafter, open_task(drafter, doc["id"], "draft")["id"], action="submit")
    check = open_task(head, doc["id"], "check")
    expect_error(
        head.post(f"/tasks/{check['id']}/actions", json={"action": "check"}), 422, "signer_required"
    )
    expect_error(
        head.post(
            f"/tasks/{check['id']}/actions",
            json={
                "action": "check",
                "leader_ids": [office["ting1"].id],
                "countersign_unit_ids": [office.units["电子政务处"]],
            },
        ),
        422,
        "not_a_countersigner",
    )
    stage_of(drafter, doc["id"], "check")  # the refusals left it at 核稿
    assert ok(head.get(f"/tasks/{check['id']}"))["status"] == "open"


def test_an_outgoing_document_goes_the_whole_route_to_two_tenants_with_receipts(
    office: Office, receivers: tuple[Office, Office], series: dict[str, Any]
):
    drafter, head, registrar = office["dz_ban1"], office["dz_chu"], office["wenshu"]
    leader, secretary = office["ting1"], office["mishu"]
    signer_side, refuser_side = receivers
    year = dt.datetime.now(SHANGHAI).year
    doc = draft(
        office,
        drafter,
        "关于开展政务数据质量检查的通知",
        recipients(_to(signer_side)),
        copy_to=recipients(_to(refuser_side)),
        series_id=series["id"],
    )

    # 核稿, then 会签 by 综合处 and 法规处 at once
    act(drafter, open_task(drafter, doc["id"], "draft")["id"], action="submit")
    check = open_task(head, doc["id"], "check")
    opened = act(
        head,
        check["id"],
        action="check",
        opinion="核稿通过，请综合处、法规处会签。",
        leader_ids=[leader.id],
        countersign_unit_ids=[office.units["综合处"], office.units["法规处"]],
    )["next_tasks"]
    assert sorted(t["unit_id"] for t in opened) == sorted(
        [office.units["综合处"], office.units["法规处"]]
    )
    first = open_task(office["zh_chu"], doc["id"], "countersign")
    second = open_task(office["fg_chu"], doc["id"], "countersign")  # both open together
    waits = act(office["zh_chu"], first["id"], action="countersign", opinion="综合处：同意。")
    assert waits["next_tasks"] == []  # 法规处 still countersigns
    [issue] = act(office["fg_chu"], second["id"], action="countersign", opinion="法规处：同意。")[
        "next_tasks"
    ]
    assert issue["step"] == "issue" and issue["assignee_id"] == leader.id

    # the secretary enters the issue for the leader — only under a valid delegation
    # (without one the document is not even theirs to see)
    expect_error(
        secretary.post(
            f"/outgoing/{doc['id']}/issue",
            json={"opinion": "同意印发。", "on_behalf_of": leader.id},
        ),
        404,
        "document_not_found",
    )
    delegate(leader, secretary)
    stage_of(drafter, doc["id"], "issue")
    issued = ok(
        secretary.post(
            f"/outgoing/{doc['id']}/issue",
            json={"opinion": "同意印发。", "on_behalf_of": leader.id},
        )
    )
    assert issued["next_tasks"][0]["step"] == "number"
    stage_of(registrar, doc["id"], "number")
    # the step's record follows from routing's task.completed (its own queue)
    shown = eventually(
        lambda: (d := ok(registrar.get(f"/outgoing/{doc['id']}")))["issued_at"] and d
    )
    assert (shown["signer_name"], shown["issue_entered_by_name"]) == ("赵厅长", "孙秘书")
    expect_error(
        drafter.patch(f"/outgoing/{doc['id']}", json={"title": "改标题"}), 409, "draft_closed"
    )
    expect_error(upload_body(drafter, doc["id"], "正文.docx", real_docx()), 409, "draft_closed")

    # the draft slip: every opinion in order, the issue attributed
    slip = ok(drafter.get(f"/documents/{doc['id']}/slip"))
    assert [(o["kind"], o["text"]) for o in slip["opinions"]] == [
        ("check", "核稿通过，请综合处、法规处会签。"),
        ("countersign", "综合处：同意。"),
        ("countersign", "法规处：同意。"),
        ("issue", "同意印发。"),
    ]
    assert slip["opinions"][-1]["author_name"] == "孙秘书"
    assert slip["opinions"][-1]["on_behalf_of_name"] == "赵厅长"

    # 编号: never in another unit's series, once only
    other_series = ok(
        office.admin.post(
            "/number-series", json={"unit_id": office.units["机关事务局"], "prefix": "测试局发"}
        ),
        201,
    )
    expect_error(
        registrar.post(f"/outgoing/{doc['id']}/number", json={"series_id": other_series["id"]}),
        403,
        "not_own_series",
    )
    expect_error(office["jg_wenshu"].post(f"/outgoing/{doc['id']}/number"), 403, "not_own_series")
    expect_error(registrar.post(f"/outgoing/{doc['id']}/dispatch"), 409, "not_numbered")
    ok(registrar.post(f"/outgoing/{doc['id']}/number"))
    stage_of(registrar, doc["id"], "seal")
    numbered = eventually(
        lambda: (d := ok(registrar.get(f"/outgoing/{doc['id']}")))["number"] and d
    )
    number = f"测试厅发〔{year}〕{series['last_n'] + 1}号"
    assert numbered["number"] == number
    expect_error(registrar.post(f"/outgoing/{doc['id']}/number"), 409, "already_numbered")
    expect_error(registrar.post(f"/outgoing/{doc['id']}/dispatch"), 409, "not_sealed")

    # 用印, 分发
    ok(registrar.post(f"/outgoing/{doc['id']}/seal", json={"opinion": "加盖办公厅印章"}))
    stage_of(registrar, doc["id"], "dispatch")
    sealed = eventually(
        lambda: (d := ok(registrar.get(f"/outgoing/{doc['id']}")))["sealed_at"] and d
    )
    assert (sealed["sealed_by_name"], sealed["seal_note"]) == ("张文书", "加盖办公厅印章")
    ok(registrar.post(f"/outgoing/{doc['id']}/dispatch"))
    receipts = eventually(
        lambda: (r := ok(registrar.get(f"/outgoing/{doc['id']}/receipts")))["receipts"] and r
    )
    assert receipts["number"] == number and receipts["counts"] == {
        "pending": 2,
        "signed": 0,
        "refused": 0,
    }
    expect_error(registrar.post(f"/outgoing/{doc['id']}/dispatch"), 409, "already_dispatched")
    by_unit = {r["tenant_code"]: r for r in receipts["receipts"]}
    to_sign, to_refuse = by_unit[signer_side.code], by_unit[refuser_side.code]
    assert (to_sign["is_copy"], to_refuse["is_copy"]) == (False, True)

    # 催签 the one that has not signed; the recipient sees it
    urged = ok(
        registrar.post(
            f"/outgoing/{doc['id']}/receipts/{to_sign['inbox_item_id']}/urge",
            json={"message": "请尽快签收"},
        )
    )
    assert (
        next(r for r in urged["receipts"] if r["inbox_item_id"] == to_sign["inbox_item_id"])[
            "urge_count"
        ]
        == 1
    )
    expect_error(
        drafter.post(f"/outgoing/{doc['id']}/receipts/{to_sign['inbox_item_id']}/urge"),
        403,
        "not_sender_registry",
    )
    item = ok(signer_side["wenshu"].get(f"/inbox/{to_sign['inbox_item_id']}"))
    assert item["doc_number"] == number and item["urge_count"] == 1
    assert [f["filename"] for f in item["files"]] == ["正文.docx"]

    # and its registrar, who signs for it, is notified: an urge (催收), once; nobody else
    def urges(person: Any) -> list[dict[str, Any]]:
        page = ok(person.get("/notifications", params={"limit": 200}))
        return [n for n in page["items"] if n["kind"] == "urge" and doc["title"] in n["title"]]

    [note] = eventually(lambda: urges(signer_side["wenshu"]), what="the urge to sign")
    assert note["title"] == "催收：《关于开展政务数据质量检查的通知》"
    assert f"「{office.tenant['name']} · 文书处」第1次催请签收（{number}）" in note["body"]
    assert note["body"].endswith("催签意见：请尽快签收") and note["task_id"] is None
    for person in (signer_side["ban"], refuser_side["wenshu"], registrar, drafter):
        assert urges(person) == [], person

    # one signs for it (it becomes an incoming document with its route), one refuses
    signed = ok(signer_side["wenshu"].post(f"/inbox/{to_sign['inbox_item_id']}/sign"), 201)
    open_task(signer_side["wenshu"], signed["id"], "registry_distribute")
    ok(
        refuser_side["wenshu"].post(
            f"/inbox/{to_refuse['inbox_item_id']}/refuse", json={"reason": "不属于本单位职责"}
        )
    )
    after = ok(registrar.get(f"/outgoing/{doc['id']}/receipts"))
    by_item = {r["inbox_item_id"]: r for r in after["receipts"]}
    assert by_item[to_sign["inbox_item_id"]]["status"] == "signed"
    assert by_item[to_sign["inbox_item_id"]]["signed_by_name"] == "外文书"
    refused = by_item[to_refuse["inbox_item_id"]]
    assert (refused["status"], refused["refusal_reason"], refused["refused_by_name"]) == (
        "refused",
        "不属于本单位职责",
        "外文书",
    )
    expect_error(
        registrar.post(f"/outgoing/{doc['id']}/receipts/{to_refuse['inbox_item_id']}/urge"),
        409,
        "not_pending",
    )
    expect_error(
        registrar.post(f"/outgoing/{doc['id']}/receipts/{to_sign['inbox_item_id']}/resend"),
        409,
        "not_refused",
    )

    # 重新发送 to the one that refused: a new copy, the old one superseded
    again = ok(
        registrar.post(f"/outgoing/{doc['id']}/receipts/{to_refuse['inbox_item_id']}/resend")
    )
    assert again["counts"] == {"pending": 1, "signed": 1, "refused": 0}
    assert [
        r["superseded"] for r in again["receipts"] if r["tenant_code"] == refuser_side.code
    ] == [
        True,
        False,
    ]
    expect_error(
        registrar.post(f"/outgoing/{doc['id']}/receipts/{to_refuse['inbox_item_id']}/resend"),
        409,
        "already_resent",
    )

    assert len(urges(signer_side["wenshu"])) == 1  # still once, long after

    # the number went out: it cannot be voided
    expect_error(
        registrar.post(f"/document-numbers/{numbered['number_id']}/void", json={"reason": "错号"}),
        409,
        "number_dispatched",
    )

    # the register of the series, and its export checked cell by cell
    register = ok(
        registrar.get(f"/number-series/{series['id']}/register", params={"q": "数据质量"})
    )
    [row] = register["rows"]
    assert (row["number"], row["title"], row["signer_name"], row["status"]) == (
        number,
        "关于开展政务数据质量检查的通知",
        "赵厅长",
        "已分发",
    )
    assert row["recipients"] == ["另一个厅 · 文书处"] * 2  # 主送, then 抄送
    response = registrar.get(f"/number-series/{series['id']}/register.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0] == [
        "序号",
        "发文字号",
        "标题",
        "签发日期",
        "签发人",
        "主送/抄送单位",
        "状态",
        "备注",
    ]
    line = next(r for r in cells[1:] if r[1] == number)
    issued_on = dt.datetime.fromisoformat(row["issued_at"]).astimezone(SHANGHAI).date()
    assert line[2:8] == [
        "关于开展政务数据质量检查的通知",
        dt.datetime.combine(issued_on, dt.time()),
        "赵厅长",
        "另一个厅 · 文书处、另一个厅 · 文书处",
        "已分发",
        None,
    ]

    # 归档 closes the route
    archive = open_task(registrar, doc["id"], "archive")
    act(registrar, archive["id"], action="archive")
    stage_of(registrar, doc["id"], "archived")


def test_a_countersigner_returns_it_to_the_drafter_and_the_other_countersign_closes(
    office: Office, receivers: tuple[Office, Office]
):
    drafter, head = office["dz_ban1"], office["dz_chu"]
    doc = draft(office, drafter, "关于会签退回的测试", recipients(_to(receivers[0])))
    act(drafter, open_task(drafter, doc["id"], "draft")["id"], action="submit")
    check = open_task(head, doc["id"], "check")
    act(
        head,
        check["id"],
        action="check",
        leader_ids=[office["ting1"].id],
        countersign_unit_ids=[office.units["综合处"], office.units["法规处"]],
    )
    mine = open_task(office["zh_chu"], doc["id"], "countersign")
    open_task(office["fg_chu"], doc["id"], "countersign")
    [back] = act(office["zh_chu"], mine["id"], action="return", opinion="口径需与综合处核对。")[
        "next_tasks"
    ]
    assert (back["step"], back["assignee_id"]) == ("draft", drafter.id)
    tasks = ok(drafter.get(f"/documents/{doc['id']}/tasks"))
    assert [t["status"] for t in tasks if t["step"] == "countersign"] == ["returned", "cancelled"]
    stage_of(drafter, doc["id"], "draft")
    # the drafter may go on editing and submit again
    ok(upload_body(drafter, doc["id"], "正文（第二稿）.docx", real_docx("第二稿")), 201)


def test_a_number_voided_before_dispatch_is_given_anew(
    office: Office, receivers: tuple[Office, Office], series: dict[str, Any]
):
    drafter, head, registrar = office["dz_ban1"], office["dz_chu"], office["wenshu"]
    doc = draft(
        office,
        drafter,
        "关于作废重编号的测试",
        recipients(_to(receivers[0])),
        series_id=series["id"],
    )
    to_issue(office, drafter, head, doc, office["ting1"])
    ok(office["ting1"].post(f"/outgoing/{doc['id']}/issue", json={"opinion": "同意。"}))
    stage_of(registrar, doc["id"], "number")
    ok(registrar.post(f"/outgoing/{doc['id']}/number"))
    stage_of(registrar, doc["id"], "seal")
    # the number follows from routing's task.completed (a queue of its own)
    numbered = eventually(
        lambda: (d := ok(registrar.get(f"/outgoing/{doc['id']}")))["number"] and d
    )
    ok(
        registrar.post(
            f"/document-numbers/{numbered['number_id']}/void", json={"reason": "号码错用"}
        )
    )
    assert ok(registrar.get(f"/outgoing/{doc['id']}"))["number"] is None
    expect_error(registrar.post(f"/outgoing/{doc['id']}/dispatch"), 409, "not_numbered")
    again = ok(registrar.post(f"/outgoing/{doc['id']}/number"))
    assert again["renumbered"] is True
    renumbered = ok(registrar.get(f"/outgoing/{doc['id']}"))
    assert renumbered["number"] and renumbered["number"] != numbered["number"]
    year = ok(registrar.get(f"/number-series/{series['id']}/numbers"))
    states = {n["number"]: n["state"] for n in year["numbers"]}
    assert states[numbered["number"]] == "voided" and states[renumbered["number"]] == "assigned"


def test_a_unit_template_without_seal_has_its_countersigners_sign_one_after_another(
    office: Office, receivers: tuple[Office, Office], series: dict[str, Any]
):
    """The route is data: 督查处's own template countersigns in turn and has no 用印."""
    office.add_unit("督查处")
    drafter = office.add_person("dc_ban", "蒋承办", "督查处", ["handler"])
    head = office.add_person("dc_chu", "沈处长", "督查处", ["division_head"])
    default = next(t for t in ok(office.admin.get("/templates")) if t["code"] == "outgoing-default")
    steps = [
        {**s, "countersign_mode": "sequential"} if s["key"] == "countersign" else s
        for s in default["steps"]
        if s["key"] != "seal"
    ]
    for s in steps:
        if s["key"] == "number":
            s["actions"] = {"number": "dispatch", "return": "issue"}
    mine = {
        **{k: default[k] for k in ("name", "kind", "first_step")},
        "code": "dc-out",
        "steps": steps,
    }
    made = ok(office.admin.post("/templates", json=mine), 201)
    ok(
        office.admin.post(
            f"/templates/{made['id']}/assign", json={"unit_ids": [office.units["督查处"]]}
        )
    )

    doc = draft(office, drafter, "关于督查事项办理情况的通报", recipients(_to(receivers[0])))
    act(drafter, open_task(drafter, doc["id"], "draft")["id"], action="submit")
    check = open_task(head, doc["id"], "check")
    [first] = act(
        head,
        check["id"],
        action="check",
        leader_ids=[office["ting1"].id],
        countersign_unit_ids=[office.units["法规处"], office.units["综合处"]],
    )["next_tasks"]
    assert first["unit_id"] == office.units["法规处"]  # in the order named, one at a time
    [second] = act(
        office["fg_chu"],
        open_task(office["fg_chu"], doc["id"], "countersign")["id"],
        action="countersign",
        opinion="法规处：无意见。",
    )["next_tasks"]
    assert (second["step"], second["unit_id"]) == ("countersign", office.units["综合处"])
    [issue] = act(office["zh_chu"], second["id"], action="countersign", opinion="综合处：同意。")[
        "next_tasks"
    ]
    assert issue["assignee_id"] == office["ting1"].id
    [number] = ok(office["ting1"].post(f"/outgoing/{doc['id']}/issue", json={"opinion": "同意。"}))[
        "next_tasks"
    ]
    assert number["step"] == "number"
    stage_of(office["wenshu"], doc["id"], "number")
    expect_error(office["wenshu"].post(f"/outgoing/{doc['id']}/number"), 422, "series_required")
    ok(office["wenshu"].post(f"/outgoing/{doc['id']}/number", json={"series_id": series["id"]}))
    stage_of(office["wenshu"], doc["id"], "dispatch")  # no 用印 in this unit's route
    eventually(lambda: ok(office["wenshu"].get(f"/outgoing/{doc['id']}"))["number"])
    ok(office["wenshu"].post(f"/outgoing/{doc['id']}/dispatch"))
    eventually(lambda: ok(office["wenshu"].get(f"/outgoing/{doc['id']}/receipts"))["receipts"])
