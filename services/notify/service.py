"""nameko entrypoints of the notify service: the in-app inbox (站内通知) fed by routing's
task events — a new to-do (待办), an urge (催办), a returned document (退回), a deadline
approaching (到期提醒), an overdue task (超期提醒) — and the RPC methods a user reads
their inbox with. SMS, e-mail and notices with receipts (回执) come later.

Every notify instance consumes from the same queue per event (nameko's default
for a service), so each event is handled by one instance at a time; a handler
that fails puts the event back on the queue (``requeue_on_error``) and the
handling is idempotent (:mod:`services.notify.inbox`).
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import rpc
from prometheus_client import Counter
from sqlalchemy.orm import Session

from services.common.consumers import consumer
from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession, scope_session
from services.common.errors import EXPECTED_ERRORS, InvalidInput
from services.common.events import EventEnvelope
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id
from services.common.observability import Observability
from services.notify import inbox
from services.notify.remote import DirectoryFor, IdentityAsNotify
from services.notify.schemas import NotificationKind, NotificationQuery
from services.routing import events as routing_events

log = logging.getLogger(__name__)

JSON = dict[str, Any]

NOTIFICATIONS_CREATED = Counter(
    "gongwen_notifications_created_total",
    "Notifications put in users' in-app inboxes (站内通知), by kind.",
    ["kind"],
)
for _kind in NotificationKind:  # every kind is exported from the start, at 0
    NOTIFICATIONS_CREATED.labels(_kind.value)

#: seconds to wait before an event that could not be applied goes back on the queue
#: (so that an outage of identity or of the database is not a busy loop)
RETRY_PAUSE = 1.0


class NotifyService(CommonEntrypoints):
    name = "notify"

    db: Session = DatabaseSession("notify")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    directory_for: DirectoryFor = IdentityAsNotify()  # type: ignore[assignment]

    # -- routing's task events ------------------------------------------------------------------

    def _notify(self, handler: str, envelope: EventEnvelope) -> None:
        kind = inbox.KIND_OF_EVENT[envelope.type]
        if envelope.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {envelope.id} has no tenant")
        scope_session(self.db, tenant_id=envelope.tenant_id)
        directory = self.directory_for(envelope.tenant_id, envelope.request_id)
        # identity away or a database error: retried with backoff, then parked; identity
        # refusing (a typed error): parked at once (services.common.consumers)
        created = inbox.on_task_event(self.db, directory, f"notify.{handler}", kind, envelope)
        if created:
            NOTIFICATIONS_CREATED.labels(kind.value).inc(created)

    @consumer("routing", routing_events.TaskCreated)
    def on_task_created(self, envelope: EventEnvelope) -> None:
        """A new to-do (待办) for its holder."""
        self._notify("on_task_created", envelope)

    @consumer("routing", routing_events.TaskUrged)
    def on_task_urged(self, envelope: EventEnvelope) -> None:
        """An urge (催办), at once, to the holder of the task."""
        self._notify("on_task_urged", envelope)

    @consumer("routing", routing_events.TaskReturned)
    def on_task_returned(self, envelope: EventEnvelope) -> None:
        """A returned document (退回) to whom it went back to."""
        self._notify("on_task_returned", envelope)

    @consumer("routing", routing_events.TaskReminded)
    def on_task_reminded(self, envelope: EventEnvelope) -> None:
        """A deadline approaching (到期提醒)."""
        self._notify("on_task_reminded", envelope)

    @consumer("routing", routing_events.TaskOverdue)
    def on_task_overdue(self, envelope: EventEnvelope) -> None:
        """A deadline passed (超期提醒)."""
        self._notify("on_task_overdue", envelope)

    # -- my inbox ----------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notifications(self, query: Any = None) -> JSON:
        """My notifications (通知), newest first, with my unread count."""
        q = parse(NotificationQuery, query)
        return inbox.list_notifications(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, notification_id: Any) -> JSON:
        nid = parse_id(notification_id, "notification_id")
        return inbox.mark_read(self.db, self.ctx, nid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_all_read(self) -> JSON:
        return inbox.mark_all_read(self.db, self.ctx).model_dump(mode="json")


SERVICE = NotifyService
