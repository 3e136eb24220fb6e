"""E-mail and SMS for notifications (DESIGN 5): which messages a notification becomes,
when a scheduled one is released, and sending one — exactly once per person and channel
as far as notify can tell, and with an idempotency key the provider can use beyond that.

* **Planning** (in the transaction that writes the notifications): the channel rules
  (:mod:`services.notify.channel_rules`) give, per recipient, an e-mail and/or an SMS,
  at once or later; each is an ``outbound_messages`` row, unique per notification and
  channel. A message due at once is announced on its channel's queue
  (``message.email_queued`` / ``message.sms_queued``) through the outbox, in the same
  transaction: nothing is lost between the two.
* **Releasing** (a timer of every notify instance; rows claimed with ``SKIP LOCKED``):
  a scheduled message whose time came is dropped when its notification was read by
  then (an SMS sent only if unread), waits when it falls in quiet hours, or is queued.
* **Sending** (the channel queue's consumer; every instance competes for the queue):
  the row is locked; one already sent, failed or dropped is skipped (a redelivered or
  replayed event sends nothing twice); otherwise it is marked ``sending`` and its
  attempt counted, the provider's rate limit awaited (a token bucket in Redis shared
  by every instance), and the message handed over with the row's id as its key
  (``Message-ID`` of an e-mail, ``message_key`` of a text). A provider's refusal for
  good marks the row ``failed`` with the reason; a transient failure (the provider
  away, throttling, a timeout) schedules it again with exponential backoff and jitter
  (2 s, 4 s, … at most 10 minutes; :data:`MAX_SEND_ATTEMPTS` tries, about half an hour),
  so that messages wait out an outage and go when the provider is back; after the last
  try the row is ``queued`` again and :class:`ServiceUnavailable` raised, so that the
  kernel's consumer parks the event in ``failed_events`` for an operator to replay
  (``python -m services.common.ops replay notify …``).

A notify instance killed between handing a message over and recording it leaves the
row ``sending`` and the event unacknowledged: the broker gives the event to another
instance, which sends again with the same key — a provider that honours the key (the
loopback sinks do) delivers it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import Counter, Histogram
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.db import scope_session
from services.common.errors import ServiceUnavailable
from services.common.events import emit
from services.notify.channel_rules import (
    Channel,
    Preferences,
    QuietHours,
    Recipient,
    check_preference,
    plan,
)
from services.notify.channels import ChannelError
from services.notify.events import EVENTS
from services.notify.models import Notification, OutboundMessage, Preference
from services.notify.schemas import MessageOut, MessagePage, MessageQuery

log = logging.getLogger(__name__)

SENDS = Counter(
    "gongwen_notify_sends_total",
    "Messages handed to a channel's provider, by channel and outcome (sent, failed, retry).",
    ["channel", "outcome"],
)
SEND_SECONDS = Histogram(
    "gongwen_notify_send_seconds",
    "Time to hand one message to its provider (rate-limit wait included), by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RELEASED = Counter(
    "gongwen_notify_scheduled_total",
    "Scheduled messages whose time came, by what became of them (queued, dropped, waiting).",
    ["outcome"],
)
for _channel in ("email", "sms"):
    for _outcome in ("sent", "failed", "retry"):
        SENDS.labels(_channel, _outcome)

QUEUED_EVENT = {Channel.email: "message.email_queued", Channel.sms: "message.sms_queued"}


@dataclass(frozen=True)
class Contact:
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class Policy:
    """The settings the rules need (from services.common.settings)."""

    unread_delay: dt.timedelta
    quiet: QuietHours


# -- planning -------------------------------------------------------------------------------------


def preferences_of(
    session: Session, tenant_id: uuid.UUID, people: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    rows = session.scalars(
        select(Preference).where(Preference.tenant_id == tenant_id, Preference.user_id.in_(people))
    ).all()
    chosen: dict[uuid.UUID, dict[str, frozenset[Channel]]] = {}
    for row in rows:
        chosen.setdefault(row.user_id, {})[row.kind] = frozenset(Channel(c) for c in row.channels)
    return {p: Preferences(chosen.get(p, {})) for p in people}


def plan_messages(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    notifications: Sequence[Mapping[str, Any]],
    urgency: str | None,
    contacts: Mapping[uuid.UUID, Contact],
    policy: Policy,
    now: dt.datetime,
) -> int:
    """The e-mails and texts of newly written notifications (rows as inserted: id,
    user_id, kind, title, body); those due now are announced. Returns how many rows."""
    if not notifications:
        return 0
    prefs = preferences_of(session, tenant_id, [n["user_id"] for n in notifications])
    values: list[dict[str, Any]] = []
    for note in notifications:
        contact = contacts.get(note["user_id"]) or Contact(None, None)
        for send in plan(
            str(note["kind"]),
            urgency,
            created_at=now,
            preferences=prefs[note["user_id"]],
            recipient=Recipient(contact.email, contact.mobile),
            unread_delay=policy.unread_delay,
            quiet=policy.quiet,
        ):
            if send.channel is Channel.in_app:
                continue
            at_once = send.not_before <= now and not send.only_if_unread
            values.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "notification_id": note["id"],
                    "user_id": note["user_id"],
                    "kind": str(note["kind"]),
                    "channel": send.channel.value,
                    "address": (contact.email if send.channel is Channel.email else contact.mobile)
                    or "",
                    "subject": str(note["title"])[:500],
                    "text": _text(send.channel, note),
                    "status": "queued" if at_once else "scheduled",
                    "not_before": send.not_before,
                    "only_if_unread": send.only_if_unread,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if not values:
        return 0
    written = session.execute(
        pg_insert(OutboundMessage)
        .values(values)
        .on_conflict_do_nothing(constraint="uq_outbound_notification_channel")
        .returning(OutboundMessage.id, OutboundMessage.status, OutboundMessage.channel)
    ).all()
    by_id = {v["id"]: v for v in values}
    for message_id, status, channel in written:
        if status == "queued":
            _announce(session, by_id[message_id], Channel(channel))
    return len(written)


def _text(channel: Channel, note: Mapping[str, Any]) -> str:
    if channel is Channel.sms:
        return f"【公文】{note['title']}。请登录公文工作台办理。"[:300]
    return f"{note['body']}\n\n请登录公文工作台查看和办理。\n（本邮件由系统发送，请勿回复）"


def _announce(session: Session, row: Mapping[str, Any], channel: Channel) -> None:
    emit(
        session,
        EVENTS,
        QUEUED_EVENT[channel],
        {
            "message_id": str(row["id"]),
            "notification_id": str(row["notification_id"]),
            "user_id": str(row["user_id"]),
        },
        tenant_id=row["tenant_id"],
    )


# -- releasing scheduled messages -------------------------------------------------------------------


def release_due(session: Session, policy: Policy, now: dt.datetime, limit: int = 200) -> int:
    """Scheduled messages whose time came (every tenant): dropped if read, held back in
    quiet hours, else queued. Rows are claimed with SKIP LOCKED: instances share them."""
    scope_session(session, bypass_rls=True)
    rows = session.execute(
        select(OutboundMessage, Notification.read_at)
        .join(Notification, Notification.id == OutboundMessage.notification_id)
        .where(OutboundMessage.status == "scheduled", OutboundMessage.not_before <= now)
        .order_by(OutboundMessage.not_before)
        .limit(limit)
        .with_for_update(of=OutboundMessage, skip_locked=True)
    ).all()
    for row, read_at in rows:
        row.updated_at = now
        if row.only_if_unread and read_at is not None:
            row.status = "dropped"
            RELEASED.labels("dropped").inc()
        elif row.channel == Channel.sms and row.only_if_unread and policy.quiet.contains(now):
            row.not_before = policy.quiet.after(now)
            RELEASED.labels("waiting").inc()
        else:
            row.status = "queued"
            _announce(
                session,
                {
                    "id": row.id,
                    "notification_id": row.notification_id,
                    "user_id": row.user_id,
                    "tenant_id": row.tenant_id,
                },
                Channel(row.channel),
            )
            RELEASED.labels("queued").inc()
    session.commit()
    return len(rows)


# -- sending ---------------------------------------------------------------------------------------


#: tries of a message by its provider before it is handed to the kernel to park
MAX_SEND_ATTEMPTS = 10
#: the longest wait between two tries (seconds)
RETRY_CAP = 600.0


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> dt.timedelta:
    """After ``attempts`` failed tries: 2, 4, 8 … seconds, at most 10 minutes, with half
    of it random (full jitter on the upper half) so that instances do not retry in step."""
    ceiling = min(RETRY_CAP, 2.0**attempts)
    return dt.timedelta(seconds=ceiling / 2 + rand() * ceiling / 2)


class Sender(Protocol):
    def __call__(self, row: OutboundMessage) -> str | None:
        """Hand the message over; its provider id (raises ChannelError)."""
        ...


def send_message(
    session: Session,
    tenant_id: uuid.UUID,
    message_id: uuid.UUID,
    sender: Sender,
    *,
    wait_for_token: Callable[[str], None],
    now: Callable[[], dt.datetime],
) -> str:
    """Send one queued message (see the module docstring); what became of it."""
    scope_session(session, tenant_id=tenant_id)
    row = session.get(OutboundMessage, message_id, with_for_update=True)
    if row is None:
        session.rollback()
        log.warning("message %s is not in tenant %s: nothing to send", message_id, tenant_id)
        return "missing"
    if row.status in ("sent", "failed", "dropped", "scheduled"):
        session.rollback()
        return row.status  # done before (a redelivery or a replay): nothing twice
    channel = row.channel
    row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now()
    session.commit()
    started = time.monotonic()
    try:
        wait_for_token(channel)
        provider_id = sender(row)
    except ChannelError as failure:
        row = session.get(OutboundMessage, message_id, with_for_update=True)
        assert row is not None
        row.last_error, row.updated_at = str(failure.reason)[:2000], now()
        if failure.permanent:
            row.status = "failed"
            session.commit()
            SENDS.labels(channel, "failed").inc()
            log.warning("%s %s refused for good: %s", channel, message_id, failure.reason)
            return "failed"
        SENDS.labels(channel, "retry").inc()
        if row.attempts < MAX_SEND_ATTEMPTS:
            # the provider is away or busy: try again later (the release pass queues it
            # when its time comes), with exponential backoff and jitter
            row.status, row.not_before = "scheduled", now() + retry_delay(row.attempts)
            session.commit()
            return "retry"
        row.status = "queued"
        session.commit()
        raise ServiceUnavailable(f"{channel}_unavailable", str(failure.reason)) from failure
    finally:
        SEND_SECONDS.labels(channel).observe(time.monotonic() - started)
    row = session.get(OutboundMessage, message_id, with_for_update=True)
    assert row is not None
    row.status, row.sent_at, row.updated_at = "sent", now(), now()
    row.provider_message_id = (provider_id or "")[:100] or None
    row.last_error = None
    session.commit()
    SENDS.labels(channel, "sent").inc()
    return "sent"


# -- a user's preferences ---------------------------------------------------------------------------


def set_preferences(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    choices: Mapping[str, Sequence[str]],
    now: dt.datetime,
) -> dict[str, list[str]]:
    """Store a user's channels per kind (``in_app_required``, ``unknown_channel``)."""
    checked = {kind: check_preference(channels) for kind, channels in choices.items()}
    for kind, channels in checked.items():
        session.execute(
            pg_insert(Preference)
            .values(
                tenant_id=tenant_id,
                user_id=user_id,
                kind=kind,
                channels=sorted(c.value for c in channels),
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=["tenant_id", "user_id", "kind"],
                set_={"channels": sorted(c.value for c in channels), "updated_at": now},
            )
        )
    session.commit()
    return {k: sorted(c.value for c in v) for k, v in checked.items()}


# -- the token bucket of a provider (Redis, shared by every instance) ---------------------------------

TOKEN_BUCKET = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class TokenBucket:
    """At most ``rate`` messages a second per provider (bursts of ``burst``), across
    every notify instance: a caller without a token waits for one (up to
    ``max_wait`` seconds, then the send counts as a transient failure)."""

    def __init__(
        self, redis: Any, prefix: str, rates: Mapping[str, float], max_wait: float = 10.0
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.rates = dict(rates)
        self.max_wait = max_wait
        self.script = redis.register_script(TOKEN_BUCKET)

    def take(self, provider: str, sleep: Callable[[float], None] = time.sleep) -> None:
        rate = self.rates.get(provider)
        if not rate:
            return
        deadline = time.monotonic() + self.max_wait
        while True:
            wait = float(
                self.script(
                    keys=[f"{self.prefix}notify:bucket:{provider}"],
                    args=[rate, max(1.0, rate), time.time()],
                )
            )
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                raise ServiceUnavailable("rate_limited", f"{provider}: no send slot in time")
            sleep(wait)


# -- what the service wires together ----------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    """The policy, the senders and the rate limit of one notify container."""

    policy: Policy
    sender: Sender
    take_token: Callable[[str], None]
    poke: Callable[[Sequence[uuid.UUID]], None] = lambda people: None


def messages_page(session: Session, q: MessageQuery) -> MessagePage:
    """Outbound messages of every tenant, newest first, with counts per status (ops)."""
    scope_session(session, bypass_rls=True)
    stmt = select(OutboundMessage)
    if q.status:
        stmt = stmt.where(OutboundMessage.status == q.status)
    if q.channel:
        stmt = stmt.where(OutboundMessage.channel == q.channel)
    if q.user_id:
        stmt = stmt.where(OutboundMessage.user_id == q.user_id)
    rows = session.scalars(stmt.order_by(OutboundMessage.updated_at.desc()).limit(q.limit)).all()
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        ).all()
    }
    page = MessagePage(
        items=[MessageOut.model_validate(r, from_attributes=True) for r in rows],
        counts={str(k): int(v) for k, v in counts.items()},
    )
    session.rollback()
    return page
