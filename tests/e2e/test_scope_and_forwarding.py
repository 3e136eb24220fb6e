"""Leader-instruction documents (领导批示件) end to end through the gateway: visible only
within their scope (知悉范围) on every read path, the scope extended by the registry,
restricted forwarding (限制转办) within the tenant and to another tenant, and plain
转办 of an ordinary document with its slip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    User,
    act,
    expect_error,
    incoming_office,
    ok,
    open_task,
    other_incoming_office,
    register,
    todo,
)
from tests.support.instructions import (
    add_instruction_staff,
    instructions_of,
    recorded,
    task_of,
    to_leaders,
)
from tests.support.overdue import SetClock, shanghai
from tests.support.waiting import eventually

NOTICE = "此件系内部资料，严格控制知悉范围，严禁在互联网端存储或传输"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    yield add_instruction_staff(incoming_office(gw, platform_admin))


@pytest.fixture(scope="module")
def elsewhere(gw: Gateway, platform_admin: User) -> Office:
    return other_incoming_office(gw, platform_admin)


def instructed_restricted(office: Office, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 领导批示件 instructed on by 赵厅长, back with the handler: (document, instruction)."""
    leader = office["ting1"]
    doc, tasks = to_leaders(office, title, [leader], restricted=True)
    act(
        leader,
        task_of(tasks, leader)["id"],
        action="instruct",
        opinion="请严格控制知悉范围，抓紧办理。",
    )
    [instruction] = recorded(office["wenshu"], doc["id"])
    return doc, instruction


def read_paths(person: Person, doc: dict[str, Any], instruction: dict[str, Any]) -> dict[str, int]:
    """The status of every read path of a document for ``person``."""
    file_id = doc["files"][0]["id"]
    return {
        "record": person.get(f"/documents/{doc['id']}").status_code,
        "slip": person.get(f"/documents/{doc['id']}/slip").status_code,
        "route": person.get(f"/documents/{doc['id']}/tasks").status_code,
        "scope": person.get(f"/documents/{doc['id']}/scope").status_code,
        "scan": person.get(f"/files/{file_id}/content").status_code,
        "link": person.get(f"/files/{file_id}/link").status_code,
        "instruction": person.get(f"/instructions/{instruction['id']}").status_code,
    }


def listed(person: Person, doc: dict[str, Any], instruction: dict[str, Any]) -> dict[str, bool]:
    """Whether the document shows up in ``person``'s lists and searches."""
    search = ok(person.get("/documents", params={"q": doc["title"][:6], "limit": 200}))["items"]
    found = instructions_of(person)
    words = instructions_of(person, q="知悉范围")
    return {
        "search": any(d["id"] == doc["id"] for d in search),
        "instructions": any(i["id"] == instruction["id"] for i in found),
        "words": any(i["id"] == instruction["id"] for i in words),
        "todo": any(t["document_id"] == doc["id"] for t in todo(person)),
    }


def naming(person: Person, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``person``'s notifications that name the document."""
    notes = ok(person.get("/notifications", params={"limit": 200}))["items"]
    return [n for n in notes if doc["title"] in n["title"] + n["body"]]


def test_a_leader_instruction_document_is_invisible_outside_its_scope(
    office: Office, elsewhere: Office
):
    doc, instruction = instructed_restricted(office, "关于省领导调研安排的批示件")
    doc = ok(office["wenshu"].get(f"/documents/{doc['id']}"))
    assert doc["is_leader_instruction"] is True and doc["files"]

    # in the scope: leaders, the registry, the people on its route
    for username in ("wenshu", "ting1", "ting2", "shengzhang", "dz_ban1", "dz_chu"):
        paths = read_paths(office[username], doc, instruction)
        assert set(paths.values()) == {200}, (username, paths)
    assert listed(office["dz_ban1"], doc, instruction)["instructions"] is True

    # outside: a handler of another division, the second handler of the lead division
    # (distributed to the division is not enough), an auditor — and another tenant
    outsiders = [office["fg_ban"], office["dz_ban2"], office["shenji"], elsewhere["ban"]]
    outsiders.append(elsewhere["wenshu"])
    for person in outsiders:
        paths = read_paths(person, doc, instruction)
        assert set(paths.values()) == {404}, (person.username, paths)
        assert not any(listed(person, doc, instruction).values()), person.username
        error = person.get(f"/documents/{doc['id']}").json()["error"]
        assert error["code"] == "document_not_found"

    # notifications: the outsiders were never told of it; the second handler of the lead
    # division was told of the pooled sign-for before it was declared, and of nothing since
    for person in (office["fg_ban"], office["shenji"], elsewhere["ban"], elsewhere["wenshu"]):
        assert naming(person, doc) == [], person.username
    before = naming(office["dz_ban2"], doc)
    handler_task = open_task(office["dz_ban1"], doc["id"])
    ok(office["wenshu"].post(f"/tasks/{handler_task['id']}/urge", json={"message": "请加快"}))
    eventually(
        lambda: any(n["kind"] == "urge" for n in naming(office["dz_ban1"], doc)), 20, "the urge"
    )
    assert naming(office["dz_ban2"], doc) == before

    # the registry adds the second handler: from now on they see it, and the trail says so
    handler2 = office["dz_ban2"]
    expect_error(  # an outsider cannot add anyone (the document does not exist for them)
        office["fg_ban"].post(f"/documents/{doc['id']}/scope", json={"user_ids": [handler2.id]}),
        404,
        "document_not_found",
    )
    expect_error(  # in the scope but neither registry nor lead division
        office["ting2"].post(f"/documents/{doc['id']}/scope", json={"user_ids": [handler2.id]}),
        403,
        "not_allowed_to_extend_scope",
    )
    # a registrar of another unit, even once in the scope, does not extend it
    other_registrar = office["jg_wenshu"]
    ok(
        office["wenshu"].post(
            f"/documents/{doc['id']}/scope", json={"user_ids": [other_registrar.id]}
        )
    )
    expect_error(
        other_registrar.post(f"/documents/{doc['id']}/scope", json={"user_ids": [handler2.id]}),
        403,
        "not_allowed_to_extend_scope",
    )
    scope = ok(
        office["wenshu"].post(f"/documents/{doc['id']}/scope", json={"user_ids": [handler2.id]})
    )
    assert scope["restricted"] is True
    assert {"registrar", "office_leader", "gov_leader"} == set(scope["default_roles"])
    assert {"user_id": handler2.id, "reason": "scope"}.items() <= next(
        p for p in scope["people"] if p["user_id"] == handler2.id
    ).items()
    assert set(read_paths(handler2, doc, instruction).values()) == {200}
    trace = ok(office["wenshu"].get(f"/documents/{doc['id']}/slip"))["trace"]
    added = [t for t in trace if t["action"] == "document.scope_extend"][-1]
    assert added["actor_id"] == office["wenshu"].id
    assert added["detail"]["user_ids"] == [handler2.id]
    # the others stay outside
    assert set(read_paths(office["fg_ban"], doc, instruction).values()) == {404}

    # an ordinary document is visible to its division as before
    ordinary, _ = to_leaders(office, "关于一般事项的请示", [office["ting1"]])
    assert office["dz_ban2"].get(f"/documents/{ordinary['id']}").status_code == 200
    expect_error(
        office["wenshu"].post(
            f"/documents/{ordinary['id']}/scope", json={"user_ids": [handler2.id]}
        ),
        409,
        "not_leader_instruction",
    )


def test_restricted_forwarding_within_the_tenant(office: Office):
    doc, _ = instructed_restricted(office, "关于机关节能工作的批示件")
    handler, receiver = office["dz_ban1"], office["jg_wenshu"]
    task = open_task(handler, doc["id"])
    target = {"unit_id": office.units["机关事务局"]}
    path = f"/documents/{doc['id']}/forward"
    body = {"title": "关于机关节能工作的转办笺", "recipients": [target], "note": "请按批示办理"}

    # refusals write nothing
    expect_error(office["dz_ban2"].post(path, json=body), 404, "document_not_found")  # outside
    expect_error(office["dz_chu"].post(path, json=body), 403, "not_document_holder")
    expect_error(
        handler.post(path, json={**body, "recipients": [{"unit_id": str(uuid.uuid4())}]}),
        404,
        "recipient_unit_not_found",
    )
    # a unit that was closed (撤销) is not in the address book any more
    closed = office.add_unit("已撤销的局", "unit")

    def listed_units() -> list[str]:
        units = ok(handler.get("/address-book", params={"q": "已撤销的局"}))["units"]
        return [u["unit_id"] for u in units]

    eventually(lambda: listed_units() == [closed], 20, "the unit in the address book")
    ok(office.admin.patch(f"/org-units/{closed}", json={"active": False}))
    eventually(lambda: listed_units() == [], 20, "the closed unit out of the address book")
    expect_error(
        handler.post(path, json={**body, "recipients": [{"unit_id": closed}]}),
        404,
        "recipient_unit_not_found",
    )
    for title in ("", " ", "长" * 301):
        assert handler.post(path, json={**body, "title": title}).status_code == 422
    assert ok(handler.get(f"/documents/{doc['id']}"))["forwarded_at"] is None
    assert ok(receiver.get("/inbox"))["total"] == 0
    assert open_task(handler, doc["id"])["id"] == task["id"]

    out = ok(handler.post(path, json=body))
    assert out["restricted"] is True and out["slip"]["notice"] == NOTICE
    assert out["slip"]["title"] == body["title"] and out["slip"]["opinions"] == []
    [delivery] = out["deliveries"]
    assert delivery["unit_name"] == "机关事务局"

    # the route here stops: open tasks cancelled, the document shows 已转办 and where
    eventually(lambda: all(t["document_id"] != doc["id"] for t in todo(handler)), 20, "cancelled")
    forwarded = ok(handler.get(f"/documents/{doc['id']}"))
    assert forwarded["forwarded_at"] is not None
    assert [t["unit_name"] for t in forwarded["forwarded_to"]] == ["机关事务局"]
    route = ok(handler.get(f"/documents/{doc['id']}/tasks"))
    assert all(t["status"] != "open" for t in route)
    trace = ok(handler.get(f"/documents/{doc['id']}/slip"))["trace"]
    [entry] = [t for t in trace if t["action"] == "document.forward"]
    assert entry["detail"]["restricted"] is True and entry["detail"]["notice"] == NOTICE
    assert entry["detail"]["deliveries"][0]["unit_name"] == "机关事务局"
    expect_error(handler.post(path, json=body), 409, "document_forwarded")

    # the receiving registry: the forwarding slip and the scans only
    [item] = ok(receiver.get("/inbox"))["items"]
    assert item["title"] == body["title"] and len(item["files"]) == 1
    assert item["forwarding_slip"]["notice"] == NOTICE
    assert item["forwarding_slip"]["opinions"] == []
    received = ok(receiver.post(f"/inbox/{item['id']}/sign"), 201)
    assert received["forwarding_slip"]["title"] == body["title"]
    assert received["is_leader_instruction"] is True and len(received["files"]) == 1
    slip = ok(receiver.get(f"/documents/{received['id']}/slip"))
    assert slip["opinions"] == []  # nothing of the original processing slip
    # it is a new incoming document of the receiver, with its own route
    assert open_task(receiver, received["id"], "registry_distribute")
    # the receiver cannot read the original
    expect_error(receiver.get(f"/documents/{doc['id']}/slip"), 404, "document_not_found")


def test_plain_forwarding_to_another_tenant_carries_the_slip(office: Office, elsewhere: Office):
    leader = office["ting1"]
    doc, tasks = to_leaders(office, "关于跨区域协作的请示", [leader])
    act(leader, task_of(tasks, leader)["id"], action="instruct", opinion="请与兄弟单位对接。")
    recorded(office["wenshu"], doc["id"])  # on the slip before it is forwarded with it
    handler = office["dz_ban1"]
    task = open_task(handler, doc["id"])

    # the receiving unit is picked from the address book (通讯录) of the platform
    def registry_of_elsewhere() -> dict[str, Any] | None:
        book = ok(handler.get("/address-book", params={"tenant_code": elsewhere.code}))
        assert {t["code"] for t in book["tenants"]} >= {office.code, elsewhere.code}
        return next((u for u in book["units"] if u["unit_name"] == "文书处"), None)

    entry = eventually(registry_of_elsewhere, 20, "the other tenant's registry")
    assert entry["unit_id"] == elsewhere.units["文书处"] and entry["own_tenant"] is False
    own = ok(handler.get("/address-book", params={"q": "机关事务"}))["units"]
    assert ("机关事务局", office.code, True) in {
        (u["unit_name"], u["tenant_code"], u["own_tenant"]) for u in own
    }
    assert all(u["own_tenant"] == (u["tenant_code"] == office.code) for u in own)
    body = {
        "title": "关于跨区域协作的请示",
        "recipients": [{"tenant_code": entry["tenant_code"], "unit_id": entry["unit_id"]}],
    }
    out = eventually(
        lambda: ok(handler.post(f"/documents/{doc['id']}/forward", json=body)),
        20,
        "the forwarding",
    )
    assert out["restricted"] is False and out["slip"]["notice"] is None
    kinds = [o["kind"] for o in out["slip"]["opinions"]]
    assert "instruction" in kinds and "proposal" in kinds
    eventually(lambda: ok(handler.get(f"/tasks/{task['id']}"))["status"] == "cancelled", 20, "x")

    receiver = elsewhere["wenshu"]
    [item] = [i for i in ok(receiver.get("/inbox"))["items"] if i["title"] == body["title"]]
    assert item["sender_tenant_code"] == office.code
    assert [
        o["text"] for o in item["forwarding_slip"]["opinions"] if o["kind"] == "instruction"
    ] == ["请与兄弟单位对接。"]
    received = ok(receiver.post(f"/inbox/{item['id']}/sign"), 201)
    assert received["is_leader_instruction"] is False
    assert received["forwarding_slip"]["opinions"]
    expect_error(receiver.get(f"/documents/{doc['id']}"), 404, "document_not_found")


def test_overdue_report_rows_of_a_leader_instruction_document_stay_in_its_scope(
    office: Office, clock: SetClock
):
    registrar, other_registrar, handler = office["wenshu"], office["jg_wenshu"], office["dz_ban1"]
    clock(shanghai(2026, 11, 2, 10))
    docs = {}
    for restricted in (True, False):
        doc = register(registrar, f"关于超期{'批示件' if restricted else '普通件'}的通知")
        open_task(registrar, doc["id"], "registry_distribute")
        ok(
            registrar.post(
                f"/documents/{doc['id']}/distribute",
                json={"lead_unit_id": office.units["电子政务处"]},
            )
        )
        docs[restricted] = doc
    clock(shanghai(2026, 11, 20, 10))  # signed for late (due at the end of 5 Nov)
    for restricted, doc in docs.items():
        sign = open_task(handler, doc["id"], "division_sign")
        act(handler, sign["id"], action="sign", is_leader_instruction=restricted)

    def rows(person: Person) -> set[str]:
        report = ok(person.get("/reports/overdue", params={"month": "2026-11"}))
        return {i["document_id"] for i in report["items"]}

    assert {docs[True]["id"], docs[False]["id"]} <= rows(registrar)
    # a registrar of another unit of the tenant: the ordinary row only
    seen = rows(other_registrar)
    assert docs[False]["id"] in seen and docs[True]["id"] not in seen
    # the lead division's head is on its route only once they acted on it: not yet
    division = ok(office["dz_chu"].get("/reports/overdue/division"))
    listed = {i["document_id"] for i in division["items"]}
    assert docs[False]["id"] in listed and docs[True]["id"] not in listed
