"""Typed event contracts (DESIGN 10): every subscription names an event its producer
declares, with the producer's model; no consumer reads a field the producer's model
does not have; producers send only what they declare; failures are classified."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from services.common.consumers import PERMANENT, TRANSIENT, ParkingConsumer, classify, read_event
from services.common.contracts import (
    DeclaredData,
    EventCatalog,
    EventData,
    UndeclaredEvent,
    UndeclaredField,
    UnknownEventVersion,
)
from services.common.errors import InvalidInput, NotFound, ServiceTimeout, ServiceUnavailable
from services.common.events import emit
from services.common.runner import service_class
from tests.support.events import catalogs, sample

CONSUMING_SERVICES = ("identity", "documents", "routing", "notify", "ledger", "metrics")


def subscriptions() -> list[tuple[str, str, Any]]:
    """(service, method, entrypoint) of every event subscription of every service."""
    found = []
    for name in CONSUMING_SERVICES:
        cls = service_class(name)
        for attr in dir(cls):
            method = getattr(cls, attr, None)
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if hasattr(entrypoint, "event_type"):
                    found.append((name, attr, entrypoint))
    return found


def test_services_subscribe_to_events():
    assert len(subscriptions()) >= 15  # documents, routing and notify consume today


def subscription_id(value: Any) -> str:
    """A test id that is the same in every process (pytest-xdist compares them): the
    entrypoint by the event it consumes, not by its address."""
    return value if isinstance(value, str) else str(value.event_type)


@pytest.mark.parametrize("service,method,entrypoint", subscriptions(), ids=subscription_id)
def test_every_subscription_is_a_declared_event_with_the_producers_model(
    service: str, method: str, entrypoint: Any
):
    assert isinstance(entrypoint, ParkingConsumer), (
        f"{service}.{method} subscribes without services.common.consumers.consumer"
    )
    catalog = catalogs().get(entrypoint.source_service)
    assert catalog is not None, f"{entrypoint.source_service} declares no events"
    assert entrypoint.event_type in catalog, (
        f"{service}.{method}: {entrypoint.source_service} declares no {entrypoint.event_type}"
    )
    assert entrypoint.contract is catalog[entrypoint.event_type]


def test_every_declared_model_belongs_to_its_catalog():
    for source, catalog in catalogs().items():
        assert catalog.source == source
        for model in catalog:
            sample(model)  # a full event of the model validates


# -- what consumers read -------------------------------------------------------------------------


def declared(event_type: str, source: str = "routing") -> DeclaredData:
    model = catalogs()[source][event_type]
    return DeclaredData(model, sample(model))


def test_reading_an_undeclared_field_raises_and_is_a_permanent_failure():
    data = declared("task.urged")
    with pytest.raises(UndeclaredField) as raised:
        data.get("title")  # an urge carries no title
    assert "task.urged" in str(raised.value) and "title" in str(raised.value)
    with pytest.raises(UndeclaredField):
        data["returned_by"]
    assert "title" not in data and "urged_by" in data
    assert classify(raised.value) == PERMANENT


def test_the_slip_reads_only_what_routing_declares():
    from services.documents import slip

    for event_type, (at_keys, actor_keys) in slip.ACTED.items():
        fields = catalogs()["routing"][event_type].fields()
        assert set(at_keys) | set(actor_keys) <= fields, event_type
    for event_type, applier in slip.APPLIERS.items():
        fields = catalogs()["routing"][event_type].fields()
        keys: set[str] = set()
        for cell in applier.__closure__ or ():
            value = cell.cell_contents
            if isinstance(value, str) and value.endswith(("_at", "_by", "_id")):
                keys.add(value)
            elif isinstance(value, tuple):
                keys.update(v for v in value if isinstance(v, str))
        assert keys <= fields, f"{event_type} reads {sorted(keys - fields)}"
        envelope = read_event(
            catalogs()["routing"][event_type],
            {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "source": "routing",
                "occurred_at": "2026-12-01T08:00:00+00:00",
                "tenant_id": str(uuid.uuid4()),
                "data": sample(catalogs()["routing"][event_type]),
            },
        )
        slip.people_to_name(envelope)  # reads declared fields only (else UndeclaredField)


@pytest.mark.parametrize(
    "event_type", ["task.created", "task.urged", "task.returned", "task.reminded", "task.overdue"]
)
def test_notify_reads_only_what_routing_declares(event_type: str):
    from services.notify import inbox, recipients
    from services.notify.messages import TaskFacts

    data = declared(event_type)
    kind = inbox.KIND_OF_EVENT[event_type]
    facts = TaskFacts.from_event(data)
    recipients.holder(kind, data)
    assert facts.document_id is not None


def test_notify_reads_only_what_documents_declares_of_an_urge_to_sign():
    from services.notify import messages, recipients

    data = declared("inbox.item_urged", "documents")
    facts = messages.InboxUrgeFacts.from_event(data)
    assert facts.inbox_item_id is not None and facts.urge_count == 1
    assert recipients.inbox_signers(data).unit_id is not None
    messages.compose_inbox_urge(facts)


def test_documents_address_book_reads_only_what_identity_declares():
    from services.documents import delivery

    assert delivery._unit_values(declared("org_unit.created", "identity"), None) is not None  # type: ignore[arg-type]
    assert delivery._unit_values(declared("org_unit.updated", "identity"), None) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql_name,event_type", [("OVERDUE_DATA", "task.overdue"), ("REMINDER_DATA", "task.reminded")]
)
def test_the_scanners_sql_events_are_the_declared_ones(sql_name: str, event_type: str):
    from services.routing import queries

    sql = getattr(queries, sql_name) + queries._TASK_FIELDS
    keys = set(re.findall(r"'([a-z_]+)',", sql))
    model = catalogs()["routing"][event_type]
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    assert keys <= model.fields(), sorted(keys - model.fields())
    assert required <= keys, sorted(required - keys)


# -- producing -----------------------------------------------------------------------------------


class Recording:
    """Stands in for a session: records what emit writes (pure logic under test)."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self.statements: list[Any] = []

    def execute(self, statement: Any) -> None:
        self.statements.append(statement)


class Probe(EventData):
    event_type = "probe.happened"
    version = 2
    thing_id: uuid.UUID
    note: str | None = None


PROBES = EventCatalog("ledger", [Probe])


def test_emit_sends_declared_events_with_their_version():
    session = Recording()
    envelope = emit(session, PROBES, "probe.happened", {"thing_id": str(uuid.uuid4())})  # type: ignore[arg-type]
    assert envelope.version == 2 and envelope.source == "ledger" and len(session.statements) == 1


def test_emit_refuses_undeclared_events_fields_and_invalid_values():
    session = Recording()
    with pytest.raises(UndeclaredEvent):
        emit(session, PROBES, "probe.other", {})  # type: ignore[arg-type]
    with pytest.raises(UndeclaredField):
        emit(session, PROBES, "probe.happened", {"thing_id": str(uuid.uuid4()), "extra": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        emit(session, PROBES, "probe.happened", {"thing_id": "not-an-id"})  # type: ignore[arg-type]
    assert session.statements == []


def test_a_consumer_refuses_unknown_versions_and_invalid_data():
    body = {
        "id": str(uuid.uuid4()),
        "type": "probe.happened",
        "source": "ledger",
        "occurred_at": "2026-12-01T08:00:00+00:00",
        "version": 3,
        "data": {"thing_id": str(uuid.uuid4())},
    }
    with pytest.raises(UnknownEventVersion):
        read_event(Probe, body)
    with pytest.raises(ValidationError):
        read_event(Probe, {**body, "version": 2, "data": {"thing_id": "x"}})
    event = read_event(Probe, {**body, "version": 2})
    assert event.data["note"] is None and "thing_id" in event.data


# -- which failures are tried again --------------------------------------------------------------


class _Orig(Exception):
    def __init__(self, pgcode: str | None) -> None:
        super().__init__("orig")
        self.pgcode = pgcode


@pytest.mark.parametrize(
    "error,kind",
    [
        (ValidationError.from_exception_data("X", []), PERMANENT),
        (InvalidInput("invalid_event"), PERMANENT),
        (NotFound("user_not_found"), PERMANENT),
        (UnknownEventVersion("v9"), PERMANENT),
        (KeyError("document_id"), PERMANENT),
        (DataError("INSERT", {}, _Orig("22001")), PERMANENT),  # value too long
        (IntegrityError("INSERT", {}, _Orig("23505")), PERMANENT),
        (OperationalError("SELECT 1", {}, _Orig(None)), TRANSIENT),  # database away
        (IntegrityError("UPDATE", {}, _Orig("40P01")), TRANSIENT),  # deadlock
        (ServiceUnavailable("identity_unavailable"), TRANSIENT),
        (ServiceTimeout("identity_timeout"), TRANSIENT),
        (ConnectionRefusedError(), TRANSIENT),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v,
)
def test_failures_are_classified(error: BaseException, kind: str):
    assert classify(error) == kind


def test_every_event_the_code_emits_is_declared_by_its_service():
    """Each literal event type passed to emit (or to identity's trail ``event=``) in a
    service's code is in that service's catalog."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "services"
    literal = re.compile(r'(?:event=|EVENTS,\s*)"([a-z_]+\.[a-z_]+)"')
    missing = []
    for service, catalog in catalogs().items():
        for path in (root / service).glob("*.py"):
            for event_type in literal.findall(path.read_text()):
                if event_type not in catalog:
                    missing.append(f"{path.name}: {event_type}")
    assert not missing, missing
