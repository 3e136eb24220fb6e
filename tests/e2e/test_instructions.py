"""Leader instructions (领导批示) end to end through the gateway: numbers (a 厅领导's by
the system, a 省政府领导's by hand), 代领导批示 attributed everywhere, finding and
exporting them, 我的批示 with urging, and the refusals that write nothing."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openpyxl
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
)
from tests.support.instructions import (
    SHANGHAI,
    add_instruction_staff,
    delegate,
    instructions_of,
    recorded,
    task_of,
    to_leaders,
)
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    yield add_instruction_staff(incoming_office(gw, platform_admin))


def slip_opinions(person: Person, document_id: str) -> list[dict[str, Any]]:
    return list(ok(person.get(f"/documents/{document_id}/slip"))["opinions"])


def trail_actions(person: Person, document_id: str) -> list[dict[str, Any]]:
    return list(ok(person.get(f"/documents/{document_id}/slip"))["trace"])


def test_an_office_leaders_instructions_are_numbered_by_the_system(office: Office):
    ting1, ting2, registrar = office["ting1"], office["ting2"], office["wenshu"]
    fmt = ok(ting1.put("/instructions/numbering/" + ting1.id, json={"serial_format": "赵批{n}号"}))
    assert fmt["serial_format"] == "赵批{n}号" and fmt["example"] == "赵批1号"
    expect_error(  # not my format to set
        ting2.put("/instructions/numbering/" + ting1.id, json={"serial_format": "{n}"}),
        403,
        "not_allowed",
    )
    numbers = []
    for title in ("关于防汛抗旱工作的请示", "关于数字政府建设的报告"):
        doc, tasks = to_leaders(office, title, [ting1, ting2])
        act(
            ting1,
            task_of(tasks, ting1)["id"],
            action="instruct",
            opinion=f"同意，{title}抓紧落实。",
        )
        act(ting2, task_of(tasks, ting2)["id"], action="instruct", opinion="请电子政务处研究。")
        rows = {i["leader_id"]: i for i in recorded(registrar, doc["id"], 2)}
        numbers.append((rows[ting1.id]["serial"], rows[ting1.id]["number"]))
        assert rows[ting1.id]["leader_kind"] == "office_leader"
        assert rows[ting1.id]["attribution"] is None and rows[ting1.id]["on_behalf"] is False
        assert rows[ting1.id]["entered_by_name"] == "赵厅长"
        # the slip shows the number with the instruction
        [mine] = [o for o in slip_opinions(registrar, doc["id"]) if o["author_id"] == ting1.id]
        assert (
            mine["kind"] == "instruction" and mine["instruction_number"] == rows[ting1.id]["number"]
        )
    first, second = numbers
    assert second[0] == first[0] + 1  # per leader and year, no gap
    assert first[1] == f"赵批{first[0]}号" and second[1] == f"赵批{second[0]}号"
    # the other leader's serials are their own
    theirs = sorted(i["serial"] for i in instructions_of(registrar, leader_id=ting2.id))
    assert theirs == list(range(1, len(theirs) + 1))


def test_fifty_concurrent_instructions_are_numbered_one_to_fifty(office: Office):
    leader = office.add_person("ting_cc", "孙副厅长", None, ["office_leader"])
    registrar = office["wenshu"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        prepared = list(
            pool.map(lambda n: to_leaders(office, f"并发批示测试件{n}", [leader]), range(50))
        )
    tasks = [task_of(tasks, leader)["id"] for _, tasks in prepared]

    def instruct(task_id: str) -> int:
        return leader.post(
            f"/tasks/{task_id}/actions", json={"action": "instruct", "opinion": "阅。"}
        ).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(instruct, tasks))
    assert codes == [200] * 50

    def all_numbered() -> list[dict[str, Any]] | None:
        rows = instructions_of(registrar, leader_id=leader.id)
        return rows if len(rows) == 50 else None

    rows = eventually(all_numbered, 60, "50 instructions")
    assert sorted(r["serial"] for r in rows) == list(range(1, 51))
    assert len({r["document_id"] for r in rows}) == 50


def test_a_secretary_enters_and_numbers_a_provincial_leaders_instruction(office: Office):
    governor, secretary, registrar = office["shengzhang"], office["mishu_sz"], office["wenshu"]
    other_secretary, handler = office["mishu"], office["dz_ban1"]
    year = dt.datetime.now(SHANGHAI).year
    number = f"省长批〔{year}〕118号"
    doc, tasks = to_leaders(office, "关于全省农村公路建设的报告", [governor])
    task = task_of(tasks, governor)
    body = {
        "action": "instruct",
        "opinion": "请省交通运输厅牵头研究。",
        "on_behalf_of": governor.id,
    }

    # without a delegation: 403, nothing written
    expect_error(
        secretary.post(f"/tasks/{task['id']}/actions", json=body), 403, "no_valid_delegation"
    )
    delegation = delegate(governor, secretary)
    # a delegation to another secretary does not help this one
    expect_error(
        other_secretary.post(f"/tasks/{task['id']}/actions", json=body), 403, "no_valid_delegation"
    )
    assert ok(governor.get(f"/tasks/{task['id']}"))["status"] == "open"

    done = act(secretary, task["id"], **body, instruction_number=number)
    assert done["task"]["status"] == "done"
    [row] = recorded(registrar, doc["id"])
    assert row["number"] == number and row["serial"] is None
    assert row["leader_id"] == governor.id and row["leader_name"] == "李省长"
    assert row["entered_by_id"] == secretary.id and row["on_behalf"] is True
    assert row["attribution"] == "秘书 周秘书 代录"
    [opinion] = [o for o in slip_opinions(registrar, doc["id"]) if o["kind"] == "instruction"]
    assert opinion["on_behalf_of_id"] == governor.id and opinion["on_behalf_of_name"] == "李省长"
    assert opinion["attribution"] == "秘书 周秘书 代录" and opinion["instruction_number"] == number
    trace = [t for t in trail_actions(registrar, doc["id"]) if t["action"] == "instruction.record"]
    assert trace and trace[0]["on_behalf_of"] == governor.id
    assert trace[0]["detail"]["attribution"] == "秘书 周秘书 代录"
    # the leader's list of what was entered on their behalf
    proxied = instructions_of(governor, leader_id=governor.id, on_behalf="true")
    assert row["id"] in {i["id"] for i in proxied}

    # the same number again for this leader and year: 409 before anything is written
    doc2, tasks2 = to_leaders(office, "关于城乡供水一体化的报告", [governor])
    task2 = task_of(tasks2, governor)
    expect_error(
        secretary.post(
            f"/tasks/{task2['id']}/actions",
            json={**body, "instruction_number": f"省长批〔{year}〕 118号"},  # spacing ignored
        ),
        409,
        "instruction_number_taken",
    )
    assert ok(governor.get(f"/tasks/{task2['id']}"))["status"] == "open"
    assert [o for o in slip_opinions(registrar, doc2["id"]) if o["kind"] == "instruction"] == []

    # entered without a number, numbered afterwards
    act(secretary, task2["id"], **body)
    [row2] = recorded(registrar, doc2["id"])
    assert row2["number"] is None
    path = f"/instructions/{row2['id']}/number"
    expect_error(
        handler.put(path, json={"number": "省长批〔2026〕119号"}), 403, "not_your_instruction"
    )
    expect_error(secretary.put(path, json={"number": number}), 409, "instruction_number_taken")
    numbered = ok(secretary.put(path, json={"number": f"省长批〔{year}〕119号"}))
    assert numbered["number"] == f"省长批〔{year}〕119号"
    [opinion2] = [o for o in slip_opinions(registrar, doc2["id"]) if o["kind"] == "instruction"]
    assert opinion2["instruction_number"] == numbered["number"]
    assert "instruction.number" in {t["action"] for t in trail_actions(registrar, doc2["id"])}

    # found by its number (spaces and full-width digits ignored) and by words
    by_number = instructions_of(registrar, number=f"省长批〔{year}〕１１８号")
    assert [i["id"] for i in by_number] == [row["id"]]
    by_words = instructions_of(registrar, q="交通运输厅")
    assert row["id"] in {i["id"] for i in by_words}
    by_title = instructions_of(registrar, q="农村公路")
    assert [i["id"] for i in by_title] == [row["id"]]

    # the export says who entered it
    response = registrar.get("/instructions/export", params={"leader_id": governor.id})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content))["批示明细"].values)
    mine = [r for r in rows[1:] if r[4] == "关于全省农村公路建设的报告"]
    assert [(r[1], r[5], r[6]) for r in mine] == [
        (number, "请省交通运输厅牵头研究。", "秘书 周秘书 代录")
    ]

    # revoked: refused again; a delegation from another leader does not help either
    ok(governor.post(f"/delegations/{delegation['id']}/revoke"))
    delegate(office["ting2"], secretary)
    doc3, tasks3 = to_leaders(office, "关于旅游产业化的报告", [governor])
    expect_error(
        secretary.post(f"/tasks/{task_of(tasks3, governor)['id']}/actions", json=body),
        403,
        "no_valid_delegation",
    )
    assert [o for o in slip_opinions(registrar, doc3["id"]) if o["kind"] == "instruction"] == []
    # an office leader's instruction with a hand number: 422
    ting1 = office["ting1"]
    doc4, tasks4 = to_leaders(office, "关于机关后勤的请示", [ting1])
    expect_error(
        ting1.post(
            f"/tasks/{task_of(tasks4, ting1)['id']}/actions",
            json={"action": "instruct", "opinion": "同意。", "instruction_number": "厅批1号"},
        ),
        422,
        "instruction_number_by_system",
    )
    # and numbering it afterwards is refused too
    act(ting1, task_of(tasks4, ting1)["id"], action="instruct", opinion="同意。")
    [row4] = recorded(registrar, doc4["id"])
    expect_error(
        ting1.put(f"/instructions/{row4['id']}/number", json={"number": "x1"}),
        422,
        "instruction_number_by_system",
    )


def test_export_of_a_leaders_year(office: Office):
    leader = office.add_person("ting_ex", "吴副厅长", None, ["office_leader"])
    registrar = office["wenshu"]
    texts = ["请抓紧办理防汛工作。", "同意，按程序报批。", "请综合处配合做好数据共享。"]
    docs = []
    for n, text in enumerate(texts):
        doc, tasks = to_leaders(
            office, f"导出测试件{n}", [leader], doc_number=f"黔府办函〔2026〕{n + 60}号"
        )
        act(leader, task_of(tasks, leader)["id"], action="instruct", opinion=text)
        docs.append(doc)
    eventually(
        lambda: len(instructions_of(registrar, leader_id=leader.id)) == 3, 20, "3 instructions"
    )
    year = dt.datetime.now(SHANGHAI).year
    response = registrar.get("/instructions/export", params={"leader_id": leader.id, "year": year})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["批示明细", "统计"]
    rows = list(book["批示明细"].iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "批示编号",
        "批示日期",
        "文号",
        "标题",
        "批示内容",
        "录入",
        "办理情况",
    )
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    for row, doc, text, serial in zip(rows[1:], docs, texts, (1, 2, 3), strict=True):
        assert row[1] == str(serial)
        assert row[2].date() == dt.datetime.now(SHANGHAI).date()
        assert row[3] == doc["doc_number"] and row[4] == doc["title"] and row[5] == text
        assert row[6] == "吴副厅长本人录入"
        assert row[7].startswith("办理中")
    counts = list(book["统计"].iter_rows(values_only=True))
    month = dt.datetime.now(SHANGHAI).strftime("%Y-%m")
    assert ("", month, 3) in counts or (None, month, 3) in counts
    assert ("合计", None, 3) in counts or ("合计", "", 3) in counts
    assert any(r[1] == "电子政务处" and r[2] == 3 for r in counts)
    # a reversed range is refused
    expect_error(
        registrar.get(
            "/instructions/export",
            params={"leader_id": leader.id, "since": "2026-12-01", "until": "2026-01-01"},
        ),
        422,
        "invalid_range",
    )


def test_my_instructions_show_progress_and_let_me_urge(office: Office):
    leader = office.add_person("ting_my", "郑副厅长", None, ["office_leader"])
    handler = office["dz_ban1"]
    doc, tasks = to_leaders(office, "关于政务服务好差评的请示", [leader])
    act(leader, task_of(tasks, leader)["id"], action="instruct", opinion="请于本周内办结。")

    def listed() -> dict[str, Any] | None:
        items = ok(leader.get("/instructions/mine"))["items"]
        item = next((i for i in items if i["document_id"] == doc["id"]), None)
        return item if item and item["open_tasks"] and item["instructions"] else None

    item = eventually(listed, 20, "my instruction")
    assert item["instructions"][0]["text"] == "请于本周内办结。"
    [open_task] = item["open_tasks"]
    assert open_task["assignee_id"] == handler.id and open_task["overdue"] is False
    urged = ok(leader.post(f"/tasks/{open_task['task_id']}/urge", json={"message": "请加快办理"}))
    assert urged["task_id"] == open_task["task_id"]
    # a leader who did not instruct on it may not urge
    expect_error(
        office["ting2"].post(f"/tasks/{open_task['task_id']}/urge"), 403, "not_allowed_to_urge"
    )
    # not a leader: no such list
    expect_error(handler.get("/instructions/mine"), 403, "role_required")
