"""documents' ``document.registered`` gives the registry its 分办 task once, however
often it is delivered; a distribution that overtakes the event asks documents."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from devstack.stack import Stack
from tests.support.people import Org
from tests.support.routing import distribute, register, route
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually


def _envelope(org: Org, document_id: str, **data: Any) -> dict[str, Any]:
    assert org.registrar
    return {
        "id": str(uuid.uuid4()),
        "type": "document.registered",
        "source": "documents",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "tenant_id": org.tenant_id,
        "actor_id": org.registrar.id,
        "data": {
            "document_id": document_id,
            "title": "重复投递的文件",
            "doc_number": None,
            "urgency": "urgent",
            "registry_unit_id": org.registry_id,
            "registered_by": org.registrar.id,
            "received_date": "2026-11-30",
            **data,
        },
    }


@pytest.fixture()
def publish(stack: Stack):  # type: ignore[no-untyped-def]
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("documents.events", type="topic", durable=True)
        producer = Producer(conn.default_channel, exchange=exchange)
        exchange(conn.default_channel).declare()

        def send(envelope: dict[str, Any]) -> None:
            producer.publish(envelope, routing_key="document.registered", serializer="json")

        yield send


def _settle() -> None:
    time.sleep(1.5)  # long enough for routing to have applied anything it was going to


def test_a_redelivered_registration_opens_one_distribution_task(rpc: SyncRpc, org: Org, publish):  # type: ignore[no-untyped-def]
    document_id = str(uuid.uuid4())
    envelope = _envelope(org, document_id)
    publish(envelope)
    publish(envelope)  # the same event again (at-least-once delivery)
    publish(_envelope(org, document_id))  # and a second announcement of the same document
    eventually(lambda: route(rpc, org, document_id), what="the distribution task")
    _settle()
    tasks = route(rpc, org, document_id)
    assert [(t["step"], t["status"], t["urgency"]) for t in tasks] == [
        ("registry_distribute", "open", "urgent")
    ]
    assert tasks[0]["title"] == "重复投递的文件"


def test_a_malformed_registration_is_dropped_and_later_ones_still_apply(
    rpc: SyncRpc, org: Org, publish
):  # type: ignore[no-untyped-def]
    publish(_envelope(org, "not-an-id"))
    publish({"id": "garbage"})
    document_id = str(uuid.uuid4())
    publish(_envelope(org, document_id))
    eventually(lambda: route(rpc, org, document_id), what="the distribution task")


def test_a_distribution_ahead_of_the_registration_event_asks_documents(
    rpc: SyncRpc,
    org: Org,
    routing_db: Engine,
    publish,  # type: ignore[no-untyped-def]
):
    division = org.division()
    document_id = register(rpc, org, "尚未同步的文件", "extra_urgent")
    # routing has not heard of the document yet: as if document.registered were still on its way
    with routing_db.begin() as conn:
        for table, column in (
            ("tasks", "document_id"),
            ("workflow_instances", "document_id"),
            ("document_summaries", "id"),
        ):
            conn.execute(text(f"DELETE FROM {table} WHERE {column} = :d"), {"d": document_id})

    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    assert (sign["title"], sign["urgency"]) == ("尚未同步的文件", "extra_urgent")
    # the event arriving late does not open a distribution task any more
    publish(_envelope(org, document_id, title="尚未同步的文件"))
    _settle()
    assert [(t["step"], t["status"]) for t in route(rpc, org, document_id)] == [
        ("division_sign", "open")
    ]
