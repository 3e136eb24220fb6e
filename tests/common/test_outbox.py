"""The transactional outbox and its relay, against the real database and broker.

A change and its event are committed together; the relay publishes the event
once the service is running, also when the process died between commit and
publish, and two instances of a service never publish one row twice.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from devstack.stack import Stack
from services.common.context import CallContext
from services.common.contracts import EventCatalog, EventData
from services.common.events import (
    _OUTBOX,
    consume_once,
    defer,
    emit,
    prune_processed,
    prune_published,
)
from services.common.settings import get_settings


@pytest.fixture(scope="module")
def ledger_db(stack_env: dict[str, str]) -> Iterator[Engine]:
    settings = get_settings()
    engine = create_engine(settings.admin_database_url(settings.database_name("ledger")))
    yield engine
    engine.dispose()


@pytest.fixture()
def listener(stack: Stack) -> Iterator[tuple[Queue, str]]:
    """A queue bound to the ledger service's event exchange for one new event type."""
    event_type = f"test.{uuid.uuid4().hex[:8]}"
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("ledger.events", type="topic", durable=True)
        queue = Queue(f"tests-{event_type}", exchange, routing_key=event_type, exclusive=True)(
            conn.default_channel
        )
        queue.declare()
        yield queue, event_type


def _drain(queue: Queue, expected: int, timeout: float = 15.0) -> list[dict]:
    """Collect messages until ``expected`` arrived and half a second passed with no more."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            if len(got) >= expected:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.5:
                    return got
            time.sleep(0.05)
            continue
        quiet_since = None
        got.append(json.loads(message.body))
    return got


def probes(event_type: str) -> EventCatalog:
    """The ledger service "declares" a probe event of this type, for these tests."""

    class Probe(EventData):
        n: int

    Probe.event_type = event_type
    return EventCatalog("ledger", [Probe])


def _record(engine: Engine, event_type: str, n: int = 1) -> list[str]:
    ids = []
    with Session(engine) as session, session.begin():
        for i in range(n):
            env = emit(
                session,
                probes(event_type),
                event_type,
                {"n": i},
                ctx=CallContext(request_id="req-outbox-test"),
            )
            ids.append(str(env.id))
    return ids


def test_event_committed_with_a_change_is_published_once(stack, ledger_db, listener):
    queue, event_type = listener
    [event_id] = _record(ledger_db, event_type)
    got = _drain(queue, expected=1)
    assert [m["id"] for m in got] == [event_id]
    assert got[0]["type"] == event_type and got[0]["source"] == "ledger"
    assert got[0]["request_id"] == "req-outbox-test"
    with ledger_db.connect() as conn:
        published = conn.execute(
            select(_OUTBOX.c.published_at).where(_OUTBOX.c.id == uuid.UUID(event_id))
        ).scalar_one()
    assert published is not None


def test_rolled_back_change_announces_nothing(stack, ledger_db, listener):
    queue, event_type = listener
    with Session(ledger_db) as session:
        session.begin()
        emit(session, probes(event_type), event_type, {"n": 1}, ctx=CallContext())
        session.rollback()
    assert _drain(queue, expected=0, timeout=2.5) == []
    with ledger_db.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM outbox WHERE event_type = :t"), {"t": event_type}
        ).scalar_one()
    assert count == 0


def test_event_written_while_service_was_down_is_published_when_it_is_back(
    stack, ledger_db, listener
):
    queue, event_type = listener
    stack.stop_process("ledger")
    try:
        ids = _record(ledger_db, event_type, n=3)
        assert _drain(queue, expected=0, timeout=1.5) == []
    finally:
        stack.start_service("ledger")
    got = _drain(queue, expected=3, timeout=30)
    assert sorted(m["id"] for m in got) == sorted(ids)


def test_two_instances_publish_each_event_exactly_once(stack, ledger_db, listener):
    queue, event_type = listener
    stack.start_service("ledger", instance=1)
    try:
        time.sleep(3)  # let the second instance's relay start
        ids = _record(ledger_db, event_type, n=200)
        got = _drain(queue, expected=200, timeout=30)
    finally:
        stack.stop_process("ledger-1")
    received = [m["id"] for m in got]
    assert len(received) == 200
    assert set(received) == set(ids)


def test_consumer_applies_a_redelivered_event_once(ledger_db):
    envelope = {"id": str(uuid.uuid4())}
    with Session(ledger_db) as session, session.begin():
        first = consume_once(session, "tests.handler", envelope)
    with Session(ledger_db) as session, session.begin():
        second = consume_once(session, "tests.handler", envelope)
    assert (first, second) == (True, False)


def test_a_row_the_service_cannot_build_does_not_hold_up_the_others(ledger_db, listener):
    """A deferred row naming an expander the service does not have stays unpublished
    (logged) while the events after it are published."""
    queue, event_type = listener
    with Session(ledger_db) as session, session.begin():
        stuck = defer(session, event_type, "no.such.expander", {"task_ids": ["x"]})
    [later] = _record(ledger_db, event_type)
    got = _drain(queue, expected=1, timeout=15)
    assert [m["id"] for m in got] == [later]
    with Session(ledger_db) as session:
        published = session.scalar(select(_OUTBOX.c.published_at).where(_OUTBOX.c.id == stuck))
        assert published is None
    with Session(ledger_db) as session, session.begin():  # leave nothing for later tests
        session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == stuck))


def test_published_events_are_pruned_after_the_retention_unpublished_ones_never(ledger_db):
    event_type = f"test.prune.{uuid.uuid4().hex[:8]}"
    ages = {
        "published 8 days ago": (8, 8),
        "published yesterday": (2, 1),
        "never published": (30, None),
    }
    ids = {}
    with Session(ledger_db) as session, session.begin():
        for name, (created, published) in ages.items():
            ids[name] = uuid.uuid4()
            session.execute(
                text(
                    "INSERT INTO outbox (id, event_type, envelope, created_at, published_at)"
                    " VALUES (:id, :type, '{}', now() - make_interval(days => :created),"
                    " now() - make_interval(days => :published))"
                ),
                {"id": ids[name], "type": event_type, "created": created, "published": published},
            )
        # (the relay may publish the unpublished one meanwhile: it is recent then, kept too)
    factory = sessionmaker(ledger_db)
    prune_published(factory, dt.timedelta(days=7))
    with Session(ledger_db) as session:
        left = set(session.scalars(select(_OUTBOX.c.id).where(_OUTBOX.c.event_type == event_type)))
    assert left == {ids["published yesterday"], ids["never published"]}
    with Session(ledger_db) as session, session.begin():
        session.execute(delete(_OUTBOX).where(_OUTBOX.c.event_type == event_type))


def _set_aside(engine: Engine, row_id: str) -> Any:
    with Session(engine) as session:
        return session.execute(
            select(_OUTBOX.c.attempts, _OUTBOX.c.last_error, _OUTBOX.c.set_aside_at).where(
                _OUTBOX.c.id == uuid.UUID(row_id)
            )
        ).first()


def test_a_row_the_broker_cannot_take_is_set_aside_and_later_rows_still_go_out(
    stack, rpc, ledger_db, listener
):
    """A row whose message cannot be sent (a header the AMQP encoder refuses) is tried
    3 times, set aside with its error, listed and counted for operators; the events
    after it are published; replayed once repaired, it goes out."""
    queue, event_type = listener
    with Session(ledger_db) as session, session.begin():
        [poison] = [
            str(
                emit(
                    session,
                    probes(event_type),
                    event_type,
                    {"n": 0},
                    ctx=CallContext(request_id="req-poison"),
                ).id
            )
        ]
        session.execute(
            text("UPDATE outbox SET headers = '{\"big\": 1180591620717411303424}' WHERE id = :id"),
            {"id": poison},
        )
    later = _record(ledger_db, event_type, n=2)
    got = _drain(queue, expected=2, timeout=20)
    assert [m["id"] for m in got] == later
    row = eventually_row(lambda: _set_aside(ledger_db, poison), lambda r: r.set_aside_at)
    assert row.attempts == 3 and "int too large" in row.last_error

    ops = {"roles": "ops"}
    listed = rpc.call("ledger", "ops_set_aside", context=ops, query={"event_type": event_type})
    assert [r["id"] for r in listed] == [poison] and listed[0]["attempts"] == 3
    metrics = httpx.get(f"http://127.0.0.1:{stack.metrics_ports['ledger']}/metrics").text
    assert f'gongwen_outbox_set_aside{{event_type="{event_type}",service="ledger"}} 1.0' in metrics

    with Session(ledger_db) as session, session.begin():  # the operator repairs the row
        session.execute(text("UPDATE outbox SET headers = '{}' WHERE id = :id"), {"id": poison})
    out = rpc.call("ledger", "ops_replay_set_aside", context=ops, selection={"ids": [poison]})
    assert out["replayed"] == 1
    assert [m["id"] for m in _drain(queue, expected=1, timeout=15)] == [poison]


def eventually_row(fetch: Any, ready: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        row = fetch()
        if row is not None and ready(row):
            return row
        assert time.monotonic() < deadline, f"still not: {row!r}"
        time.sleep(0.2)


def test_old_processed_events_are_pruned_but_not_those_of_parked_events(ledger_db):
    old, parked_one, recent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with Session(ledger_db) as session, session.begin():
        for event_id, days in ((old, 40), (parked_one, 40), (recent, 1)):
            session.execute(
                text(
                    "INSERT INTO processed_events (handler, event_id, processed_at)"
                    " VALUES ('tests.prune', :id, now() - make_interval(days => :days))"
                ),
                {"id": event_id, "days": days},
            )
        session.execute(
            text(
                "INSERT INTO failed_events (id, consumer, queue, source, event_type, event_id,"
                " envelope, error, error_kind, first_failed_at, last_failed_at)"
                " VALUES (:id, 'tests.prune', 'q', 'x', 'x.y', :event, '{}', 'e', 'permanent',"
                " now(), now())"
            ),
            {"id": uuid.uuid4(), "event": parked_one},
        )
    prune_processed(sessionmaker(ledger_db), dt.timedelta(days=30))
    with Session(ledger_db) as session:
        left = set(
            session.scalars(
                text("SELECT event_id FROM processed_events WHERE handler = 'tests.prune'")
            )
        )
    assert left == {parked_one, recent}
    with Session(ledger_db) as session, session.begin():
        session.execute(text("DELETE FROM processed_events WHERE handler = 'tests.prune'"))
        session.execute(text("DELETE FROM failed_events WHERE consumer = 'tests.prune'"))


@pytest.fixture(scope="module")
def routing_db(stack_env: dict[str, str]) -> Iterator[Engine]:
    settings = get_settings()
    engine = create_engine(settings.admin_database_url(settings.database_name("routing")))
    yield engine
    engine.dispose()


def test_a_deferred_row_whose_expander_fails_is_set_aside_with_its_error(rpc, routing_db):
    """routing's scanner batch whose stored ids cannot be expanded (here: the event type
    is missing) is tried 3 times and set aside; routing keeps relaying."""
    with Session(routing_db) as session, session.begin():
        row_id = defer(session, "task.overdue", "routing.task_events", {"task_ids": []})
    row = eventually_row(lambda: _set_aside(routing_db, str(row_id)), lambda r: r.set_aside_at)
    assert row.attempts == 3 and "KeyError" in row.last_error
    listed = rpc.call("routing", "ops_set_aside", context={"roles": "ops"})
    assert str(row_id) in [r["id"] for r in listed]
    with Session(routing_db) as session, session.begin():
        session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == row_id))
