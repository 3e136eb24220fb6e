"""Notifications (通知) end to end (DESIGN 5, issue 4 item 3): what routing announces
reaches the people concerned in their in-app inbox, read through the gateway.

* a distributed document: every handler and the head of the division see a new to-do
  (待办), nobody else does;
* an urge (催办): the holder of the task sees it, with the urge's message;
* a return (退回): whom it went back to sees it once, with the reason;
* with routing's test clock moved to the reminder time and then past the deadline, and a
  scan each time: the holder sees a reminder (到期提醒) and then an overdue notice
  (超期提醒), each once however many scans;
* reading: the unread count goes down as notifications are read; another user's
  notification is not found.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.common.vocabulary import SHANGHAI
from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    User,
    act,
    expect_error,
    ok,
    register,
    setup_office,
)
from tests.support.stacks import SyncRpc, unique
from tests.support.waiting import eventually

SetClock = Callable[[dt.datetime], None]

UNITS = ("文书处", "电子政务处", "综合处")
STAFF = (
    ("wenshu", "张文书", "文书处", ["registrar"]),
    ("dz_ban1", "李承办", "电子政务处", ["handler"]),
    ("dz_ban2", "吴承办", "电子政务处", ["handler"]),
    ("dz_chu", "王处长", "电子政务处", ["division_head"]),
    ("zh_ban", "郑承办", "综合处", ["handler"]),
    ("zh_chu", "冯处长", "综合处", ["division_head"]),
)
DIVISION = ("dz_ban1", "dz_ban2", "dz_chu")
OTHERS = ("wenshu", "zh_ban", "zh_chu")


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Office:
    """A tenant of its own (so that no other test's documents reach these inboxes)."""
    built = setup_office(gw, platform_admin, unique("tz"), "通知测试厅")
    for unit in UNITS:
        built.add_unit(unit)
    for username, full_name, unit, roles in STAFF:
        built.add_person(username, full_name, unit, roles)
    return built


@pytest.fixture()
def clock(rpc: SyncRpc) -> Iterator[SetClock]:
    """Routing's test clock, set by the test; real time again afterwards."""

    def set_clock(instant: dt.datetime) -> None:
        out = rpc.call("routing", "set_test_clock", now=instant.isoformat())
        assert out["frozen"] is True

    yield set_clock
    rpc.call("routing", "set_test_clock", now=None)


def shanghai(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def inbox(person: Person, **params: Any) -> dict[str, Any]:
    return dict(ok(person.get("/notifications", params={"limit": 200, **params})))


def about(person: Person, *, kind: str, document_id: str | None = None, task_id: str | None = None):
    """The person's notifications of ``kind`` about a document or a task."""
    return [
        n
        for n in inbox(person)["items"]
        if n["kind"] == kind
        and (document_id is None or n["document_id"] == document_id)
        and (task_id is None or n["task_id"] == task_id)
    ]


def wait(probe: Callable[[], Any]) -> Any:
    return eventually(probe, timeout=15, interval=0.25)


def settle() -> None:
    """Give a duplicate the time it would need to show up."""
    time.sleep(1.0)


def distribute(office: Office, title: str, lead: str = "电子政务处") -> tuple[str, dict[str, Any]]:
    """收文登记 and 分办 through the gateway: the document's id and its 处室签收 task."""
    registrar = office["wenshu"]
    doc = register(registrar, title)
    out = ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units[lead]}
        )
    )
    [sign] = out["tasks"]
    return str(doc["id"]), dict(sign)


def test_a_distributed_document_brings_the_divisions_handlers_a_new_todo(office: Office):
    title = "关于做好政务服务事项梳理工作的通知"
    document_id, sign = distribute(office, title)
    for username in DIVISION:
        [note] = wait(lambda u=username: about(office[u], kind="todo", task_id=sign["id"]))
        assert note["title"] == f"新待办：《{title}》", note
        assert note["kind_label"] == "待办通知" and note["document_id"] == document_id
        assert "「处室签收」待您办理" in note["body"] and note["read_at"] is None
    settle()
    for username in DIVISION:
        assert len(about(office[username], kind="todo", task_id=sign["id"])) == 1
    for username in OTHERS:  # the registrar who distributed it, the other division
        assert about(office[username], kind="todo", document_id=document_id) == []


def test_an_urge_reaches_the_holder_of_the_task(office: Office):
    handler, registrar = office["dz_ban1"], office["wenshu"]
    document_id, sign = distribute(office, "关于报送年度信息化项目清单的通知")
    [propose] = act(handler, sign["id"], action="sign")["next_tasks"]
    assert propose["assignee_id"] == handler.id
    ok(registrar.post(f"/tasks/{propose['id']}/urge", json={"message": "请于今日内提出拟办意见"}))

    [urge] = wait(lambda: about(handler, kind="urge", task_id=propose["id"]))
    assert urge["title"] == "催办：《关于报送年度信息化项目清单的通知》"
    assert urge["body"] == "请尽快办理。催办意见：请于今日内提出拟办意见"
    settle()
    assert len(about(handler, kind="urge", task_id=propose["id"])) == 1
    for username in ("dz_ban2", "dz_chu", "wenshu"):
        assert about(office[username], kind="urge", document_id=document_id) == []
    # who signed it is not told of the task their own action opened
    assert about(handler, kind="todo", task_id=propose["id"]) == []


def test_a_returned_document_is_one_notice_to_whom_it_went_back_to(office: Office):
    handler, head = office["dz_ban1"], office["dz_chu"]
    title = "关于推进电子证照互认共享的通知"
    document_id, sign = distribute(office, title)
    [propose] = act(handler, sign["id"], action="sign")["next_tasks"]
    [review] = act(handler, propose["id"], action="propose", opinion="拟请电子政务处办理。")[
        "next_tasks"
    ]
    wait(lambda: about(head, kind="todo", task_id=review["id"]))
    [again] = act(head, review["id"], action="return", opinion="拟办意见不明确，请补充。")[
        "next_tasks"
    ]
    assert again["assignee_id"] == handler.id and again["step"] == "propose"

    [back] = wait(lambda: about(handler, kind="returned", task_id=again["id"]))
    assert back["title"] == f"退回：《{title}》已退回给您" and back["kind_label"] == "退回通知"
    assert back["body"] == "退回理由：拟办意见不明确，请补充。"
    assert back["document_id"] == document_id
    settle()
    # one notice of the return, not a new to-do as well; the head who returned it: nothing
    assert [n["kind"] for n in inbox(handler)["items"] if n["task_id"] == again["id"]] == [
        "returned"
    ]
    assert about(head, kind="returned", document_id=document_id) == []


def test_the_holder_gets_a_reminder_then_an_overdue_notice_each_once(
    office: Office, clock: SetClock, rpc: SyncRpc
):
    handler = office["dz_ban1"]
    clock(shanghai(2026, 12, 7, 10))  # a Monday
    document_id, sign = distribute(office, "关于做好年底政务数据报送工作的通知")
    [propose] = act(handler, sign["id"], action="sign")["next_tasks"]
    remind_at = dt.datetime.fromisoformat(propose["remind_at"])
    due_at = dt.datetime.fromisoformat(propose["due_at"])
    assert remind_at < due_at

    clock(remind_at - dt.timedelta(minutes=1))
    rpc.call("routing", "scan_now")
    settle()
    assert about(handler, kind="reminder", task_id=propose["id"]) == []

    clock(remind_at)
    rpc.call("routing", "scan_now")
    rpc.call("routing", "scan_now")
    [reminder] = wait(lambda: about(handler, kind="reminder", task_id=propose["id"]))
    assert reminder["kind_label"] == "到期提醒"
    assert reminder["title"].startswith("待办提醒：《关于做好年底政务数据报送工作的通知》将于")
    assert reminder["title"].endswith("24:00到期")

    clock(due_at + dt.timedelta(hours=9))  # the morning after the deadline
    rpc.call("routing", "scan_now")
    rpc.call("routing", "scan_now")
    [overdue] = wait(lambda: about(handler, kind="overdue", task_id=propose["id"]))
    assert overdue["kind_label"] == "超期提醒"
    assert overdue["title"] == "超期提醒：《关于做好年底政务数据报送工作的通知》已超期"

    settle()
    assert len(about(handler, kind="reminder", task_id=propose["id"])) == 1
    assert len(about(handler, kind="overdue", task_id=propose["id"])) == 1
    for username in ("dz_ban2", "dz_chu", "zh_ban"):
        person = office[username]
        assert about(person, kind="reminder", document_id=document_id) == []
        assert about(person, kind="overdue", document_id=document_id) == []
    # the newest first: the overdue notice above the reminder
    kinds = [n["kind"] for n in inbox(handler)["items"] if n["task_id"] == propose["id"]]
    assert kinds == ["overdue", "reminder"]


def test_reading_lowers_the_unread_count_and_another_users_notification_is_not_found(
    office: Office, gw: Gateway, platform_admin: User
):
    head, handler = office["dz_chu"], office["dz_ban2"]
    _, sign = distribute(office, "关于开展政务公开检查的通知")
    wait(lambda: about(head, kind="todo", task_id=sign["id"]))
    page = inbox(head)
    unread = page["unread_count"]
    assert unread >= 1 and unread == sum(1 for n in page["items"] if n["read_at"] is None)
    [note] = about(head, kind="todo", task_id=sign["id"])

    read = ok(head.post(f"/notifications/{note['id']}/read"))
    assert read["id"] == note["id"] and read["read_at"] is not None
    assert inbox(head)["unread_count"] == unread - 1
    only_unread = inbox(head, unread_only="true")
    assert note["id"] not in {n["id"] for n in only_unread["items"]}
    assert only_unread["total"] == only_unread["unread_count"] == unread - 1
    again = ok(head.post(f"/notifications/{note['id']}/read"))  # reading twice changes nothing
    assert again["read_at"] == read["read_at"] and inbox(head)["unread_count"] == unread - 1

    # somebody else's notification: not found, for a colleague and for another tenant
    expect_error(handler.post(f"/notifications/{note['id']}/read"), 404, "notification_not_found")
    stranger = setup_office(gw, platform_admin, unique("tw"), "别的厅").admin
    expect_error(stranger.post(f"/notifications/{note['id']}/read"), 404, "notification_not_found")
    assert inbox(head)["unread_count"] == unread - 1

    out = ok(head.post("/notifications/read-all"))
    assert out == {"marked": unread - 1, "unread_count": 0}
    assert inbox(head)["unread_count"] == 0 and inbox(head, unread_only="true")["items"] == []
    # the colleague's own inbox is untouched
    assert inbox(handler)["unread_count"] >= 1


def test_bad_queries_are_refused(office: Office):
    person = office["zh_ban"]
    expect_error(person.get("/notifications", params={"limit": 0}), 422, "invalid_input")
    expect_error(person.get("/notifications", params={"unread": "yes"}), 422, "invalid_input")
    expect_error(person.post("/notifications/not-an-id/read"), 422, "invalid_input")
