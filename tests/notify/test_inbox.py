"""notify's in-app inbox fed by routing's task events, through RabbitMQ and PostgreSQL.

Routing-shaped events are published to ``routing.events``; the right users get
exactly one notification each — also when the event is delivered twice, when two
notify instances consume at once, and when identity is away for a while (the event
is retried) — and a pooled task reaches every holder of its division and nobody else.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.request
import uuid

import pytest
from kombu import Connection
from sqlalchemy import create_engine, text

from devstack.stack import Stack
from services.common.errors import NotFound
from services.routing.events import TaskOverdue
from tests.support.notify import Publish, about, envelope, inbox, settle, task_data
from tests.support.people import Org
from tests.support.stacks import SyncRpc, settings_for
from tests.support.waiting import eventually


def recipients_of(rpc: SyncRpc, people: list, task_id: str, kind: str) -> dict[str, int]:
    """How many notifications of ``kind`` about the task each person has (those with any)."""
    counts = {}
    for person in people:
        mine = [n for n in about(rpc, person, task_id) if n["kind"] == kind]
        if mine:
            counts[person.id] = len(mine)
    return counts


def test_a_new_task_of_one_person_notifies_that_person_once(
    rpc: SyncRpc, org: Org, publish: Publish
):
    division = org.division()
    data = task_data(
        unit_id=division.id, assignee=division.handler, step="propose", step_name="拟办"
    )
    publish(envelope("task.created", org, data, actor=org.registrar), caller=org.registrar)

    [note] = eventually(lambda: about(rpc, division.handler, data["task_id"]), what="the to-do")
    assert note["kind"] == "todo" and note["kind_label"] == "待办通知"
    assert note["title"] == "新待办：《关于加强政务数据共享的通知》"
    assert note["body"] == "「拟办」待您办理，请于2026年12月10日24:00前办结。"
    assert note["document_id"] == data["document_id"] and note["read_at"] is None
    settle()
    everyone = [division.handler, division.handler2, division.head, org.registrar]
    assert recipients_of(rpc, everyone, data["task_id"], "todo") == {division.handler.id: 1}


def test_a_pooled_task_notifies_every_holder_of_the_division_and_nobody_else(
    rpc: SyncRpc, org: Org, other_org: Org, publish: Publish
):
    division, neighbour = org.division(), org.division()
    foreign = other_org.division()
    data = task_data(unit_id=division.id, roles=["division_head", "handler"])
    publish(envelope("task.created", org, data, actor=org.registrar), caller=org.registrar)

    people = [
        division.handler,
        division.handler2,
        division.head,
        division.section_handler,  # a unit below the division: not its pool
        division.gone,  # deactivated
        neighbour.handler,
        neighbour.head,
        org.registrar,
    ]
    eventually(
        lambda: set(recipients_of(rpc, people, data["task_id"], "todo")) == division.holders,
        what="every holder of the division",
    )
    settle()
    assert recipients_of(rpc, people, data["task_id"], "todo") == dict.fromkeys(division.holders, 1)
    # another tenant's people see nothing of it
    assert recipients_of(rpc, [foreign.handler, foreign.head], data["task_id"], "todo") == {}

    # a step of the division heads only: the head alone
    review = task_data(unit_id=division.id, roles=["division_head"], step_name="处室审核")
    publish(envelope("task.created", org, review), caller=org.registrar)
    eventually(lambda: about(rpc, division.head, review["task_id"]), what="the head's to-do")
    settle()
    assert recipients_of(rpc, people, review["task_id"], "todo") == {division.head.id: 1}


def test_an_event_delivered_twice_notifies_once(rpc: SyncRpc, org: Org, publish: Publish):
    division = org.division()
    data = task_data(unit_id=division.id)
    event = envelope("task.created", org, data)
    publish(event)
    publish(event)  # the relay published it again (at-least-once)
    eventually(
        lambda: set(recipients_of(rpc, [division.handler, division.head], data["task_id"], "todo"))
        == {division.handler.id, division.head.id},
        what="the to-dos",
    )
    publish(event)  # and once more, long after
    settle(1.5)
    holders = [division.handler, division.handler2, division.head]
    assert recipients_of(rpc, holders, data["task_id"], "todo") == dict.fromkeys(
        division.holders, 1
    )


def _consumers(stack: Stack, queue: str) -> int:
    with Connection(stack.env["AMQP_URI"]) as conn:
        _, _, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(consumers)


def test_two_notify_instances_share_the_queue_and_notify_each_holder_once(
    rpc: SyncRpc, org: Org, publish: Publish, stack: Stack
):
    division = org.division()
    stack.start_service("notify", instance=1)
    try:
        queue = "evt-routing-task.created--notify.on_task_created"
        eventually(lambda: _consumers(stack, queue) >= 2, timeout=60, what="two consumers")
        events = [envelope("task.created", org, task_data(unit_id=division.id)) for _ in range(30)]
        for event in events:
            publish(event)
        for event in events:  # every one delivered twice
            publish(event)
        task_ids = {e["data"]["task_id"] for e in events}

        def counts() -> dict[str, dict[str, int]]:
            out: dict[str, dict[str, int]] = {}
            for person in (division.handler, division.handler2, division.head):
                out[person.id] = {}
                for note in inbox(rpc, person)["items"]:
                    if note["task_id"] in task_ids:
                        out[person.id][note["task_id"]] = out[person.id].get(note["task_id"], 0) + 1
            return out

        eventually(
            lambda: all(len(mine) == 30 for mine in counts().values()),
            timeout=30,
            what="30 to-dos for each holder",
        )
        settle(1.5)
        final = counts()
        assert all(mine == dict.fromkeys(task_ids, 1) for mine in final.values()), final

        # returns, each announced as a pair (and the pair's events delivered twice), all
        # at once over both instances: each is one notification of the return
        pairs = [_a_return(org, division, created_first=i % 2 == 0) for i in range(20)]
        for pair in pairs:
            for event in (*pair, *pair):
                publish(event, caller=division.head)
        opened = {
            e["data"]["task_id"] for pair in pairs for e in pair if e["type"] == "task.created"
        }

        def returns() -> list[tuple[str, str]]:
            return [
                (n["task_id"], n["kind"])
                for n in inbox(rpc, division.handler)["items"]
                if n["task_id"] in opened
            ]

        eventually(lambda: len(returns()) >= 20, timeout=30, what="20 returns")
        settle(1.5)
        assert sorted(returns()) == sorted((t, "returned") for t in opened)
    finally:
        stack.stop_process("notify-1")


def test_the_scanners_reminder_and_overdue_notice_reach_the_holder(
    rpc: SyncRpc, org: Org, publish: Publish
):
    division = org.division()
    created = task_data(unit_id=division.id, urgency="urgent", title="关于报送年度工作总结的通知")
    publish(envelope("task.created", org, created), caller=org.registrar)
    # the scanner's events carry no caller's context (no headers, no actor)
    reminded = {
        key: created[key]
        for key in ("task_id", "document_id", "instance_id", "step", "step_name", "unit_id")
    } | {
        "assignee_id": None,
        "roles": created["roles"],
        "due_at": created["due_at"],
        "remind_at": "2026-12-10T01:00:00+00:00",
        "reminded_at": "2026-12-10T01:00:00+00:00",
        "title": created["title"],
        "urgency": "urgent",
    }
    publish(envelope("task.reminded", org, reminded))
    holders = [division.handler, division.handler2, division.head]
    eventually(
        lambda: set(recipients_of(rpc, holders, created["task_id"], "reminder"))
        == division.holders,
        what="the reminders",
    )
    [reminder] = [
        n for n in about(rpc, division.head, created["task_id"]) if n["kind"] == "reminder"
    ]
    assert reminder["title"] == (
        "【加急】待办提醒：《关于报送年度工作总结的通知》将于2026年12月10日24:00到期"
    )
    assert reminder["kind_label"] == "到期提醒"

    # signed by the handler meanwhile: the overdue notice goes to them alone
    overdue = {k: v for k, v in reminded.items() if k not in ("remind_at", "reminded_at")} | {
        "assignee_id": division.handler.id,
        "overdue_at": created["due_at"],
    }
    publish(envelope("task.overdue", org, overdue))
    [notice] = eventually(
        lambda: [
            n for n in about(rpc, division.handler, created["task_id"]) if n["kind"] == "overdue"
        ]
    )
    assert notice["title"] == "【加急】超期提醒：《关于报送年度工作总结的通知》已超期"
    assert "2026年12月10日24:00" in notice["body"]
    # a task closed after its deadline before any scan: marked as it is closed, by its
    # closer (the event's actor); nobody has anything left to do on it
    closed_late = task_data(unit_id=division.id, roles=["division_head", "handler"])
    closed_late = {k: v for k, v in closed_late.items() if k in TaskOverdue.fields()}
    closed_late |= {"overdue_at": closed_late["due_at"], "assignee_id": None}
    publish(envelope("task.overdue", org, closed_late, actor=division.head), caller=division.head)
    settle()
    assert recipients_of(rpc, holders, created["task_id"], "overdue") == {division.handler.id: 1}
    assert recipients_of(rpc, holders, closed_late["task_id"], "overdue") == {}
    assert recipients_of(rpc, holders, created["task_id"], "reminder") == dict.fromkeys(
        division.holders, 1
    )


def test_an_urge_and_a_return_name_the_document_and_skip_who_acted(
    rpc: SyncRpc, org: Org, publish: Publish
):
    division = org.division()
    registrar = org.registrar
    assert registrar is not None
    created = task_data(unit_id=division.id, title="关于开展安全生产检查的通知")
    # the handler who acted (e.g. returned it to the pool) is not notified of it
    publish(envelope("task.created", org, created, actor=division.handler), caller=division.handler)
    holders = [division.handler, division.handler2, division.head]
    eventually(
        lambda: set(recipients_of(rpc, holders, created["task_id"], "todo"))
        == {division.handler2.id, division.head.id},
        what="the to-dos",
    )
    # task.urged carries no title: notify knows it from task.created
    urged = {
        "urge_id": str(uuid.uuid4()),
        "task_id": created["task_id"],
        "document_id": created["document_id"],
        "unit_id": division.id,
        "assignee_id": None,
        "roles": ["handler"],
        "urged_by": registrar.id,
        "message": "请于今日内签收",
    }
    publish(envelope("task.urged", org, urged, actor=registrar), caller=registrar)
    eventually(
        lambda: set(recipients_of(rpc, holders, created["task_id"], "urge"))
        == {division.handler.id, division.handler2.id},
        what="the urges",
    )
    [urge] = [n for n in about(rpc, division.handler2, created["task_id"]) if n["kind"] == "urge"]
    assert urge["title"] == "催办：《关于开展安全生产检查的通知》"
    assert urge["body"] == "请尽快办理。催办意见：请于今日内签收"

    returned = {
        "task_id": str(uuid.uuid4()),
        "document_id": created["document_id"],
        "instance_id": created["instance_id"],
        "step": "division_review",
        "action": "return",
        "opinion": "拟办意见不明确，请补充。",
        "reason": "拟办意见不明确，请补充。",
        "actor_id": division.head.id,
        "unit_id": division.id,
        "returned_to_step": "propose",
        "returned_to_task_id": str(uuid.uuid4()),
        "returned_to_unit_id": division.id,
        "returned_to_user_id": division.handler.id,
    }
    publish(envelope("task.returned", org, returned, actor=division.head), caller=division.head)
    [back] = eventually(
        lambda: [
            n
            for n in inbox(rpc, division.handler)["items"]
            if n["kind"] == "returned" and n["document_id"] == created["document_id"]
        ],
        what="the return",
    )
    assert back["title"] == "退回：《关于开展安全生产检查的通知》已退回给您"
    assert back["body"] == "退回理由：拟办意见不明确，请补充。"
    assert back["task_id"] == returned["returned_to_task_id"]  # the task they now hold


def _a_return(org: Org, division, *, created_first: bool) -> tuple[dict, dict]:
    """The pair routing announces for a return from the division head to the handler:
    ``task.created`` of the task it opens and ``task.returned``."""
    opened = task_data(
        unit_id=division.id, assignee=division.handler, step="propose", step_name="拟办"
    )
    returned = {
        "task_id": str(uuid.uuid4()),
        "document_id": opened["document_id"],
        "instance_id": opened["instance_id"],
        "step": "division_review",
        "action": "return",
        "opinion": "请补充依据。",
        "reason": "请补充依据。",
        "actor_id": division.head.id,
        "unit_id": division.id,
        "returned_to_step": "propose",
        "returned_to_task_id": opened["task_id"],
        "returned_to_unit_id": division.id,
        "returned_to_user_id": division.handler.id,
        "completed_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    events = [
        envelope("task.created", org, opened, actor=division.head),
        envelope("task.returned", org, returned, actor=division.head),
    ]
    return (events[0], events[1]) if created_first else (events[1], events[0])


@pytest.mark.parametrize("created_first", [True, False], ids=["created-first", "returned-first"])
def test_a_return_is_one_notification_of_the_return_not_a_todo_as_well(
    rpc: SyncRpc, org: Org, publish: Publish, created_first: bool
):
    division = org.division()
    first, second = _a_return(org, division, created_first=created_first)
    task_id = (first if created_first else second)["data"]["task_id"]
    publish(first, caller=division.head)
    if created_first:  # the to-do is there before the return arrives
        eventually(lambda: about(rpc, division.handler, task_id), what="the first notification")
    publish(second, caller=division.head)
    publish(second, caller=division.head)  # and delivered twice

    def kinds() -> list[str]:
        return [n["kind"] for n in about(rpc, division.handler, task_id)]

    eventually(lambda: kinds() == ["returned"], what="the return alone")
    settle()
    [note] = about(rpc, division.handler, task_id)
    assert note["kind"] == "returned" and note["read_at"] is None
    assert note["body"] == "退回理由：请补充依据。"
    assert about(rpc, division.head, task_id) == []  # who returned it is not told


def test_an_event_is_retried_while_identity_is_away(
    rpc: SyncRpc, org: Org, publish: Publish, stack: Stack
):
    division = org.division()
    data = task_data(unit_id=division.id)
    stack.stop_process("identity")
    try:
        publish(envelope("task.created", org, data))
        # longer than notify waits for identity: the first attempt fails and is requeued
        settle(float(stack.env["RPC_TIMEOUT"]) + 2)
        assert about(rpc, division.head, data["task_id"]) == []
    finally:
        stack.start_service("identity")
    # the event went back on the queue and is applied once identity answers again
    eventually(
        lambda: set(
            recipients_of(
                rpc, [division.handler, division.handler2, division.head], data["task_id"], "todo"
            )
        )
        == division.holders,
        timeout=60,
        what="the to-dos after identity is back",
    )
    settle()
    assert recipients_of(rpc, [division.head], data["task_id"], "todo") == {division.head.id: 1}


def test_a_malformed_event_is_dropped_and_blocks_nothing(rpc: SyncRpc, org: Org, publish: Publish):
    division = org.division()
    publish({"id": "not-an-event", "type": "task.created"})
    no_tenant = envelope("task.created", org, task_data(unit_id=division.id))
    no_tenant["tenant_id"] = None
    publish(no_tenant)
    data = task_data(unit_id=division.id, assignee=division.head)
    publish(envelope("task.created", org, data))
    eventually(lambda: about(rpc, division.head, data["task_id"]), what="the next event")
    assert about(rpc, division.head, no_tenant["data"]["task_id"]) == []


def test_reading_my_inbox_and_the_unread_count(rpc: SyncRpc, org: Org, publish: Publish):
    division = org.division()
    me, other = division.head, division.handler
    tasks = [task_data(unit_id=division.id, assignee=me) for _ in range(3)]
    for data in tasks:
        publish(envelope("task.created", org, data))
    eventually(lambda: inbox(rpc, me)["total"] == 3, what="three to-dos")
    page = inbox(rpc, me, limit=2)
    assert page["unread_count"] == 3 and page["total"] == 3 and len(page["items"]) == 2
    newest = page["items"][0]

    read = rpc.call("notify", "mark_read", context=me.ctx(), notification_id=newest["id"])
    assert read["read_at"] is not None
    again = rpc.call("notify", "mark_read", context=me.ctx(), notification_id=newest["id"])
    assert again["read_at"] == read["read_at"]  # the first reading stays
    unread = inbox(rpc, me, unread_only=True)
    assert unread["unread_count"] == 2 and unread["total"] == 2
    assert newest["id"] not in {n["id"] for n in unread["items"]}

    with pytest.raises(NotFound) as refused:  # somebody else's notification
        rpc.call("notify", "mark_read", context=other.ctx(), notification_id=newest["id"])
    assert refused.value.code == "notification_not_found"

    done = rpc.call("notify", "mark_all_read", context=me.ctx())
    assert done == {"marked": 2, "unread_count": 0}
    assert inbox(rpc, me)["unread_count"] == 0


def test_notifications_are_counted_by_kind(rpc: SyncRpc, org: Org, publish: Publish, stack: Stack):
    division = org.division()
    data = task_data(unit_id=division.id, assignee=division.handler)
    publish(envelope("task.created", org, data))
    eventually(lambda: about(rpc, division.handler, data["task_id"]), what="the to-do")
    port = stack.metrics_ports["notify"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    todo = re.search(r'^gongwen_notifications_created_total\{kind="todo"\} (\S+)$', text, re.M)
    assert todo is not None and float(todo.group(1)) >= 1
    assert 'gongwen_notifications_created_total{kind="overdue"}' in text


def test_the_inbox_tables_are_isolated_per_tenant_by_the_database(
    rpc: SyncRpc, org: Org, other_org: Org, publish: Publish, stack: Stack
):
    """Row-level security: the app role sees no notification without a tenant setting,
    and only its tenant's with one."""
    division = org.division()
    data = task_data(unit_id=division.id, assignee=division.head)
    publish(envelope("task.created", org, data))
    eventually(lambda: about(rpc, division.head, data["task_id"]), what="the to-do")
    engine = create_engine(settings_for(stack.env).app_database_url("notify"))
    count = text("SELECT count(*) FROM notifications WHERE task_id = :t")
    titles = text("SELECT count(*) FROM document_titles WHERE document_id = :d")
    scope = text("SELECT set_config('app.tenant_id', :tid, true)")
    try:
        with engine.begin() as conn:
            assert conn.execute(count, {"t": data["task_id"]}).scalar_one() == 0
            assert conn.execute(titles, {"d": data["document_id"]}).scalar_one() == 0
        with engine.begin() as conn:
            conn.execute(scope, {"tid": other_org.tenant_id})
            assert conn.execute(count, {"t": data["task_id"]}).scalar_one() == 0
        with engine.begin() as conn:
            conn.execute(scope, {"tid": org.tenant_id})
            assert conn.execute(count, {"t": data["task_id"]}).scalar_one() == 1
            assert conn.execute(titles, {"d": data["document_id"]}).scalar_one() == 1
    finally:
        engine.dispose()
