"""Reminders and overdue marks end to end (DESIGN 4.3), through the gateway where a user
acts, with routing's test clock moved by the tests (never sleeping for a deadline):

* a task is reminded on the morning of its last working day, then marked overdue at its
  deadline; its document gets the red flag; each happens once;
* two routing instances scanning at once publish each reminder and each overdue mark once;
* routing stopped over a deadline marks the task overdue at the deadline when it is back.

Events are counted on a queue of our own bound to ``routing.events``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import create_engine, text

from devstack.stack import Stack
from services.common.settings import Settings
from tests.support.gateway import Gateway, Office, User, act, ok
from tests.support.overdue import (
    RoutingEvents,
    SetClock,
    at,
    build_office,
    new_document,
    shanghai,
    task_of,
)
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def overdue_office(gw: Gateway, platform_admin: User) -> Office:
    return build_office(gw, platform_admin, "超期提醒测试厅")


def test_a_task_is_reminded_then_overdue_and_its_document_gets_the_red_flag(
    overdue_office: Office, clock: SetClock, rpc: SyncRpc, routing_events: RoutingEvents
):
    office = overdue_office
    handler, registrar = office["dz_ban1"], office["wenshu"]
    clock(shanghai(2026, 12, 7, 10))  # a Monday
    doc, [sign] = new_document(office, "关于做好年底政务数据报送工作的通知", "电子政务处")
    # the distribution day does not count: Tue, Wed, Thu; reminded at 09:00 on Thu
    assert at(sign["due_at"]) == shanghai(2026, 12, 11)
    assert at(sign["remind_at"]) == shanghai(2026, 12, 10, 9)
    assert at(sign["created_at"]) == shanghai(2026, 12, 7, 10)

    clock(shanghai(2026, 12, 10, 8, 59))
    rpc.call("routing", "scan_now")
    assert task_of(handler, sign["id"])["reminded_at"] is None

    clock(shanghai(2026, 12, 10, 9))
    rpc.call("routing", "scan_now")
    [reminded] = routing_events.wait("task.reminded", task_id=sign["id"])
    assert reminded["data"]["document_id"] == doc["id"]
    assert reminded["data"]["unit_id"] == office.units["电子政务处"]
    seen = task_of(handler, sign["id"])
    assert at(seen["reminded_at"]) == shanghai(2026, 12, 10, 9) and seen["overdue"] is False
    assert ok(registrar.get(f"/documents/{doc['id']}"))["overdue"] is False

    clock(shanghai(2026, 12, 11, 9))  # the morning after the deadline
    rpc.call("routing", "scan_now")
    rpc.call("routing", "scan_now")
    [overdue] = routing_events.wait("task.overdue", task_id=sign["id"])
    data = overdue["data"]
    assert at(data["overdue_at"]) == at(data["due_at"]) == shanghai(2026, 12, 11)
    assert data["document_id"] == doc["id"] and data["unit_id"] == office.units["电子政务处"]
    assert data["assignee_id"] is None  # still pooled to the division: nobody signed
    seen = task_of(handler, sign["id"])
    assert seen["overdue"] is True and at(seen["overdue_at"]) == shanghai(2026, 12, 11)
    [listed] = [t for t in ok(handler.get("/tasks/todo"))["items"] if t["id"] == sign["id"]]
    assert listed["overdue"] is True
    # the red flag on the document, in every list
    eventually(lambda: ok(registrar.get(f"/documents/{doc['id']}"))["overdue"] is True)

    # signed late: no second mark, no second reminder
    act(handler, sign["id"], action="sign")
    rpc.call("routing", "scan_now")
    time.sleep(0.5)
    assert len(routing_events.of("task.overdue", task_id=sign["id"])) == 1
    assert len(routing_events.of("task.reminded", task_id=sign["id"])) == 1


def _consumers(stack: Stack, queue: str) -> int:
    with Connection(stack.env["AMQP_URI"]) as conn:
        _, _, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(consumers)


def test_two_scanners_at_once_remind_and_mark_each_task_once(
    overdue_office: Office,
    clock: SetClock,
    rpc: SyncRpc,
    routing_events: RoutingEvents,
    stack: Stack,
):
    office = overdue_office
    stack.start_service("routing", instance=1)
    try:
        eventually(lambda: _consumers(stack, "rpc-routing") >= 2, timeout=60)
        clock(shanghai(2026, 12, 14, 10))  # Monday: due at the end of Thu 17 Dec
        tasks = []
        for i in range(12):
            _, opened = new_document(office, f"并发扫描测试{i}", "综合处", "电子政务处")
            tasks.extend(opened)
        ids = {t["id"] for t in tasks}
        assert len(ids) == 24

        def scan_concurrently(callers: int = 8) -> list[dict[str, Any]]:
            results: list[dict[str, Any]] = []
            errors: list[BaseException] = []

            def one() -> None:
                try:
                    results.append(rpc.call("routing", "scan_now", timeout=30))
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=one) for _ in range(callers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not errors, errors
            return results

        def mine(event_type: str) -> list[dict[str, Any]]:
            return [e for e in routing_events.of(event_type) if e["data"]["task_id"] in ids]

        clock(shanghai(2026, 12, 17, 9, 30))  # reminders due, deadlines not yet
        passes = scan_concurrently()
        assert len({p["instance"] for p in passes}) == 2  # both instances scanned
        eventually(lambda: {e["data"]["task_id"] for e in mine("task.reminded")} == ids)
        clock(shanghai(2026, 12, 18, 9))  # past every deadline
        scan_concurrently()
        eventually(lambda: {e["data"]["task_id"] for e in mine("task.overdue")} == ids)
        time.sleep(1.0)  # anything duplicated would have arrived by now
        reminded, overdue = mine("task.reminded"), mine("task.overdue")
        assert sorted(e["data"]["task_id"] for e in reminded) == sorted(ids)
        assert sorted(e["data"]["task_id"] for e in overdue) == sorted(ids)
        assert {at(e["data"]["overdue_at"]) for e in overdue} == {shanghai(2026, 12, 18)}
    finally:
        stack.stop_process("routing-1")


def test_routing_stopped_over_a_deadline_marks_the_task_overdue_at_the_deadline(
    overdue_office: Office,
    clock: SetClock,
    rpc: SyncRpc,
    routing_events: RoutingEvents,
    stack: Stack,
    settings: Settings,
):
    office = overdue_office
    clock(shanghai(2026, 12, 21, 15))  # Monday: due at the end of Thu 24 Dec
    doc, [sign] = new_document(office, "关于停机期间超期的测试通知", "综合处")
    assert at(sign["due_at"]) == shanghai(2026, 12, 25)

    stack.stop_process("routing")
    # time passes while routing is down: the clock goes to two days after the deadline
    engine = create_engine(settings.admin_database_url(settings.database_name("routing")))
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE test_clock SET now = :now WHERE id = 1"),
                {"now": shanghai(2026, 12, 27, 11)},
            )
    finally:
        engine.dispose()
    stack.start_service("routing")
    eventually(lambda: rpc.call("routing", "health", timeout=2)["status"] == "ok", timeout=60)

    # nobody calls scan_now: the timer's first pass at start-up catches up
    [overdue] = routing_events.wait("task.overdue", task_id=sign["id"])
    assert at(overdue["data"]["overdue_at"]) == shanghai(2026, 12, 25)  # not the restart time
    seen = task_of(office["zh_ban"], sign["id"])
    assert seen["overdue"] is True and at(seen["overdue_at"]) == shanghai(2026, 12, 25)
    eventually(lambda: ok(office["wenshu"].get(f"/documents/{doc['id']}"))["overdue"] is True)
