"""The events documents publishes (DESIGN 10): one model per event type, declared once
here; consumers in other services import this module and validate with it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.common.contracts import EventCatalog, EventData

SOURCE = "documents"


class DocumentRegistered(EventData):
    """收文登记: routing gives the registry its 分办 task."""

    event_type = "document.registered"
    document_id: uuid.UUID
    title: str
    doc_number: str | None = None
    urgency: str
    registry_unit_id: uuid.UUID
    registered_by: uuid.UUID
    received_date: dt.date


class FileAttached(EventData):
    event_type = "document.file_attached"
    document_id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str


class DocumentCompleted(EventData):
    """办结, as the document records it (after routing's document.completed)."""

    event_type = "document.completed"
    document_id: uuid.UUID
    completed_at: dt.datetime


class DocumentArchived(EventData):
    """归档, as the document records it (after routing's document.archived)."""

    event_type = "document.archived"
    document_id: uuid.UUID
    archived_at: dt.datetime


class DocumentSent(EventData):
    """发送 through the platform to registries of this or other tenants."""

    event_type = "document.sent"
    document_id: uuid.UUID
    sent_by: uuid.UUID
    sender_unit_id: uuid.UUID
    sent_at: dt.datetime
    deliveries: list[dict[str, Any]]


class InboxItemArrived(EventData):
    """A document arrived in a registry's 收文箱 (published in the recipient's tenant)."""

    event_type = "inbox.item_arrived"
    inbox_item_id: uuid.UUID
    recipient_unit_id: uuid.UUID
    title: str
    doc_number: str | None = None
    urgency: str
    source_org: str | None = None
    sender_tenant_id: uuid.UUID
    sender_tenant_code: str
    sent_at: dt.datetime


class InboxItemSigned(EventData):
    event_type = "inbox.item_signed"
    inbox_item_id: uuid.UUID
    document_id: uuid.UUID
    signed_by: uuid.UUID
    sender_tenant_id: uuid.UUID


class InboxItemRefused(EventData):
    event_type = "inbox.item_refused"
    inbox_item_id: uuid.UUID
    refused_by: uuid.UUID
    reason: str
    sender_tenant_id: uuid.UUID
    source_document_id: uuid.UUID


class DocumentForwarded(EventData):
    """转办 / 限制转办: the holder sent the document on to other units; routing stops its
    route here (open tasks cancelled)."""

    event_type = "document.forwarded"
    document_id: uuid.UUID
    forwarded_by: uuid.UUID
    forwarded_at: dt.datetime
    restricted: bool
    deliveries: list[dict[str, Any]]


class InstructionRecorded(EventData):
    """A leader's instruction (批示) is on record with its number, if it has one yet."""

    event_type = "instruction.recorded"
    instruction_id: uuid.UUID
    document_id: uuid.UUID
    leader_id: uuid.UUID
    entered_by: uuid.UUID
    number: str | None = None
    instructed_at: dt.datetime


class InstructionNumbered(EventData):
    """A secretary numbered a 省政府领导's instruction afterwards (领导批示编号)."""

    event_type = "instruction.numbered"
    instruction_id: uuid.UUID
    document_id: uuid.UUID
    leader_id: uuid.UUID
    number: str
    numbered_by: uuid.UUID


class ScopeExtended(EventData):
    """知悉范围: people added to a leader-instruction document's scope."""

    event_type = "document.scope_extended"
    document_id: uuid.UUID
    user_ids: list[uuid.UUID]
    added_by: uuid.UUID
    added_at: dt.datetime


class OutgoingDrafted(EventData):
    """拟稿: routing opens the outgoing document's route with the drafter's task."""

    event_type = "outgoing.drafted"
    document_id: uuid.UUID
    title: str
    urgency: str
    drafting_unit_id: uuid.UUID
    drafter_id: uuid.UUID
    registry_unit_id: uuid.UUID
    drafted_at: dt.datetime


class OutgoingUpdated(EventData):
    """The draft's title or urgency changed (the lists show the new ones)."""

    event_type = "outgoing.updated"
    document_id: uuid.UUID
    title: str
    urgency: str


class OutgoingDispatched(EventData):
    """分发 (or a copy sent again to a unit that refused it): the inbox items written."""

    event_type = "outgoing.dispatched"
    document_id: uuid.UUID
    number: str | None = None
    dispatched_by: uuid.UUID | None = None
    dispatched_at: dt.datetime
    deliveries: list[dict[str, Any]]


class InboxItemUrged(EventData):
    """催签: the sender asks a recipient registry to sign for a document (recipient's tenant)."""

    event_type = "inbox.item_urged"
    inbox_item_id: uuid.UUID
    recipient_unit_id: uuid.UUID
    title: str
    doc_number: str | None = None
    urgency: str
    sender_tenant_id: uuid.UUID
    message: str | None = None
    urged_at: dt.datetime
    #: who urges and how often, for the recipient's notification (events of before lack them)
    sender_tenant_name: str | None = None
    sender_unit_name: str | None = None
    urge_count: int | None = None


EVENTS = EventCatalog(
    SOURCE,
    [
        DocumentRegistered,
        FileAttached,
        DocumentCompleted,
        DocumentArchived,
        DocumentSent,
        InboxItemArrived,
        InboxItemSigned,
        InboxItemRefused,
        DocumentForwarded,
        InstructionRecorded,
        InstructionNumbered,
        ScopeExtended,
        OutgoingDrafted,
        OutgoingUpdated,
        OutgoingDispatched,
        InboxItemUrged,
    ],
)
