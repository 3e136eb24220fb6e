"""催签 becomes an urge: documents' ``inbox.item_urged`` (the sender of an outgoing
document urges a recipient registry to sign for it, published in the recipient's
tenant) notifies the registrars of exactly the recipient unit — each once, also when
the event comes twice — and nobody else: not the unit's other people, not a unit
below it or beside it, not a deactivated registrar, not the sender. A 特急 one is
texted at once (an urge's channel rule), an ordinary one only if still unread later.
Events of before the sender's names and the urge count are still notified.

The events are published to ``documents.events`` by the test itself, shaped as
documents' outbox relay sends them (services.documents.outgoing.urge_receipt).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from devstack.sinks import SinkClient
from devstack.stack import Stack
from services.documents.events import InboxItemUrged
from tests.support.notify import inbox, settle
from tests.support.people import PASSWORD, Org, Person
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually

OPS = {"user_id": str(uuid.uuid4()), "roles": "ops"}


@pytest.fixture(scope="module")
def publish_documents(stack: Stack) -> Iterator[Any]:
    """Publish an envelope to ``documents.events`` with the urging registrar's context."""
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("documents.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange, serializer="json")
        exchange(conn.default_channel).declare()

        def send(event: dict[str, Any], caller: Person) -> None:
            headers = {f"nameko.{k}": v for k, v in caller.ctx().items()}
            producer.publish(
                event,
                routing_key=event["type"],
                headers=headers,
                message_id=event["id"],
                delivery_mode=2,
            )

        yield send


@pytest.fixture(scope="module")
def sink(stack: Stack) -> SinkClient:
    assert stack.sink_url, "the notify test stack runs the loopback sinks"
    return SinkClient(stack.sink_url, timeout=5)


def registrar(org: Org, rpc: SyncRpc, unit_id: str, phone: str) -> Person:
    """A registrar (文书) with an e-mail address and a mobile number."""
    username = f"r{uuid.uuid4().hex[:10]}"
    user = rpc.call(
        "identity",
        "create_user",
        context=org.admin,
        user={
            "username": username,
            "full_name": "钱文书",
            "password": PASSWORD,
            "org_unit_id": unit_id,
            "roles": ["registrar"],
            "email": f"{username}@example.gov.cn",
            "phone": phone,
        },
    )
    return Person(user["id"], org.tenant_id, unit_id, ("registrar",), username)


def urged(
    recipient: Org, sender: Org, unit_id: str, title: str, urgency: str, **data: Any
) -> dict[str, Any]:
    """``inbox.item_urged`` as documents emits it, in the recipient's tenant, by the
    sending registry's registrar."""
    payload = {
        "inbox_item_id": str(uuid.uuid4()),
        "recipient_unit_id": unit_id,
        "title": title,
        "doc_number": "测试厅发〔2026〕7号",
        "urgency": urgency,
        "sender_tenant_id": sender.tenant_id,
        "message": "请尽快签收",
        "urged_at": dt.datetime.now(dt.UTC).isoformat(),
        **data,
    }
    InboxItemUrged.check_outgoing(payload)  # what documents may send
    assert sender.registrar is not None
    return {
        "id": str(uuid.uuid4()),
        "type": "inbox.item_urged",
        "source": "documents",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "tenant_id": recipient.tenant_id,
        "actor_id": sender.registrar.id,
        "request_id": f"test-{uuid.uuid4().hex[:8]}",
        "data": payload,
    }


def told(rpc: SyncRpc, people: list[Person], title: str) -> dict[str, list[dict[str, Any]]]:
    """Each person's notifications about the document (those with any)."""
    out = {}
    for person in people:
        mine = [n for n in inbox(rpc, person)["items"] if title in n["title"]]
        if mine:
            out[person.id] = mine
    return out


def messages_of(rpc: SyncRpc, person: Person) -> list[dict[str, Any]]:
    page = rpc.call("notify", "message_status", context=OPS, query={"user_id": person.id})
    return list(page["items"])


def test_an_urge_to_sign_notifies_the_recipient_units_registrars_once_and_nobody_else(
    rpc: SyncRpc, org: Org, other_org: Org, publish_documents: Any, sink: SinkClient
):
    registry = org.unit(f"收文处{uuid.uuid4().hex[:6]}")
    first, second = registrar(org, rpc, registry, "13900139001"), org.person(registry, "registrar")
    gone = org.person(registry, "registrar")
    rpc.call("identity", "deactivate_user", context=org.admin, user_id=gone.id)
    section = org.unit(f"科{uuid.uuid4().hex[:6]}", "section", registry)
    neighbour = org.unit(f"机关事务局{uuid.uuid4().hex[:6]}", "unit")
    others = [
        org.person(registry, "handler"),  # of the unit, but signs for nothing
        org.person(registry, "division_head"),
        org.person(section, "registrar"),  # a unit below it: not its 收文箱
        org.person(neighbour, "registrar"),  # another registry of the tenant
        gone,
        org.registrar,
        org.office_leader,
        other_org.registrar,  # the sender
    ]
    assert org.registrar is not None and org.office_leader is not None
    assert other_org.registrar is not None
    title = f"关于报送政务数据质量检查情况的通知{uuid.uuid4().hex[:6]}"
    event = urged(
        org,
        other_org,
        registry,
        title,
        "extra_urgent",
        sender_tenant_name="通知测试厅",
        sender_unit_name="文书处",
        urge_count=2,
    )
    publish_documents(event, caller=other_org.registrar)
    publish_documents(event, caller=other_org.registrar)  # the relay sent it again

    signers = [first, second]
    eventually(
        lambda: set(told(rpc, signers, title)) == {first.id, second.id},
        what="both registrars of the recipient unit",
    )
    publish_documents(event, caller=other_org.registrar)  # and once more, later
    settle(1.5)
    notes = told(rpc, signers + others, title)
    assert {person: len(mine) for person, mine in notes.items()} == {first.id: 1, second.id: 1}
    [note] = notes[first.id]
    assert note["kind"] == "urge" and note["kind_label"] == "催办通知"
    assert note["title"] == f"【特急】催收：《{title}》"
    assert note["body"] == (
        "「通知测试厅 · 文书处」第2次催请签收（测试厅发〔2026〕7号），请到收文箱及时签收。"
        "催签意见：请尽快签收"
    )
    # about no task, and no document of the recipient's yet (it is not signed for)
    assert (note["task_id"], note["document_id"], note["read_at"]) == (None, None, None)

    # 特急: the text goes out at once (quiet hours or not), exactly once
    texts = eventually(
        lambda: [m for m in sink.messages("sms") if "13900139001" in m["to"]],
        what="the registrar's text",
    )
    assert len(texts) == 1 and title in texts[0]["text"]
    sms = [m for m in messages_of(rpc, first) if m["channel"] == "sms"]
    assert [(m["status"], m["attempts"]) for m in sms] == [("sent", 1)]


def test_an_ordinary_urge_is_texted_only_if_unread_and_an_older_event_still_notifies(
    rpc: SyncRpc, org: Org, other_org: Org, publish_documents: Any
):
    registry = org.unit(f"收文处{uuid.uuid4().hex[:6]}")
    person = registrar(org, rpc, registry, "13900139002")
    assert other_org.registrar is not None
    title = f"关于召开年度公文工作会议的通知{uuid.uuid4().hex[:6]}"
    # an event of before the sender's names and the urge count were carried
    event = urged(org, other_org, registry, title, "normal", message=None)
    publish_documents(event, caller=other_org.registrar)

    [note] = eventually(lambda: told(rpc, [person], title).get(person.id), what="the urge")
    assert note["title"] == f"催收：《{title}》"
    assert note["body"] == "来文单位催请签收（测试厅发〔2026〕7号），请到收文箱及时签收。"
    channels = eventually(
        lambda: (m := {x["channel"]: x["status"] for x in messages_of(rpc, person)})
        and len(m) == 2
        and m,
        what="its e-mail and text",
    )
    # not 特急: the text waits for the notification to stay unread (a release pass)
    assert channels["sms"] == "scheduled"
