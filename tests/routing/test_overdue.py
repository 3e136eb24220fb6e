"""Reminders and overdue marks in routing, with real identity and documents and routing's
test clock (never sleeping for a deadline): the reminder on the morning of the last
working day, the overdue mark at the deadline (once), a task finished late before any
scan marked at completion, the calendar's refusals, and the test clock itself."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope
from services.common.vocabulary import SHANGHAI
from services.routing import queries, scanner
from services.routing.schemas import DEFAULT_INCOMING
from services.routing.templates import DEFAULT_TEMPLATE_ID
from tests.support.people import Org
from tests.support.routing import EventLog, act, distribute, register
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

PLATFORM = {"user_id": "00000000-0000-0000-0000-0000000000aa", "roles": "platform_admin"}

SetClock = Callable[[dt.datetime], None]


def shanghai(
    y: int, m: int, d: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, second, tzinfo=SHANGHAI)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture()
def clock(rpc: SyncRpc) -> Iterator[SetClock]:
    """Set routing's clock; back to real time after the test."""

    def set_clock(instant: dt.datetime) -> None:
        out = rpc.call("routing", "set_test_clock", now=instant.isoformat())
        assert out["frozen"] is True
        assert dt.datetime.fromisoformat(out["now"]) == instant

    yield set_clock
    rpc.call("routing", "set_test_clock", now=None)


def test_a_task_is_reminded_on_its_last_morning_then_marked_overdue_once(
    rpc: SyncRpc, org: Org, clock: SetClock, events: EventLog, routing_db: Engine
):
    division = org.division()
    clock(shanghai(2026, 12, 7, 10))  # a Monday
    document_id = register(rpc, org, "关于超期提醒的测试通知")
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    # Tue, Wed, Thu: due at the end of Thu 10 Dec; reminded at 09:00 that day
    assert dt.datetime.fromisoformat(sign["due_at"]) == shanghai(2026, 12, 11)
    assert dt.datetime.fromisoformat(sign["remind_at"]) == shanghai(2026, 12, 10, 9)
    assert sign["created_at"].startswith("2026-12-07T02:00:00")

    clock(shanghai(2026, 12, 10, 8, 59))
    rpc.call("routing", "scan_now")
    task = rpc.call("routing", "get_task", context=division.handler.ctx(), task_id=sign["id"])
    assert task["reminded_at"] is None and task["overdue"] is False

    clock(shanghai(2026, 12, 10, 9))
    rpc.call("routing", "scan_now")
    [reminded] = events.wait(document_id, "task.reminded")
    # the envelope PostgreSQL built reads as every other event, with what notify shows
    envelope = EventEnvelope.model_validate(reminded)
    assert envelope.source == "routing" and envelope.tenant_id == uuid.UUID(org.tenant_id)
    assert envelope.actor_id is None and envelope.occurred_at.tzinfo is not None
    assert reminded["data"]["task_id"] == sign["id"]
    assert reminded["data"]["title"] == "关于超期提醒的测试通知"
    assert reminded["data"]["step"] == sign["step"] and reminded["data"]["step_name"]
    assert reminded["data"]["roles"] and all(isinstance(r, str) for r in reminded["data"]["roles"])
    assert reminded["data"]["urgency"] == "normal"
    assert at(reminded["data"]["remind_at"]) == at(reminded["data"]["reminded_at"])
    assert at(reminded["data"]["reminded_at"]) == shanghai(2026, 12, 10, 9)
    assert reminded["data"]["unit_id"] == division.id and reminded["data"]["assignee_id"] is None
    task = rpc.call("routing", "get_task", context=division.handler.ctx(), task_id=sign["id"])
    assert dt.datetime.fromisoformat(task["reminded_at"]) == shanghai(2026, 12, 10, 9)
    assert task["overdue"] is False

    clock(shanghai(2026, 12, 11, 0, 0, 0))  # the very deadline: not yet past it
    rpc.call("routing", "scan_now")
    assert events.of(document_id, "task.overdue") == []

    clock(shanghai(2026, 12, 11, 8))
    rpc.call("routing", "scan_now")
    rpc.call("routing", "scan_now")
    [overdue] = events.wait(document_id, "task.overdue")
    assert at(overdue["data"]["overdue_at"]) == at(overdue["data"]["due_at"]) == at(sign["due_at"])
    assert overdue["data"]["unit_id"] == division.id and overdue["data"]["assignee_id"] is None
    assert overdue["data"]["instance_id"] == sign["instance_id"]
    assert overdue["data"]["title"] == "关于超期提醒的测试通知"
    assert EventEnvelope.model_validate(overdue).id != EventEnvelope.model_validate(reminded).id
    task = rpc.call("routing", "get_task", context=division.handler.ctx(), task_id=sign["id"])
    assert task["overdue"] is True and at(task["overdue_at"]) == at(sign["due_at"])
    # the document gets its red flag from the event
    eventually(
        lambda: rpc.call(
            "documents", "get_document", context=org.registrar.ctx(), document_id=document_id
        )["overdue"],
        what="the document's red flag",
    )

    # signing it late changes nothing more: no second mark, no second reminder
    act(rpc, division.handler, sign["id"], action="sign")
    rpc.call("routing", "scan_now")
    assert len(events.of(document_id, "task.overdue")) == 1
    assert len(events.of(document_id, "task.reminded")) == 1
    with routing_db.connect() as conn:
        row = conn.execute(
            text("SELECT overdue_at, overdue_unit_id, overdue_user_id FROM tasks WHERE id = :id"),
            {"id": sign["id"]},
        ).one()
    assert row.overdue_at == shanghai(2026, 12, 11) and str(row.overdue_unit_id) == division.id
    assert row.overdue_user_id is None  # pooled to the division when it became overdue

    # the pass's batch is one outbox row the relay expanded; expanded again (a relay that
    # crashed after publishing sends it twice) it gives the very same event, same id
    with Session(routing_db) as session:
        batch = session.execute(
            text(
                "SELECT id, envelope FROM outbox WHERE event_type = 'task.overdue'"
                " AND envelope -> 'task_ids' ? :task"
            ),
            {"task": sign["id"]},
        ).one()
        assert batch.envelope["expand"] == scanner.EXPANDER
        again = scanner.expand_task_events(session, batch.id, batch.envelope)
    [same] = [e for e in again if e["data"]["task_id"] == sign["id"]]
    assert same["id"] == overdue["id"] and same["data"] == overdue["data"]


def test_a_task_finished_late_before_any_scan_is_marked_when_it_is_finished(
    rpc: SyncRpc, org: Org, clock: SetClock, events: EventLog
):
    division = org.division()
    clock(shanghai(2026, 12, 14, 9))  # Monday
    document_id = register(rpc, org, "关于迟办的测试通知")
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    assert dt.datetime.fromisoformat(propose["due_at"]) == shanghai(2026, 12, 18)
    clock(shanghai(2026, 12, 21, 10))  # the next Monday; no scan in between
    done = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")
    assert done["task"]["overdue"] is True
    assert at(done["task"]["overdue_at"]) == at(propose["due_at"])
    [overdue] = events.wait(document_id, "task.overdue")
    assert overdue["data"]["task_id"] == propose["id"]
    assert overdue["data"]["assignee_id"] == division.handler.id  # it was the handler's
    assert at(overdue["data"]["overdue_at"]) == at(propose["due_at"])
    rpc.call("routing", "scan_now")
    assert len(events.of(document_id, "task.overdue")) == 1


def test_calendar_refusals_write_nothing(rpc: SyncRpc, org: Org, routing_db: Engine):
    def years() -> list[tuple[int, str]]:
        with routing_db.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(text("SELECT year, published_at FROM calendar_years"))
            ]

    before = years()
    for schedule, code in [
        ({"holidays": ["2027-01-01", "2028-01-01"]}, "date_outside_year"),
        ({"holidays": ["2027-02-14"], "workdays": ["2027-02-14"]}, "day_both_holiday_and_workday"),
        ({"workdays": ["2027-02-15"]}, "workday_not_weekend"),
    ]:
        with pytest.raises(InvalidInput) as err:
            rpc.call("routing", "publish_year", context=PLATFORM, year=2027, schedule=schedule)
        assert err.value.code == code
    with pytest.raises(Forbidden) as denied:
        rpc.call("routing", "publish_year", context=org.admin, year=2027, schedule={})
    assert denied.value.code == "platform_admin_required"
    assert years() == before

    with pytest.raises(NotFound) as err:
        rpc.call(
            "routing",
            "add_override",
            context=org.admin,
            override={
                "tenant_id": PLATFORM["user_id"],
                "date": "2026-12-09",
                "kind": "day_off",
                "note": "x",
            },
        )
    assert err.value.code == "tenant_not_found"
    with routing_db.connect() as conn:
        written = conn.execute(
            text("SELECT count(*) FROM calendar_overrides WHERE tenant_id IN (:a, :b)"),
            {"a": org.tenant_id, "b": PLATFORM["user_id"]},
        ).scalar_one()
    assert written == 0


def test_the_test_clock_reads_back_and_resets(rpc: SyncRpc, clock: SetClock):
    clock(shanghai(2030, 1, 2, 3, 4, 5))
    out = rpc.call("routing", "get_clock")
    assert out["frozen"] is True and dt.datetime.fromisoformat(out["now"]) == shanghai(
        2030, 1, 2, 3, 4, 5
    )
    rpc.call("routing", "set_test_clock", now=None)
    out = rpc.call("routing", "get_clock")
    assert out["frozen"] is False
    assert abs(dt.datetime.fromisoformat(out["now"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(
        minutes=1
    )


def test_the_platform_default_is_the_platform_administrators_to_change(
    rpc: SyncRpc, org: Org, routing_db: Engine
):
    def patch(
        context: dict[str, str], days: object, step: str = "division_review"
    ) -> dict[str, Any]:
        result: dict[str, Any] = rpc.call(
            "routing",
            "set_step_time_limit",
            context=context,
            template_id=str(DEFAULT_TEMPLATE_ID),
            step_key=step,
            limit={"time_limit_days": days},
        )
        return result

    with pytest.raises(Forbidden) as err:
        patch(org.admin, 4)
    assert err.value.code == "not_template_owner"
    for bad in (0, -3, 366, True):
        with pytest.raises(InvalidInput) as invalid:
            patch(PLATFORM, bad)
        assert invalid.value.code == "bad_time_limit"
    with pytest.raises(NotFound):
        patch(PLATFORM, 4, step="nowhere")
    v2 = patch(PLATFORM, 4)
    try:
        assert (v2["tenant_id"], v2["version"], v2["code"]) == (None, 2, "incoming-default")
        limits = {s["key"]: s["time_limit_days"] for s in v2["steps"]}
        assert limits == {
            **{s.key: s.time_limit_days for s in DEFAULT_INCOMING.steps},
            "division_review": 4,
        }
        with pytest.raises(Conflict):  # version 1 is not the latest any more
            patch(PLATFORM, 5)
    finally:  # the other tests of this stack expect the default at version 1
        with routing_db.begin() as conn:
            conn.execute(text("DELETE FROM templates WHERE id = :id"), {"id": v2["id"]})


def test_the_scanner_reads_its_partial_indexes_not_every_open_task(routing_db: Engine):
    """The claims can be answered from the partial indexes of open, unmarked tasks (the
    planner may still prefer a sequential scan on a table this small, hence enable_seqscan)."""
    now = dt.datetime.now(dt.UTC)
    with routing_db.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        for statement, index in (
            (queries.CLAIM_OVERDUE, "ix_tasks_overdue_scan"),
            (queries.CLAIM_REMINDERS, "ix_tasks_reminder_scan"),
        ):
            params = {"now": now, "batch": 500}
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {statement.text}"), params))
            assert f"Index Scan using {index} on tasks" in plan, plan
        conn.rollback()
