"""The events notify publishes to itself (DESIGN 10): a message ready for its channel.
One event type per channel, so that each channel has its own queue — the competing
consumers of every notify instance share it, and operations scale notify on its depth."""

from __future__ import annotations

import uuid

from services.common.contracts import EventCatalog, EventData

SOURCE = "notify"


class _Queued(EventData):
    message_id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID


class EmailQueued(_Queued):
    """An e-mail to send (``outbound_messages`` has it)."""

    event_type = "message.email_queued"


class SmsQueued(_Queued):
    """A text message to send (``outbound_messages`` has it)."""

    event_type = "message.sms_queued"


EVENTS = EventCatalog(SOURCE, [EmailQueued, SmsQueued])
