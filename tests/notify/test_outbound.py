"""E-mail and SMS of notifications through the real broker, PostgreSQL, Redis and the
loopback SMTP and SMS sinks (devstack.sinks): a 特急 to-do goes out by e-mail and SMS at
once, exactly once each, with its status per channel; an ordinary one's SMS waits and
is dropped once the notification is read; a provider failing then recovering gets the
message once; a user who switched SMS off gets none; the in-app inbox cannot be
switched off."""

from __future__ import annotations

import os
import re
import signal
import urllib.request
import uuid
from typing import Any

import pytest
from kombu import Connection

from devstack.sinks import SinkClient
from devstack.stack import Stack
from services.common.errors import InvalidInput
from tests.support.notify import Publish, about, consumed, envelope, task_data
from tests.support.people import PASSWORD, Org, Person
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

OPS = {"user_id": str(uuid.uuid4()), "roles": "ops"}


@pytest.fixture(scope="module")
def sink(stack: Stack) -> SinkClient:
    assert stack.sink_url, "the notify test stack runs the loopback sinks"
    client = SinkClient(stack.sink_url, timeout=5)
    client.clear()
    return client


def reachable(org: Org, rpc: SyncRpc, unit_id: str) -> Person:
    """A handler with an e-mail address and a mobile number."""
    username = f"m{uuid.uuid4().hex[:10]}"
    user = rpc.call(
        "identity",
        "create_user",
        context=org.admin,
        user={
            "username": username,
            "full_name": "陈承办",
            "password": PASSWORD,
            "org_unit_id": unit_id,
            "roles": ["handler"],
            "email": f"{username}@example.gov.cn",
            "phone": "13800138000",
        },
    )
    return Person(user["id"], org.tenant_id, unit_id, ("handler",), username)


def messages_of(rpc: SyncRpc, person: Person) -> list[dict[str, Any]]:
    page = rpc.call("notify", "message_status", context=OPS, query={"user_id": person.id})
    return list(page["items"])


def to(sink: SinkClient, address: str, channel: str) -> list[dict[str, Any]]:
    return [m for m in sink.messages(channel) if address in m["to"]]


def todo(org: Org, rpc: SyncRpc, publish: Publish, person: Person, urgency: str) -> dict[str, Any]:
    data = task_data(
        unit_id=person.unit_id, assignee=person, step="propose", step_name="拟办", urgency=urgency
    )
    publish(envelope("task.created", org, data, actor=org.registrar), caller=org.registrar)
    return data


def test_an_extra_urgent_todo_goes_out_by_email_and_sms_at_once_exactly_once(
    rpc: SyncRpc, org: Org, publish: Publish, sink: SinkClient, stack: Stack
):
    person = reachable(org, rpc, org.division().id)
    data = todo(org, rpc, publish, person, "extra_urgent")
    [note] = eventually(lambda: about(rpc, person, data["task_id"]), what="the to-do")
    mails = eventually(lambda: to(sink, f"{person.name}@", "email"), what="the e-mail")
    texts = eventually(lambda: to(sink, "13800138000", "sms"), what="the text")
    assert len(mails) == 1 and mails[0]["subject"] == note["title"]
    assert note["body"] in mails[0]["text"]
    assert [t["text"] for t in texts if note["title"] in t["text"]]
    statuses = eventually(
        lambda: (m := messages_of(rpc, person)) and all(x["status"] == "sent" for x in m) and m,
        what="both sent",
    )
    assert sorted((m["channel"], m["status"], m["attempts"]) for m in statuses) == [
        ("email", "sent", 1),
        ("sms", "sent", 1),
    ]
    # the task's to-do event twice more, each under an id of its own (as a re-emitted
    # event would come): once notify has taken both, nobody has been told twice, by any
    # channel
    copies = [envelope("task.created", org, data, actor=org.registrar) for _ in range(2)]
    for event in copies:
        publish(event, caller=org.registrar)
    eventually(
        lambda: all(consumed(stack, "notify.on_task_created", e["id"]) for e in copies),
        what="notify to take both",
    )
    assert len(about(rpc, person, data["task_id"])) == 1
    assert len(messages_of(rpc, person)) == 2
    assert len(to(sink, f"{person.name}@", "email")) == 1


def test_an_ordinary_todo_is_texted_only_while_unread(
    rpc: SyncRpc, org: Org, publish: Publish, sink: SinkClient
):
    reader, idler = (reachable(org, rpc, org.division().id) for _ in range(2))
    read_task = todo(org, rpc, publish, reader, "normal")
    idle_task = todo(org, rpc, publish, idler, "normal")
    [note] = eventually(lambda: about(rpc, reader, read_task["task_id"]))
    eventually(lambda: about(rpc, idler, idle_task["task_id"]))
    eventually(lambda: len(messages_of(rpc, reader)) == 2 and len(messages_of(rpc, idler)) == 2)
    waiting = {m["channel"]: m["status"] for m in messages_of(rpc, reader)}
    assert waiting["sms"] == "scheduled"  # e-mail at once, the text only if still unread
    rpc.call("notify", "mark_read", context=reader.ctx(), notification_id=note["id"])
    rpc.call("notify", "release_now", context=OPS)
    eventually(
        lambda: {m["channel"]: m["status"] for m in messages_of(rpc, idler)}
        == {"email": "sent", "sms": "sent"},
        what="the idler's text",
    )
    assert {m["channel"]: m["status"] for m in messages_of(rpc, reader)} == {
        "email": "sent",
        "sms": "dropped",
    }


def test_a_provider_failing_then_recovering_delivers_once(
    rpc: SyncRpc, org: Org, publish: Publish, sink: SinkClient
):
    person = reachable(org, rpc, org.division().id)
    rpc.call(
        "notify",
        "set_my_preferences",
        context=person.ctx(),
        preferences={"kinds": {"todo": ["in_app", "sms"]}},
    )
    sink.control(fail=2, status=503)
    todo(org, rpc, publish, person, "extra_urgent")
    waiting = eventually(
        lambda: [m for m in messages_of(rpc, person) if m["status"] == "scheduled"],
        what="the text waiting after the provider failed",
    )
    assert "503" in (waiting[0]["last_error"] or "")

    def sent() -> list[dict[str, Any]]:
        rpc.call("notify", "release_now", context=OPS)  # the release pass of every instance
        return [m for m in messages_of(rpc, person) if m["status"] == "sent"]

    [sms] = eventually(sent, timeout=40, interval=0.5, what="the text after the provider recovered")
    assert sms["channel"] == "sms" and sms["attempts"] == 3
    assert len(messages_of(rpc, person)) == 1  # no e-mail: switched off for to-dos
    assert len(to(sink, "13800138000", "sms")) >= 1
    assert [m for m in sink.messages("sms") if m.get("message_key") == sms["id"]]


def test_the_inbox_cannot_be_switched_off(rpc: SyncRpc, org: Org):
    person = reachable(org, rpc, org.division().id)
    with pytest.raises(InvalidInput) as err:
        rpc.call(
            "notify",
            "set_my_preferences",
            context=person.ctx(),
            preferences={"kinds": {"urge": ["sms"]}},
        )
    assert err.value.code == "in_app_required"
    mine = rpc.call("notify", "my_preferences", context=person.ctx())
    assert mine["kinds"]["urge"] == ["email", "in_app", "sms"]


def test_notify_metrics_show_sends_by_channel_and_outcome_and_queue_lag(
    rpc: SyncRpc, org: Org, publish: Publish, sink: SinkClient, stack: Stack
):
    person = reachable(org, rpc, org.division().id)
    todo(org, rpc, publish, person, "extra_urgent")
    eventually(
        lambda: (m := messages_of(rpc, person)) and all(x["status"] == "sent" for x in m),
        what="both sent",
    )
    port = stack.metrics_ports["notify"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()

    def value(pattern: str) -> float:
        found = re.search(pattern, text, re.M)
        assert found is not None, pattern
        return float(found.group(1))

    assert value(r'^gongwen_notify_sends_total\{channel="email",outcome="sent"\} (\S+)$') >= 1
    assert value(r'^gongwen_notify_sends_total\{channel="sms",outcome="sent"\} (\S+)$') >= 1
    assert value(r'^gongwen_notify_send_seconds_count\{channel="sms"\} (\S+)$') >= 1
    lag = r'^gongwen_notify_queue_lag_seconds_count\{event_type="message.sms_queued"\} (\S+)$'
    assert value(lag) >= 1
    assert 'gongwen_notify_sends_total{channel="sms",outcome="retry"}' in text


def _consumers(stack: Stack, queue: str) -> int:
    with Connection(stack.env["AMQP_URI"]) as conn:
        _, _, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(consumers)


def test_a_burst_over_two_instances_one_killed_mid_burst_reaches_everyone_once_per_channel(
    rpc: SyncRpc, org: Org, publish: Publish, sink: SinkClient, stack: Stack
):
    """40 特急 to-dos (80 messages) over two notify instances with the provider answering
    slowly; one instance is killed with SIGKILL in the middle and started again: every
    message is sent, and the provider holds each exactly once (the idempotency key)."""
    people = [reachable(org, rpc, org.division().id) for _ in range(4)]
    sink.control(delay_ms=50)
    stack.start_service("notify", instance=1)
    try:
        queue = "evt-notify-message.sms_queued--notify.on_sms_queued"
        eventually(lambda: _consumers(stack, queue) >= 2, timeout=60, what="two consumers")
        for i in range(40):
            todo(org, rpc, publish, people[i % 4], "extra_urgent")
        eventually(lambda: sink.stats()["sms"] >= 10, timeout=30, what="the burst under way")
        proc = stack.processes["notify-1"]
        os.killpg(proc.pid, signal.SIGKILL)  # mid-burst, no goodbye
        proc.wait(10)
        stack.processes.pop("notify-1")
        stack.start_service("notify", instance=1)

        def all_sent() -> list[dict[str, Any]] | None:
            rows = [m for p in people for m in messages_of(rpc, p)]
            return rows if len(rows) == 80 and all(m["status"] == "sent" for m in rows) else None

        rows = eventually(all_sent, timeout=90, what="every message sent")
    finally:
        sink.control(delay_ms=0)
        stack.stop_process("notify-1")
    texts = [m for m in sink.messages("sms") if m.get("message_key")]
    keys = [m["message_key"] for m in texts]
    sms_ids = {m["id"] for m in rows if m["channel"] == "sms"}
    assert sms_ids <= set(keys) and len(keys) == len(set(keys))  # each once at the provider
    mail_ids = [m["message_id"] for m in sink.messages("email") if m.get("message_id")]
    for row in rows:
        if row["channel"] == "email":
            assert sum(1 for mid in mail_ids if mid.startswith(f"<{row['id']}@")) == 1
