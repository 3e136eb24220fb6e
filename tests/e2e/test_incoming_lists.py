"""待办 / 已办 / 待阅 through the gateway: most urgent first, then newest; paged; each row
with its deadline and overdue flag. Who finds what in search (the registry everything
of the tenant, a division what was sent to it), search by every criterion, two
concurrent actions on one task, and process templates assigned to a division."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import httpx

from services.routing.working_days import (
    distribution_deadline,
    effective_calendar,
    national_schedules,
)
from tests.support.gateway import Office, Person, act, expect_error, ok, open_task, register
from tests.support.stacks import unique
from tests.support.waiting import eventually


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def division(office: Office, name: str, *roles: str) -> tuple[str, list[Person]]:
    """A new division of the office with one person per role (signed in)."""
    unit_id = office.add_unit(name)
    people = [
        office.add_person(unique("p"), f"{name}{role}{i}", name, [role])
        for i, role in enumerate(roles)
    ]
    return unit_id, people


def distribute(office: Office, document_id: str, lead: str, *assisting: str) -> dict[str, Any]:
    body = {"lead_unit_id": lead, "assisting_unit_ids": list(assisting)}
    return dict(ok(office["wenshu"].post(f"/documents/{document_id}/distribute", json=body)))


def page(person: Person, path: str, **params: Any) -> dict[str, Any]:
    return dict(ok(person.get(path, params=params)))


def doc_ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["document_id"] for i in items]


def test_to_do_done_and_to_read_lists_are_ordered_paged_and_dated(office: Office):
    registrar = office["wenshu"]
    unit_id, [handler] = division(office, "排序测试处", "handler")
    docs = []
    for n, urgency in enumerate(("平件", "特急", "加急", "平件")):
        doc = register(registrar, f"待办排序测试文件{n}号", urgency=urgency)
        distribute(office, doc["id"], unit_id)
        docs.append(doc["id"])
    newest_normal, oldest_normal = docs[3], docs[0]

    # 待办: 特急, 加急, then 平件 newest first
    todo = page(handler, "/tasks/todo", limit=10)
    expected = [docs[1], docs[2], newest_normal, oldest_normal]
    assert (todo["total"], todo["limit"], todo["offset"]) == (4, 10, 0)
    assert doc_ids(todo["items"]) == expected
    assert [t["urgency"] for t in todo["items"]] == ["extra_urgent", "urgent", "normal", "normal"]
    first, second = (page(handler, "/tasks/todo", limit=2, offset=o) for o in (0, 2))
    assert doc_ids(first["items"]) + doc_ids(second["items"]) == expected
    assert first["total"] == second["total"] == 4
    assert page(handler, "/tasks/todo", limit=2, offset=4)["items"] == []
    calendar = effective_calendar(national_schedules(), [])
    for task in todo["items"]:
        deadline = distribution_deadline(at(task["created_at"]), calendar, 3)
        assert at(task["due_at"]) == deadline.due_at
        assert task["due_provisional"] is deadline.provisional
        assert task["overdue"] is False  # fresh tasks; the overdue marking comes next issue
        assert task["allowed_actions"] == ["sign", "return"]

    # 已办: what I acted on, newest first
    for document_id in (docs[0], docs[2], docs[1]):
        [task] = [t for t in todo["items"] if t["document_id"] == document_id]
        act(handler, task["id"], action="sign")
    done = page(handler, "/tasks/done", limit=2)
    assert done["total"] == 3 and doc_ids(done["items"]) == [docs[1], docs[2]]
    assert doc_ids(page(handler, "/tasks/done", limit=2, offset=2)["items"]) == [docs[0]]
    assert all(t["status"] == "done" and t["completed_by"] == handler.id for t in done["items"])
    # what signing opened is in the to-do list now, assigned to me
    todo = page(handler, "/tasks/todo")
    assert [t["step"] for t in todo["items"]].count("propose") == 3

    # 待阅: unread first, newest first
    reader = office.add_person(unique("r"), "传阅读者", "排序测试处", ["handler"])
    items = {}
    for document_id in docs[:3]:
        [item] = ok(
            registrar.post(f"/documents/{document_id}/circulate", json={"user_ids": [reader.id]})
        )
        items[document_id] = item["id"]
    to_read = page(reader, "/reading")
    assert doc_ids(to_read["items"]) == [docs[2], docs[1], docs[0]] and to_read["total"] == 3
    assert all(i["read_at"] is None for i in to_read["items"])
    ok(reader.post(f"/reading/{items[docs[1]]}/read"))
    to_read = page(reader, "/reading")
    assert doc_ids(to_read["items"]) == [docs[2], docs[0], docs[1]]
    assert [i["read_at"] is None for i in to_read["items"]] == [True, True, False]
    assert doc_ids(page(reader, "/reading", limit=1, offset=2)["items"]) == [docs[1]]
    # circulating again adds nothing; reading twice changes nothing
    again = ok(registrar.post(f"/documents/{docs[1]}/circulate", json={"user_ids": [reader.id]}))
    assert again[0]["id"] == items[docs[1]] and again[0]["read_at"] is not None
    assert page(reader, "/reading")["total"] == 3

    expect_error(handler.get("/tasks/todo", params={"limit": 0}), 422, "invalid_input")
    expect_error(handler.get("/tasks/done", params={"offset": -1}), 422, "invalid_input")
    expect_error(handler.get("/reading", params={"limit": 201}), 422, "invalid_input")


def test_the_registry_finds_everything_a_division_what_was_sent_to_it(office: Office):
    registrar, auditor = office["wenshu2"], office["shenji"]
    north, [north_handler, north_head] = division(office, "可见性甲处", "handler", "division_head")
    south, [south_handler] = division(office, "可见性乙处", "handler")
    to_north = register(office["wenshu"], "可见性测试:发往甲处的来文")
    to_both = register(office["wenshu"], "可见性测试:甲处主办乙处协办的来文")
    kept = register(office["wenshu"], "可见性测试:尚未分办的来文")
    distribute(office, to_north["id"], north)
    distribute(office, to_both["id"], north, south)

    def titles(person: Person) -> set[str]:
        found = page(person, "/documents", q="可见性测试", limit=200)
        assert found["total"] == len(found["items"])
        return {d["title"] for d in found["items"]}

    everything = {to_north["title"], to_both["title"], kept["title"]}
    assert titles(registrar) == titles(auditor) == titles(office["ting1"]) == everything
    assert page(registrar, "/documents", limit=200)["total"] >= 3
    eventually(lambda: titles(north_handler) == {to_north["title"], to_both["title"]})
    assert titles(north_head) == {to_north["title"], to_both["title"]}
    eventually(lambda: titles(south_handler) == {to_both["title"]})
    assert titles(office["fg_ban"]) == set()
    expect_error(south_handler.get(f"/documents/{to_north['id']}"), 404, "document_not_found")
    expect_error(south_handler.get(f"/documents/{kept['id']}"), 404, "document_not_found")
    assert ok(south_handler.get(f"/documents/{to_both['id']}"))["assisting_unit_ids"] == [south]


def test_search_by_title_words_number_source_dates_status_and_division(office: Office):
    registrar = office["wenshu"]
    unit_id, [handler] = division(office, "检索测试处", "handler")
    year = {"received_from": "2025-01-01", "received_to": "2025-12-31"}
    fire = register(
        registrar,
        "关于开展森林防火专项检查的通知",
        doc_number="黔林发〔2025〕7号",
        source_org="贵州省林业局",
        received_date="2025-03-15",
    )
    survey = register(
        registrar,
        "关于森林资源年度监测工作的函",
        doc_number="黔林函〔2025〕19号",
        source_org="贵州省林业局",
        received_date="2025-04-02",
    )
    safety = register(
        registrar,
        "关于加强安全生产检查的紧急通知",
        doc_number="黔安发〔2025〕3号",
        source_org="贵州省应急管理厅",
        received_date="2025-04-20",
        urgency="特急",
    )
    distribute(office, survey["id"], unit_id)

    def found(person: Person = registrar, **params: Any) -> list[str]:
        return [d["title"] for d in page(person, "/documents", **year, **params)["items"]]

    assert found(q="森林") == [survey["title"], fire["title"]]  # newest registration first
    assert found(q="防火 检查") == [fire["title"]]
    assert found(q="检查") == [safety["title"], fire["title"]]
    assert found(q="ＡＢＣ森林") == []
    assert found(doc_number="黔林发〔2025〕7号") == [fire["title"]]
    assert found(doc_number="黔林") == [survey["title"], fire["title"]]
    assert found(source_org="林业局") == [survey["title"], fire["title"]]
    assert found(source_org="应急管理厅") == [safety["title"]]
    assert [
        d["title"]
        for d in page(
            registrar, "/documents", received_from="2025-04-01", received_to="2025-04-30"
        )["items"]
    ] == [safety["title"], survey["title"]]
    eventually(lambda: found(status="distributed") == [survey["title"]])
    assert found(status="registered") == [safety["title"], fire["title"]]
    assert found(unit_id=unit_id) == [survey["title"]]
    eventually(lambda: found(handler, q="森林") == [survey["title"]])
    assert found(handler, q="检查") == []
    paged = page(registrar, "/documents", **year, limit=1, offset=1)
    assert paged["total"] == 3 and [d["title"] for d in paged["items"]] == [survey["title"]]
    expect_error(registrar.get("/documents", params={"status": "lost"}), 422, "invalid_input")
    expect_error(registrar.get("/documents", params={"unit_id": "x"}), 422, "invalid_input")


def race(people: list[Person], path: str, body: dict[str, Any]) -> dict[str, httpx.Response]:
    """The same POST by each person at the same moment (one thread each)."""
    barrier = threading.Barrier(len(people))
    results: dict[str, httpx.Response] = {}

    def send(person: Person) -> None:
        barrier.wait()
        results[person.id] = person.post(path, json=body)

    threads = [threading.Thread(target=send, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_concurrent_actions_on_one_task_one_wins(office: Office):
    unit_id, [first, second] = division(office, "并发测试处", "handler", "handler")
    for round_ in range(3):
        doc = register(office["wenshu"], f"并发签收测试{round_}")
        distribute(office, doc["id"], unit_id)
        task = open_task(first, doc["id"], "division_sign")
        results = race([first, second], f"/tasks/{task['id']}/actions", {"action": "sign"})
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 409], {k: r.text for k, r in results.items()}
        [loser] = [r for r in results.values() if r.status_code == 409]
        assert loser.json()["error"]["code"] in ("task_already_taken", "task_closed")
        [winner] = [pid for pid, r in results.items() if r.status_code == 200]
        # the division's part of the route (the registry's 分办 task may be absent
        # when distribution overtook routing's reading of document.registered)
        route = [
            t
            for t in ok(office["wenshu"].get(f"/documents/{doc['id']}/tasks"))
            if not t["step"].startswith("registry_")
        ]
        assert [(t["step"], t["status"]) for t in route] == [
            ("division_sign", "done"),
            ("propose", "open"),
        ]
        assert route[0]["completed_by"] == winner and route[1]["assignee_id"] == winner


def test_a_template_assigned_to_a_division_is_the_one_it_follows(office: Office):
    admin = office.admin
    unit_id, [handler, head] = division(office, "模板测试处", "handler", "division_head")
    listed = ok(admin.get("/templates"))
    [default] = [t for t in listed if t["code"] == "incoming-default"]
    assert default["tenant_id"] is None
    assert ok(handler.get(f"/templates/{default['id']}"))["steps"] == default["steps"]

    template = {k: default[k] for k in ("name", "kind", "first_step", "steps")}
    template["code"] = "incoming-no-leaders"
    template["name"] = "收文办理(无需领导批示)"
    template["steps"] = [s for s in default["steps"] if s["key"] != "leader_instruction"]
    for step in template["steps"]:
        if step["key"] == "division_review":
            step["actions"] = {"approve": "handle", "return": "propose"}
    expect_error(handler.post("/templates", json=template), 403, "role_required")
    bad = {**template, "first_step": "nowhere"}
    expect_error(admin.post("/templates", json=bad), 422, "bad_template")
    created = ok(admin.post("/templates", json=template), 201)
    assert (created["version"], created["tenant_id"]) == (1, office.tenant["id"])
    expect_error(
        handler.post(f"/templates/{created['id']}/assign", json={"unit_ids": [unit_id]}),
        403,
        "role_required",
    )
    assigned = ok(admin.post(f"/templates/{created['id']}/assign", json={"unit_ids": [unit_id]}))
    assert assigned["assigned_unit_ids"] == [unit_id]
    assert created["id"] in {t["id"] for t in ok(handler.get("/templates"))}

    doc = register(office["wenshu"], "模板测试:无需领导批示的来文")
    distribute(office, doc["id"], unit_id)
    [propose] = act(handler, open_task(handler, doc["id"])["id"], action="sign")["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="拟自行办理。")["next_tasks"]
    path = f"/tasks/{review['id']}/actions"
    leader = office["ting1"].id
    expect_error(
        head.post(path, json={"action": "approve", "leader_ids": [leader]}),
        422,
        "leaders_not_expected",
    )
    [handle] = act(head, review["id"], action="approve")["next_tasks"]
    assert (handle["step"], handle["assignee_id"]) == ("handle", handler.id)
    expect_error(
        admin.post(
            "/templates/3fa85f64-5717-4562-b3fc-2c963f66afa6/assign", json={"unit_ids": [unit_id]}
        ),
        404,
        "template_not_found",
    )
