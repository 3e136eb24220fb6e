"""收文办理 end to end through the gateway, with every role: the registry registers and
distributes a document to a lead and an assisting division; in each, a handler signs
and proposes and the division head reviews (returning once with a reason); two office
leaders instruct, one through a secretary with a delegation (代领导批示); the handlers
handle; the registry urges, completes both branches and archives. Meanwhile the
document is circulated for reading, its scans are downloaded, and at the end the
processing slip (处理笺) has every opinion in order and the trace every action, and
an auditor finds the documents trail intact."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import httpx

from services.common.vocabulary import SHANGHAI
from services.routing.working_days import (
    distribution_deadline,
    effective_calendar,
    national_schedules,
)
from tests.support import samples
from tests.support.gateway import (
    Office,
    Person,
    act,
    expect_error,
    ok,
    open_task,
    real_pdf,
    register,
    upload,
)
from tests.support.waiting import eventually


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_due(distributed_at: dt.datetime) -> dt.datetime:
    """24:00 Asia/Shanghai of the third working day after the distribution day."""
    calendar = effective_calendar(national_schedules(), [])
    return distribution_deadline(distributed_at, calendar, 3).due_at


def check_deadline_rule(distributed_at: dt.datetime, due_at: dt.datetime) -> None:
    """The same rule said another way: three working days lie after the distribution
    day up to and including the last day, and the deadline is that day's end."""
    calendar = effective_calendar(national_schedules(), [])
    start = distributed_at.astimezone(SHANGHAI).date()
    local = due_at.astimezone(SHANGHAI)
    assert local.time() == dt.time(0, 0)
    last_day = local.date() - dt.timedelta(days=1)
    days = [start + dt.timedelta(days=i) for i in range(1, (last_day - start).days + 1)]
    assert [d for d in days if calendar.is_working_day(d)][-1] == last_day
    assert sum(calendar.is_working_day(d) for d in days) == 3


def in_todo(person: Person, document_id: str) -> list[dict[str, Any]]:
    page = ok(person.get("/tasks/todo", params={"limit": 200}))
    return [t for t in page["items"] if t["document_id"] == document_id]


def delegate(leader: Person, secretary: Person) -> dict[str, Any]:
    now = dt.datetime.now(SHANGHAI)
    body = {
        "secretary_id": secretary.id,
        "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
        "note": "出差期间代为录入批示",
    }
    return dict(ok(leader.post("/delegations", json=body), 201))


def test_an_incoming_document_from_registration_to_archive(office: Office):
    registrar, registrar2 = office["wenshu"], office["wenshu2"]
    lead_h, lead_h2, lead_head = office["dz_ban1"], office["dz_ban2"], office["dz_chu"]
    asst_h, asst_head = office["zh_ban"], office["zh_chu"]
    leader1, leader2, secretary = office["ting1"], office["ting2"], office["mishu"]
    outsider, auditor = office["fg_ban"], office["shenji"]
    lead_id, asst_id = office.units["电子政务处"], office.units["综合处"]

    # -- 收文登记 with scans -----------------------------------------------------------------
    doc = register(
        registrar,
        "国务院办公厅关于加快推进政务数据共享开放的通知",
        doc_number="国办发〔2026〕45号",
        source_org="国务院办公厅",
        urgency="特急",
        page_count=8,
    )
    doc_id = doc["id"]
    pdf, png = real_pdf("Guobanfa 2026 No. 45"), samples.png()
    pdf_file, png_file = ok(upload(registrar, doc_id, ("正文.pdf", pdf), ("附件1.png", png)), 201)

    # -- 分办 ----------------------------------------------------------------------------------
    distribute_task = open_task(registrar, doc_id, "registry_distribute")
    assert distribute_task["allowed_actions"] == ["distribute"]
    assert open_task(registrar2, doc_id)["id"] == distribute_task["id"]  # pooled to the registry
    expect_error(
        lead_h.post(f"/documents/{doc_id}/distribute", json={"lead_unit_id": lead_id}),
        403,
        "role_required",
    )
    distribution = ok(
        registrar.post(
            f"/documents/{doc_id}/distribute",
            json={
                "lead_unit_id": lead_id,
                "assisting_unit_ids": [asst_id],
                "note": "请电子政务处牵头办理,综合处配合",
            },
        )
    )
    distributed_at = at(distribution["distributed_at"])
    due = expected_due(distributed_at)
    check_deadline_rule(distributed_at, due)
    assert [(t["unit_id"], t["role_in_document"]) for t in distribution["tasks"]] == [
        (lead_id, "lead"),
        (asst_id, "assisting"),
    ]
    sign_tasks = {}
    for person, unit_id in (
        (lead_h, lead_id),
        (lead_head, lead_id),
        (asst_h, asst_id),
        (asst_head, asst_id),
    ):
        [task] = in_todo(person, doc_id)
        assert (task["step"], task["unit_id"], task["urgency"]) == (
            "division_sign",
            unit_id,
            "extra_urgent",
        )
        assert at(task["due_at"]) == due and task["overdue"] is False
        sign_tasks[unit_id] = task
    assert in_todo(outsider, doc_id) == []
    expect_error(
        registrar.post(f"/documents/{doc_id}/distribute", json={"lead_unit_id": lead_id}),
        409,
        "already_distributed",
    )

    # both divisions may open it (once documents has followed the distribution), others not
    eventually(lambda: lead_h.get(f"/documents/{doc_id}").status_code == 200)
    eventually(lambda: asst_h.get(f"/documents/{doc_id}").status_code == 200)
    expect_error(outsider.get(f"/documents/{doc_id}"), 404, "document_not_found")
    expect_error(outsider.get(f"/documents/{doc_id}/slip"), 404, "document_not_found")
    expect_error(outsider.get(f"/files/{pdf_file['id']}/content"), 404, "file_not_found")
    expect_error(outsider.get(f"/files/{pdf_file['id']}/link"), 404, "file_not_found")

    # -- 传阅: the second handler of the lead division reads it -----------------------------
    [item] = ok(
        registrar.post(
            f"/documents/{doc_id}/circulate", json={"user_ids": [lead_h2.id], "note": "请阅知"}
        )
    )
    unread = ok(lead_h2.get("/reading"))["items"]
    assert [(i["id"], i["title"], i["read_at"]) for i in unread if i["document_id"] == doc_id] == [
        (item["id"], doc["title"], None)
    ]
    expect_error(lead_h.post(f"/reading/{item['id']}/read"), 403, "not_recipient")
    read = ok(lead_h2.post(f"/reading/{item['id']}/read"))
    assert read["read_at"] is not None
    [listed] = [i for i in ok(lead_h2.get("/reading"))["items"] if i["id"] == item["id"]]
    assert listed["read_at"] == read["read_at"]

    # -- 主办: sign, propose, a return, propose again, approve to two leaders ------------------
    signed = act(lead_h, sign_tasks[lead_id]["id"], action="sign", is_leader_instruction=False)
    assert signed["task"]["status"] == "done" and signed["task"]["completed_by"] == lead_h.id
    [propose] = signed["next_tasks"]
    assert (propose["step"], propose["assignee_id"]) == ("propose", lead_h.id)
    assert in_todo(lead_h2, doc_id) == [] and in_todo(lead_head, doc_id) == []

    path = f"/tasks/{propose['id']}/actions"
    expect_error(
        lead_h2.post(path, json={"action": "propose", "opinion": "x"}), 403, "not_task_holder"
    )
    expect_error(  # a division head at the handler's step
        lead_head.post(path, json={"action": "propose", "opinion": "x"}), 403, "not_task_holder"
    )
    expect_error(lead_h.post(path, json={"action": "approve"}), 422, "action_not_allowed")
    expect_error(lead_h.post(path, json={"action": "archive"}), 422, "action_not_allowed")
    expect_error(lead_h.post(path, json={"action": "propose"}), 422, "opinion_required")

    opinions: list[tuple[str, str, str | None, str]] = []  # kind, author, on behalf of, text
    text = "拟请电子政务处牵头办理,报厅领导批示。"
    [review] = act(lead_h, propose["id"], action="propose", opinion=text)["next_tasks"]
    opinions.append(("proposal", lead_h.full_name, None, text))
    assert (review["step"], review["unit_id"], review["assignee_id"]) == (
        "division_review",
        lead_id,
        None,
    )
    expect_error(  # a handler at the division head's step
        lead_h.post(f"/tasks/{review['id']}/actions", json={"action": "approve"}),
        403,
        "not_task_holder",
    )
    reason = "拟办意见未写明办理时限,请补充。"
    returned = act(lead_head, review["id"], action="return", opinion=reason)
    opinions.append(("return_reason", lead_head.full_name, None, reason))
    assert returned["task"]["status"] == "returned"
    [propose_again] = returned["next_tasks"]
    assert (propose_again["step"], propose_again["assignee_id"]) == ("propose", lead_h.id)

    text = "拟请电子政务处牵头,于十一月底前报送落实情况,报厅领导批示。"
    [review] = act(lead_h, propose_again["id"], action="propose", opinion=text)["next_tasks"]
    opinions.append(("proposal", lead_h.full_name, None, text))
    text = "同意拟办意见,请赵厅长、钱副厅长批示。"
    leader_tasks = act(
        lead_head, review["id"], action="approve", opinion=text, leader_ids=[leader1.id, leader2.id]
    )["next_tasks"]
    opinions.append(("review", lead_head.full_name, None, text))
    assert sorted(t["assignee_id"] for t in leader_tasks) == sorted([leader1.id, leader2.id])

    # -- 批示: one leader in person, the other through the secretary (代领导批示) ------------
    first = open_task(leader1, doc_id, "leader_instruction")
    text = "请抓紧办理,按时报送。"
    assert act(leader1, first["id"], action="instruct", opinion=text)["next_tasks"] == []
    opinions.append(("instruction", leader1.full_name, None, text))

    second = open_task(leader2, doc_id, "leader_instruction")
    path = f"/tasks/{second['id']}/actions"
    on_behalf = {"action": "instruct", "opinion": "同意。", "on_behalf_of": leader2.id}
    expect_error(secretary.post(path, json=on_behalf), 403, "no_valid_delegation")
    expect_error(
        secretary.post(path, json={"action": "instruct", "opinion": "同意。"}),
        403,
        "not_task_holder",
    )
    expect_error(
        secretary.post(path, json={**on_behalf, "on_behalf_of": leader1.id}),
        403,
        "not_task_holder",
    )
    assert ok(leader2.get(f"/tasks/{second['id']}"))["status"] == "open"
    delegate(leader2, secretary)
    instructed = ok(secretary.post(path, json=on_behalf))
    opinions.append(("instruction", secretary.full_name, leader2.full_name, "同意。"))
    assert instructed["task"]["completed_by"] == secretary.id
    [handle] = instructed["next_tasks"]
    assert (handle["step"], handle["assignee_id"]) == ("handle", lead_h.id)

    # -- 催办 by the registry, then 办理 ----------------------------------------------------------
    urged = ok(registrar.post(f"/tasks/{handle['id']}/urge", json={"message": "请于本周内办结"}))
    assert (urged["task_id"], urged["urged_by"]) == (handle["id"], registrar.id)
    expect_error(  # only the registry or the sender urges
        outsider.post(f"/tasks/{handle['id']}/urge", json={}), 403, "not_allowed_to_urge"
    )
    # who neither holds a task nor may see its document does not find it
    expect_error(outsider.get(f"/tasks/{handle['id']}"), 404, "task_not_found")
    assert ok(lead_head.get(f"/tasks/{handle['id']}"))["allowed_actions"] == []
    assert ok(lead_h.get(f"/tasks/{handle['id']}"))["allowed_actions"] == ["handle"]
    text = "已按批示要求完成数据共享目录梳理并报送。"
    [complete_lead] = act(lead_h, handle["id"], action="handle", opinion=text)["next_tasks"]
    opinions.append(("handling", lead_h.full_name, None, text))
    assert (complete_lead["step"], complete_lead["unit_id"]) == (
        "registry_complete",
        office.units["文书处"],
    )

    # -- 协办: the division head signs; no leaders ------------------------------------------------
    [propose_b] = act(asst_head, sign_tasks[asst_id]["id"], action="sign")["next_tasks"]
    assert propose_b["assignee_id"] is None  # pooled to the division's handlers
    text = "综合处配合提供相关数据。"
    [review_b] = act(asst_h, propose_b["id"], action="propose", opinion=text)["next_tasks"]
    opinions.append(("proposal", asst_h.full_name, None, text))
    [handle_b] = act(asst_head, review_b["id"], action="approve", opinion="同意。")["next_tasks"]
    opinions.append(("review", asst_head.full_name, None, "同意。"))
    assert (handle_b["step"], handle_b["assignee_id"]) == ("handle", asst_h.id)
    [complete_b] = act(asst_h, handle_b["id"], action="handle", opinion="已提供数据。")[
        "next_tasks"
    ]
    opinions.append(("handling", asst_h.full_name, None, "已提供数据。"))

    # -- 办结 once both branches are done, then 归档 ---------------------------------------------
    path = f"/tasks/{complete_lead['id']}/actions"
    expect_error(registrar.post(path, json={"action": "archive"}), 422, "action_not_allowed")
    expect_error(lead_h.post(path, json={"action": "complete"}), 403, "not_task_holder")
    assert (
        act(registrar, complete_lead["id"], action="complete", opinion="主办处室已办结。")[
            "next_tasks"
        ]
        == []
    )
    opinions.append(("completion", registrar.full_name, None, "主办处室已办结。"))
    [archive] = act(registrar2, complete_b["id"], action="complete", opinion="协办处室已办结。")[
        "next_tasks"
    ]
    opinions.append(("completion", registrar2.full_name, None, "协办处室已办结。"))
    assert (archive["step"], archive["role_in_document"]) == ("registry_archive", "registry")
    assert act(registrar, archive["id"], action="archive")["next_tasks"] == []

    # documents follows: archived, and an archived document takes no more scans
    eventually(lambda: ok(registrar.get(f"/documents/{doc_id}"))["status"] == "archived")
    expect_error(upload(registrar, doc_id, ("补充.pdf", real_pdf())), 409, "document_archived")
    assert len(ok(registrar.get(f"/documents/{doc_id}"))["files"]) == 2

    # -- the route ------------------------------------------------------------------------------------
    route = ok(lead_h.get(f"/documents/{doc_id}/tasks"))
    assert [(t["step"], t["status"]) for t in route] == [
        ("registry_distribute", "done"),
        ("division_sign", "done"),
        ("division_sign", "done"),
        ("propose", "done"),
        ("division_review", "returned"),
        ("propose", "done"),
        ("division_review", "done"),
        ("leader_instruction", "done"),
        ("leader_instruction", "done"),
        ("handle", "done"),
        ("registry_complete", "done"),
        ("propose", "done"),
        ("division_review", "done"),
        ("handle", "done"),
        ("registry_complete", "done"),
        ("registry_archive", "done"),
    ]
    expect_error(outsider.get(f"/documents/{doc_id}/tasks"), 404, "document_not_found")

    # -- the processing slip and the trace (filled from routing's events) -------------------------
    def full_slip() -> dict[str, Any]:
        slip = ok(asst_h.get(f"/documents/{doc_id}/slip"))
        assert len(slip["opinions"]) == len(opinions), slip["opinions"]
        actions = [e["action"] for e in slip["trace"]]
        assert "document.archive" in actions and "document.read" in actions
        return dict(slip)

    slip = eventually(full_slip, timeout=15)
    assert slip["document"]["status"] == "archived"
    assert [
        (o["kind"], o["author_name"], o["on_behalf_of_name"], o["text"]) for o in slip["opinions"]
    ] == opinions
    assert [o["seq"] for o in slip["opinions"]] == list(range(1, len(opinions) + 1))
    times = [at(o["created_at"]) for o in slip["opinions"]]
    assert times == sorted(times) and times[0] > distributed_at
    by_proxy = slip["opinions"][5]
    assert (by_proxy["author_id"], by_proxy["on_behalf_of_id"]) == (secretary.id, leader2.id)

    trace = slip["trace"]
    assert [e["seq"] for e in trace] == list(range(1, len(trace) + 1))
    assert [at(e["occurred_at"]) for e in trace] == sorted(at(e["occurred_at"]) for e in trace)
    actions = [e["action"] for e in trace]
    assert actions[0] == "document.register" and actions.count("document.attach_file") == 2
    for action in (
        "document.distribute",
        "task.create",
        "task.sign",
        "task.propose",
        "task.return",
        "task.approve",
        "task.instruct",
        "task.urge",
        "task.handle",
        "task.complete",
        "document.complete",
        "task.archive",
        "document.archive",
        "document.circulate",
        "document.read",
    ):
        assert action in actions, action
    [urge_row] = [e for e in trace if e["action"] == "task.urge"]
    assert urge_row["actor_id"] == registrar.id
    assert urge_row["detail"]["message"] == "请于本周内办结"
    proxy_rows = [e for e in trace if e["action"] == "task.instruct" and e["on_behalf_of"]]
    assert [(e["actor_id"], e["on_behalf_of"]) for e in proxy_rows] == [(secretary.id, leader2.id)]
    [returned_row] = [e for e in trace if e["action"] == "task.return"]
    assert returned_row["actor_id"] == lead_head.id and returned_row["detail"]["reason"] == reason

    # -- opening it: metadata and the scans, by stream and by link ------------------------------
    opened = ok(lead_h.get(f"/documents/{doc_id}"))
    assert (opened["title"], opened["doc_number"], opened["urgency"], opened["secrecy"]) == (
        doc["title"],
        "国办发〔2026〕45号",
        "extra_urgent",
        "none",
    )
    assert (opened["lead_unit_id"], opened["assisting_unit_ids"]) == (lead_id, [asst_id])
    assert opened["completed_at"] and opened["archived_at"] and opened["overdue"] is False
    for person, file, data in ((lead_h, pdf_file, pdf), (asst_h, png_file, png)):
        response = person.get(f"/files/{file['id']}/content")
        assert response.status_code == 200 and response.content == data
        assert response.headers["content-type"] == file["content_type"]
        assert response.headers["content-length"] == str(len(data))
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote(file['filename'], safe='')}" in disposition
        link = ok(person.get(f"/files/{file['id']}/link"))
        assert at(link["expires_at"]) > dt.datetime.now(dt.UTC)
        fetched = httpx.get(link["url"], timeout=10, trust_env=False)
        assert fetched.status_code == 200 and fetched.content == data
    # the leaders and the auditor see every document of the tenant
    for person in (leader1, auditor):
        assert ok(person.get(f"/documents/{doc_id}"))["id"] == doc_id

    # -- the auditor finds the documents trail intact (and identity's still works) ---------------
    verified = ok(auditor.get("/audit/verify", params={"service": "documents"}))
    assert verified["ok"] is True and verified["checked"] >= len(trace)
    assert verified["first_broken_id"] is None
    assert ok(auditor.get("/audit/verify"))["ok"] is True
    expect_error(
        lead_head.get("/audit/verify", params={"service": "documents"}), 403, "role_required"
    )
