"""收文登记 through RabbitMQ: registration with Chinese labels, the refusal of classified
documents, who may register, and the event and trail entry that go with it."""

from __future__ import annotations

import json
import time

import pytest
from kombu import Connection, Exchange, Queue

from services.common.errors import Forbidden, InvalidInput, NotFound
from tests.support.documents import a_document, count_rows
from tests.support.identity import expect_error


@pytest.fixture()
def registered_events(stack):
    """A queue bound to the documents service's events of type document.registered."""
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("documents.events", type="topic", durable=True)
        queue = Queue(
            "tests-doc-registered", exchange, routing_key="document.registered", exclusive=True
        )(conn.default_channel)
        queue.declare()
        yield queue


def _next_message(queue, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is not None:
            return json.loads(message.body)
        time.sleep(0.05)
    raise AssertionError("no event arrived")


def test_registrar_registers_a_document_with_chinese_labels(office, registered_events):
    clerk = office.registrar
    doc = clerk.call("register_document", document=a_document(urgency="特急", secrecy="内部"))
    assert doc["title"] == "国务院办公厅关于加强政务数据共享的通知"
    assert (doc["urgency"], doc["secrecy"], doc["status"]) == (
        "extra_urgent",
        "internal",
        "registered",
    )
    assert doc["registry_unit_id"] == office.registry_id  # the clerk's registry, from the context
    assert doc["registered_by"] == clerk.id and doc["tenant_id"] == office.tenant_id
    assert doc["files"] == [] and doc["lead_unit_id"] is None

    event = _next_message(registered_events)
    assert event["type"] == "document.registered" and event["tenant_id"] == office.tenant_id
    assert event["data"] == {
        "document_id": doc["id"],
        "title": doc["title"],
        "doc_number": doc["doc_number"],
        "urgency": "extra_urgent",
        "registry_unit_id": office.registry_id,
        "registered_by": clerk.id,
        "received_date": "2026-11-20",
    }

    again = clerk.call("get_document", document_id=doc["id"])
    assert again == doc
    slip = clerk.call("get_slip", document_id=doc["id"])
    [entry] = slip["trace"]
    assert entry["action"] == "document.register" and entry["actor_id"] == clerk.id
    assert entry["detail"]["title"] == doc["title"] and entry["detail"]["secrecy"] == "internal"


@pytest.mark.parametrize("level", ["秘密", "机密", "绝密", "top_secret"])
def test_classified_documents_are_refused_and_nothing_is_written(office, pg_superuser, level):
    title = f"涉密文件{level}"
    before = count_rows(pg_superuser, "SELECT count(*) FROM audit_log")
    outbox_before = count_rows(pg_superuser, "SELECT count(*) FROM outbox")
    expect_error(
        InvalidInput,
        "classified_refused",
        office.registrar.call,
        "register_document",
        document=a_document(title=title, secrecy=level),
    )
    assert count_rows(pg_superuser, "SELECT count(*) FROM documents WHERE title = %s", title) == 0
    assert count_rows(pg_superuser, "SELECT count(*) FROM audit_log") == before
    assert count_rows(pg_superuser, "SELECT count(*) FROM outbox") == outbox_before


def test_the_database_refuses_a_classified_row_too(pg_superuser):
    import psycopg2

    with pytest.raises(psycopg2.errors.CheckViolation), pg_superuser.cursor() as cur:
        cur.execute(
            "INSERT INTO documents (id, tenant_id, title, title_search, title_grams, source_org,"
            " received_date, urgency, secrecy, page_count, status, registry_unit_id,"
            " registered_by, registered_at, updated_at) VALUES (gen_random_uuid(),"
            " gen_random_uuid(), 't', 't', ''::tsvector, 's', now(), 'normal', 'secret', 1,"
            " 'registered', gen_random_uuid(), gen_random_uuid(), now(), now())"
        )


def test_only_a_registrar_registers(office):
    for person in (office.handler_a, office.leader, office.auditor):
        expect_error(
            Forbidden, "role_required", person.call, "register_document", document=a_document()
        )


def test_invalid_registrations_are_refused(office):
    clerk = office.registrar
    expect_error(
        InvalidInput,
        "invalid_input",
        clerk.call,
        "register_document",
        document=a_document(title="   "),
    )
    expect_error(
        InvalidInput,
        "invalid_input",
        clerk.call,
        "register_document",
        document=a_document(urgency="很急"),
    )
    expect_error(
        InvalidInput,
        "invalid_input",
        clerk.call,
        "register_document",
        document={**a_document(), "registry_unit_id": office.division_a},
    )
    expect_error(InvalidInput, "invalid_id", clerk.call, "get_document", document_id="nope")


def test_a_document_of_another_tenant_is_not_found(office, other_office):
    doc = office.registrar.call("register_document", document=a_document())
    expect_error(
        NotFound,
        "document_not_found",
        other_office.registrar.call,
        "get_document",
        document_id=doc["id"],
    )
    expect_error(
        NotFound, "document_not_found", other_office.auditor.call, "get_slip", document_id=doc["id"]
    )
