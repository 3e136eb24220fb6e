"""nameko entrypoints of the notify service: the in-app inbox (站内通知) fed by routing's
task events — a new to-do (待办), an urge (催办), a returned document (退回), a deadline
approaching (到期提醒), an overdue task (超期提醒) — and the RPC methods a user reads
their inbox with; the e-mails and texts of those notifications (one queue per channel,
see :mod:`services.notify.outbound`), each user's channel preferences, and notices
with receipts (通知 + 回执, :mod:`services.notify.notices`).

Every notify instance consumes from the same queue per event (nameko's default
for a service), so each event is handled by one instance at a time; a handler
that fails puts the event back on the queue (``requeue_on_error``) and the
handling is idempotent (:mod:`services.notify.inbox`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from services.common.consumers import consumer
from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession, scope_session
from services.common.errors import EXPECTED_ERRORS, InvalidInput
from services.common.events import EventEnvelope
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id, parse_instant
from services.common.observability import Observability
from services.common.ops import require_ops
from services.common.settings import get_settings
from services.common.vocabulary import utcnow
from services.documents import events as documents_events
from services.notify import clock, inbox, notices, outbound
from services.notify import events as notify_events
from services.notify.providers import ChannelsProvider
from services.notify.remote import DirectoryFor, IdentityAsNotify
from services.notify.schemas import (
    MessageQuery,
    NoticeCreate,
    NoticeFileIn,
    NoticeQuery,
    NoticeReceiptQuery,
    NotificationKind,
    NotificationQuery,
    PreferencesIn,
    RemindIn,
    ReplyIn,
)
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

QUEUE_LAG = Histogram(
    "gongwen_notify_queue_lag_seconds",
    "From an event's announcement to notify taking it from its queue, by queue (event type).",
    ["event_type"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)


def _lag(envelope: EventEnvelope) -> None:
    QUEUE_LAG.labels(envelope.type).observe(
        max(0.0, (utcnow() - envelope.occurred_at).total_seconds())
    )


#: seconds to wait before an event that could not be applied goes back on the queue
#: (so that an outage of identity or of the database is not a busy loop)
RETRY_PAUSE = 1.0


class NotifyService(CommonEntrypoints):
    name = "notify"

    db: Session = DatabaseSession("notify")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    directory_for: DirectoryFor = IdentityAsNotify()  # type: ignore[assignment]
    channels: outbound.Channels = ChannelsProvider()  # type: ignore[assignment]

    # -- routing's task events ------------------------------------------------------------------

    def _notify(self, handler: str, envelope: EventEnvelope) -> None:
        _lag(envelope)
        kind = inbox.KIND_OF_EVENT[envelope.type]
        if envelope.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {envelope.id} has no tenant")
        scope_session(self.db, tenant_id=envelope.tenant_id)
        directory = self.directory_for(envelope.tenant_id, envelope.request_id)
        # identity away or a database error: retried with backoff, then parked; identity
        # refusing (a typed error): parked at once (services.common.consumers)
        told: list[uuid.UUID] = []
        created = inbox.on_task_event(
            self.db,
            directory,
            f"notify.{handler}",
            kind,
            envelope,
            policy=self.channels.policy,
            notified_users=told,
        )
        self.channels.poke(told)
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

    @consumer("documents", documents_events.InboxItemUrged)
    def on_inbox_item_urged(self, envelope: EventEnvelope) -> None:
        """催签: an urge, at once, to the registrars who may sign for the document in the
        recipient registry's 收文箱 (the event is in the recipient's tenant)."""
        _lag(envelope)
        if envelope.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {envelope.id} has no tenant")
        scope_session(self.db, tenant_id=envelope.tenant_id)
        told: list[uuid.UUID] = []
        created = inbox.on_inbox_urged(
            self.db,
            self.directory_for(envelope.tenant_id, envelope.request_id),
            "notify.on_inbox_item_urged",
            envelope,
            policy=self.channels.policy,
            notified_users=told,
        )
        self.channels.poke(told)
        if created:
            NOTIFICATIONS_CREATED.labels(NotificationKind.urge.value).inc(created)

    # -- e-mail and SMS: one queue per channel, every instance competing ---------------------------

    def _send(self, envelope: EventEnvelope) -> None:
        _lag(envelope)
        if envelope.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {envelope.id} has no tenant")
        outbound.send_message(
            self.db,
            envelope.tenant_id,
            uuid.UUID(str(envelope.data["message_id"])),
            self.channels.sender,
            wait_for_token=self.channels.take_token,
            now=utcnow,
        )

    @consumer("notify", notify_events.EmailQueued)
    def on_email_queued(self, envelope: EventEnvelope) -> None:
        """Send an e-mail (SMTP); a transient failure is retried, then parked."""
        self._send(envelope)

    @consumer("notify", notify_events.SmsQueued)
    def on_sms_queued(self, envelope: EventEnvelope) -> None:
        """Send a text (the SMS provider); a transient failure is retried, then parked."""
        self._send(envelope)

    @timer(interval=get_settings().notify_release_interval)
    def release_timer(self) -> None:
        """Scheduled messages whose time came: queued, dropped (read by then) or held
        back (quiet hours). Instances share the rows (SKIP LOCKED)."""
        try:
            at = clock.now(self.db)
            self.db.rollback()
            outbound.release_due(self.db, self.channels.policy, at)
        except Exception:
            self.db.rollback()
            log.exception("releasing scheduled messages failed; the next pass tries again")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def release_now(self) -> JSON:
        """Run a release pass at once (tests and operators), at notify's clock."""
        at = clock.now(self.db)
        self.db.rollback()
        return {"released": outbound.release_due(self.db, self.channels.policy, at)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_test_clock(self, now: Any = None) -> JSON:
        """Freeze notify's clock at ``now`` (None: real time). Test stacks only."""
        instant = parse_instant(now, "now") if now is not None else None
        return {"now": clock.set_test_instant(self.db, instant).isoformat()}

    # -- notices with receipts (通知 + 回执) ---------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_notice(self, notice: Any) -> JSON:
        req = parse(NoticeCreate, notice)
        out = notices.create_notice(
            self.db,
            self.ctx,
            self.directory_for,
            req,
            default_sms_minutes=get_settings().notify_notice_unread_minutes,
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def send_notice(self, notice_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        out, told = notices.send_notice(
            self.db, self.ctx, self.directory_for, nid, self.channels.policy
        )
        self.channels.poke(told)
        NOTIFICATIONS_CREATED.labels(NotificationKind.notice.value).inc(len(told))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notices(self, query: Any = None) -> JSON:
        q = parse(NoticeQuery, query or {})
        return notices.list_notices(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_notice(self, notice_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        return notices.get_notice(self.db, self.ctx, nid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_notice(self, notice_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        return {"object_keys": notices.delete_notice(self.db, self.ctx, nid)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def read_notice(self, notice_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        out, changed = notices.read_notice(self.db, self.ctx, nid)
        if changed:
            self.channels.poke([self.ctx.require_user()])
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reply_notice(self, notice_id: Any, reply: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        req = parse(ReplyIn, reply)
        return notices.reply_notice(self.db, self.ctx, nid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def notice_receipts(self, notice_id: Any, query: Any = None) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        q = parse(NoticeReceiptQuery, query or {})
        return notices.receipts(self.db, self.ctx, nid, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remind_notice(self, notice_id: Any, remind: Any = None) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        req = parse(RemindIn, remind or {})
        out, told = notices.remind(
            self.db, self.ctx, self.directory_for, nid, req, self.channels.policy
        )
        self.channels.poke(told)
        NOTIFICATIONS_CREATED.labels(NotificationKind.notice_reminder.value).inc(len(told))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_notice_upload(self, notice_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        notices.check_upload(self.db, self.ctx, nid)
        return {"ok": True}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_notice_files(self, notice_id: Any, files: Any) -> list[JSON]:
        nid = parse_id(notice_id, "notice_id")
        if not isinstance(files, list) or not files:
            raise InvalidInput("no_files", "no files to attach")
        parsed = [parse(NoticeFileIn, f) for f in files]
        return [
            a.model_dump(mode="json") for a in notices.add_files(self.db, self.ctx, nid, parsed)
        ]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def notice_file(self, notice_id: Any, file_id: Any) -> JSON:
        nid = parse_id(notice_id, "notice_id")
        fid = parse_id(file_id, "file_id")
        return notices.file_download(self.db, self.ctx, nid, fid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_preferences(self) -> JSON:
        user_id, tenant_id = self.ctx.require_user(), self.ctx.require_tenant()
        prefs = outbound.preferences_of(self.db, tenant_id, [user_id])[user_id]
        return {
            "kinds": {
                kind.value: sorted(c.value for c in prefs.wants(kind.value))
                for kind in NotificationKind
            }
        }

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_my_preferences(self, preferences: Any) -> JSON:
        user_id, tenant_id = self.ctx.require_user(), self.ctx.require_tenant()
        choices = parse(PreferencesIn, preferences)
        outbound.set_preferences(
            self.db, tenant_id, user_id, {k.value: v for k, v in choices.kinds.items()}, utcnow()
        )
        return self.my_preferences()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def message_status(self, query: Any = None) -> JSON:
        """Outbound messages with their status per channel (ops)."""
        require_ops(self.ctx)
        q = parse(MessageQuery, query or {})
        return outbound.messages_page(self.db, q).model_dump(mode="json")

    # -- my inbox ----------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notifications(self, query: Any = None) -> JSON:
        """My notifications (通知), newest first, with my unread count."""
        q = parse(NotificationQuery, query)
        return inbox.list_notifications(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, notification_id: Any) -> JSON:
        nid = parse_id(notification_id, "notification_id")
        out = inbox.mark_read(self.db, self.ctx, nid).model_dump(mode="json")
        self.channels.poke([self.ctx.require_user()])
        return out

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_all_read(self) -> JSON:
        out = inbox.mark_all_read(self.db, self.ctx).model_dump(mode="json")
        self.channels.poke([self.ctx.require_user()])
        return out

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def notifications_since(self, after: Any = None, limit: Any = 100) -> JSON:
        """My notifications after a stream position, oldest first (the live stream);
        ``after`` None: only the position now."""
        position = None if after is None else _whole(after, "after", 0, 2**62)
        count = _whole(limit, "limit", 1, 500)
        return inbox.since(self.db, self.ctx, position, count).model_dump(mode="json")


def _whole(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_input", f"{name} must be a whole number") from None
    if isinstance(value, bool) or not low <= number <= high:
        raise InvalidInput("invalid_input", f"{name} must be from {low} to {high}")
    return number


SERVICE = NotifyService
