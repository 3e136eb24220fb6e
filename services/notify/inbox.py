"""Use cases of the in-app inbox (站内通知): routing's task events — and documents'
``inbox.item_urged`` (催签) — become notifications, and a user reads their own.

An event is applied once per handler: :func:`services.common.events.consume_once`
and the notifications go into one transaction, and a notification is unique per
(event, recipient) in the database as well, so a redelivered event — or the same
event handled by two notify instances at once — notifies each recipient once.
Who holds a pooled task is asked of identity *before* that transaction opens
(no transaction is held open across an RPC); if identity cannot answer, the
error goes up and the event is retried.

A return (退回) opens a task for whom it went back to, so routing announces both
``task.created`` and ``task.returned`` for it (in either order on their queues):
that person gets one notification, the return with its reason, about the task
they now hold — not a to-do as well. Both handlers take a transaction-scoped lock
on that task before they look at what was sent, so that two instances handling
the pair at once cannot both write.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import NotFound
from services.common.events import EventEnvelope, consume_once
from services.common.inputs import optional_id
from services.common.vocabulary import utcnow
from services.notify import messages, outbound, queries, recipients
from services.notify.messages import InboxUrgeFacts, Message, TaskFacts
from services.notify.models import Notification
from services.notify.recipients import Directory
from services.notify.schemas import (
    KIND_LABELS,
    MarkAllReadOut,
    NotificationKind,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    SinceOut,
)

log = logging.getLogger(__name__)

#: routing's events and the notification each one makes
KIND_OF_EVENT: dict[str, NotificationKind] = {
    "task.created": NotificationKind.todo,
    "task.urged": NotificationKind.urge,
    "task.returned": NotificationKind.returned,
    "task.reminded": NotificationKind.reminder,
    "task.overdue": NotificationKind.overdue,
}


def _facts(session: Session, tenant_id: uuid.UUID, data: Mapping[str, Any]) -> TaskFacts:
    facts = TaskFacts.from_event(data)
    if facts.title is None and facts.document_id is not None:
        known = queries.document_title(session, tenant_id, facts.document_id)
        if known is not None:
            facts = facts.with_document(known.title, known.urgency)
    return facts


def on_task_event(
    session: Session,
    directory: Directory,
    handler: str,
    kind: NotificationKind,
    envelope: EventEnvelope,
    now: dt.datetime | None = None,
    *,
    policy: outbound.Policy | None = None,
    notified_users: list[uuid.UUID] | None = None,
) -> int:
    """Notify whoever holds the task of ``envelope`` (``session`` is scoped to its
    tenant). Returns how many notifications were delivered (0 when applied before)."""
    tenant_id = envelope.tenant_id
    assert tenant_id is not None
    if queries.processed(session, handler, envelope.id):
        session.rollback()
        return 0
    facts = _facts(session, tenant_id, envelope.data)
    session.rollback()  # read only so far: end it before asking identity

    held_by = recipients.holder(kind, envelope.data)
    people = (
        recipients.resolve(held_by, directory, exclude=[envelope.actor_id])
        if recipients.to_notify(kind, envelope.actor_id)
        else []
    )
    message = messages.compose(kind, facts)
    # e-mail addresses and mobile numbers, also asked before the transaction opens
    contacts = directory.contacts(people) if policy is not None and people else {}

    at = now or utcnow()
    if not consume_once(session, handler, envelope):
        session.rollback()
        return 0
    if facts.title and facts.document_id is not None and "title" in envelope.data:
        queries.remember_title(
            session, tenant_id, facts.document_id, facts.title, facts.urgency, at
        )
    task_id = _subject_task(kind, envelope.data, facts)
    delivered = 0
    if task_id is not None and kind in (NotificationKind.todo, NotificationKind.returned):
        queries.lock_task(session, task_id)
        if kind is NotificationKind.todo:
            # one to-do per task and person, whatever the event (a copy under a new id, a
            # replay); told of the return already: no to-do as well
            told = queries.notified(
                session,
                tenant_id,
                task_id,
                (NotificationKind.todo, NotificationKind.returned),
                people,
            )
        else:  # a to-do about the task the return opened becomes the return
            told = queries.todo_to_returned(
                session, tenant_id, task_id, people, message.title, message.body, at
            )
            delivered = len(told)
        people = [p for p in people if p not in told]
    created = _deliver(
        session,
        tenant_id,
        people,
        kind,
        message,
        envelope.id,
        at,
        document_id=facts.document_id,
        task_id=task_id,
        urgency=facts.urgency,
        contacts=contacts,
        policy=policy,
        notified_users=notified_users,
    )
    session.commit()
    if not people and not delivered:
        log.debug("%s: event %s has nobody to notify (%s)", handler, envelope.id, held_by)
    return created + delivered


def _deliver(
    session: Session,
    tenant_id: uuid.UUID,
    people: list[uuid.UUID],
    kind: NotificationKind,
    message: Message,
    event_id: uuid.UUID,
    at: dt.datetime,
    *,
    document_id: uuid.UUID | None,
    task_id: uuid.UUID | None,
    urgency: str | None,
    contacts: Mapping[uuid.UUID, Any],
    policy: outbound.Policy | None,
    notified_users: list[uuid.UUID] | None,
) -> int:
    """Write one notification per person (once per event and person: a person notified
    of the event before is skipped) and plan its e-mail and text, in the caller's
    transaction. Returns how many were new."""
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "user_id": person,
            "kind": kind.value,
            "title": message.title,
            "body": message.body,
            "document_id": document_id,
            "task_id": task_id,
            "event_id": event_id,
            "created_at": at,
        }
        for person in people
    ]
    new = set(queries.add_notifications(session, rows))
    if notified_users is not None:  # who has something new (their live streams are told)
        notified_users.extend(new_people(rows, new))
    if policy is not None:  # the e-mails and texts of the new ones, in this transaction
        outbound.plan_messages(
            session,
            tenant_id=tenant_id,
            notifications=[r for r in rows if r["id"] in new],
            urgency=urgency,
            contacts=contacts,
            policy=policy,
            now=at,
        )
    return len(new)


def on_inbox_urged(
    session: Session,
    directory: Directory,
    handler: str,
    envelope: EventEnvelope,
    now: dt.datetime | None = None,
    *,
    policy: outbound.Policy | None = None,
    notified_users: list[uuid.UUID] | None = None,
) -> int:
    """催签 (documents' ``inbox.item_urged``, in the recipient's tenant): an urge to the
    registrars who may sign for the document in their registry's 收文箱 — by SMS at once
    when it is 特急 (the channel rules of an urge). The notification is about no task and
    no document of this tenant yet (it has not been signed for): the inbox names it.
    Returns how many notifications were written (0 when applied before)."""
    tenant_id = envelope.tenant_id
    assert tenant_id is not None
    if queries.processed(session, handler, envelope.id):
        session.rollback()
        return 0
    session.rollback()  # nothing held open while identity is asked

    facts = InboxUrgeFacts.from_event(envelope.data)
    signers = recipients.inbox_signers(envelope.data)
    people = recipients.resolve(signers, directory, exclude=[envelope.actor_id])
    message = messages.compose_inbox_urge(facts)
    contacts = directory.contacts(people) if policy is not None and people else {}

    if not consume_once(session, handler, envelope):
        session.rollback()
        return 0
    created = _deliver(
        session,
        tenant_id,
        people,
        NotificationKind.urge,
        message,
        envelope.id,
        now or utcnow(),
        document_id=None,
        task_id=None,
        urgency=facts.urgency,
        contacts=contacts,
        policy=policy,
        notified_users=notified_users,
    )
    session.commit()
    if not people:
        log.debug("%s: event %s has nobody to notify (%s)", handler, envelope.id, signers)
    return created


def new_people(rows: list[dict[str, Any]], new: set[uuid.UUID]) -> set[uuid.UUID]:
    return {uuid.UUID(str(r["user_id"])) for r in rows if r["id"] in new}


def _subject_task(
    kind: NotificationKind, data: dict[str, object], facts: TaskFacts
) -> uuid.UUID | None:
    """The task a notification is about: for a return, the task it opened (the one the
    recipient now holds), else the event's task."""
    if kind is NotificationKind.returned:
        return optional_id(data.get("returned_to_task_id")) or facts.task_id
    return facts.task_id


# -- reading my inbox ----------------------------------------------------------------------------


def _me(ctx: CallContext) -> tuple[uuid.UUID, uuid.UUID]:
    user_id = ctx.require_user()
    return ctx.require_tenant(), user_id


def notification_out(row: Notification) -> NotificationOut:
    kind = NotificationKind(row.kind)
    return NotificationOut(
        id=row.id,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        title=row.title,
        body=row.body,
        document_id=row.document_id,
        task_id=row.task_id,
        notice_id=row.notice_id,
        created_at=row.created_at,
        read_at=row.read_at,
        seq=row.seq or 0,
    )


def list_notifications(
    session: Session, ctx: CallContext, q: NotificationQuery
) -> NotificationPage:
    """My notifications, newest first, with my unread count (未读)."""
    tenant_id, user_id = _me(ctx)
    rows, total, unread = queries.inbox_page(
        session, tenant_id, user_id, unread_only=q.unread_only, limit=q.limit, offset=q.offset
    )
    return NotificationPage(
        items=[notification_out(r) for r in rows],
        total=total,
        unread_count=unread,
        limit=q.limit,
        offset=q.offset,
    )


def mark_read(session: Session, ctx: CallContext, notification_id: uuid.UUID) -> NotificationOut:
    """Mark one of my notifications read (已读); somebody else's is not found."""
    tenant_id, user_id = _me(ctx)
    queries.mark_read(session, tenant_id, user_id, notification_id, utcnow())
    row = queries.notification(session, tenant_id, user_id, notification_id)
    if row is None:
        session.rollback()
        raise NotFound("notification_not_found", "no such notification")
    session.commit()
    return notification_out(row)


def mark_all_read(session: Session, ctx: CallContext) -> MarkAllReadOut:
    """Mark every unread notification of mine read (全部已读)."""
    tenant_id, user_id = _me(ctx)
    marked = queries.mark_all_read(session, tenant_id, user_id, utcnow())
    unread = queries.unread_count(session, tenant_id, user_id)
    session.commit()
    return MarkAllReadOut(marked=marked, unread_count=unread)


def since(session: Session, ctx: CallContext, after: int | None, limit: int = 100) -> SinceOut:
    """My notifications after stream position ``after`` (oldest first): what a live
    stream sends, and resumes from after a dropped connection (none lost, none twice).
    ``after`` None: no items, only where the stream stands now (a new stream starts
    there)."""
    tenant_id, user_id = _me(ctx)
    if after is None:
        after = queries.last_seq(session, tenant_id, user_id)
        limit = 0
    rows = queries.since(session, tenant_id, user_id, after, limit) if limit else []
    unread = queries.unread_count(session, tenant_id, user_id)
    session.rollback()
    return SinceOut(
        items=[notification_out(r) for r in rows],
        unread_count=unread,
        last_seq=rows[-1].seq if rows else after,
    )
