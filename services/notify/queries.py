"""Every query of the notify service.

Each takes the tenant explicitly as well (row-level security would hide other
tenants' rows anyway; the filter keeps the plans on the tenant indexes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.notify.models import PROCESSED_EVENTS, DocumentTitle, Notification

# -- events -------------------------------------------------------------------------------------


def processed(session: Session, handler: str, event_id: uuid.UUID) -> bool:
    """Whether ``handler`` applied the event before (a cheap look before any work;
    :func:`services.common.events.consume_once` decides, in the writing transaction)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    PROCESSED_EVENTS.c.handler == handler, PROCESSED_EVENTS.c.event_id == event_id
                )
            )
        )
    )


# -- the titles of routing's documents ----------------------------------------------------------


def document_title(
    session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentTitle | None:
    return session.execute(
        select(DocumentTitle).where(
            DocumentTitle.tenant_id == tenant_id, DocumentTitle.document_id == document_id
        )
    ).scalar_one_or_none()


def remember_title(
    session: Session,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    title: str,
    urgency: str | None,
    now: dt.datetime,
) -> None:
    session.execute(
        pg_insert(DocumentTitle)
        .values(
            document_id=document_id,
            tenant_id=tenant_id,
            title=title[:300],
            urgency=urgency,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[DocumentTitle.document_id])
    )


# -- notifications ------------------------------------------------------------------------------


def lock_task(session: Session, task_id: uuid.UUID) -> None:
    """Serialise, until the transaction ends, the writers of notifications about one task."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"notify.task:{task_id}"},
    )


def notified(
    session: Session,
    tenant_id: uuid.UUID,
    task_id: uuid.UUID,
    kinds: Sequence[str],
    people: Sequence[uuid.UUID],
) -> set[uuid.UUID]:
    """Who of ``people`` has a notification of one of ``kinds`` about the task."""
    if not people:
        return set()
    return set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.tenant_id == tenant_id,
                Notification.task_id == task_id,
                Notification.kind.in_([str(k) for k in kinds]),
                Notification.user_id.in_(list(people)),
            )
        )
    )


def todo_to_returned(
    session: Session,
    tenant_id: uuid.UUID,
    task_id: uuid.UUID,
    people: Sequence[uuid.UUID],
    title: str,
    body: str,
    now: dt.datetime,
) -> set[uuid.UUID]:
    """Turn the to-dos of ``people`` about the task into the return (unread again, now);
    returns whose were turned."""
    if not people:
        return set()
    result = session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.task_id == task_id,
            Notification.kind == "todo",
            Notification.user_id.in_(list(people)),
        )
        .values(kind="returned", title=title, body=body, read_at=None, created_at=now)
        .returning(Notification.user_id)
    )
    return set(result.scalars())


def add_notifications(session: Session, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert notifications; one already there for (event, recipient) is left alone.
    Returns the ids of the new ones."""
    if not rows:
        return []
    # one writer per recipient until commit: a user's notifications then commit in the
    # order of their ``seq``, so a live stream that moved past one never misses another
    for user_id in sorted({str(r["user_id"]) for r in rows}):
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"notify.user:{user_id}"},
        )
    result = session.execute(
        pg_insert(Notification)
        .values(list(rows))
        .on_conflict_do_nothing(constraint="uq_notifications_event_user")
        .returning(Notification.id)
    )
    return [r[0] for r in result.all()]


def inbox_page(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
) -> tuple[list[Notification], int, int]:
    """(a page of my notifications newest first, how many match, how many are unread)."""
    mine = (Notification.tenant_id == tenant_id) & (Notification.user_id == user_id)
    matching = mine & Notification.read_at.is_(None) if unread_only else mine
    rows = (
        session.execute(
            select(Notification)
            .where(matching)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    total, unread = session.execute(
        select(
            func.count(),
            func.count().filter(Notification.read_at.is_(None)),
        ).where(mine)
    ).one()
    return list(rows), int(unread if unread_only else total), int(unread)


def unread_count(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Notification.tenant_id == tenant_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def notification(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return session.execute(
        select(Notification).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.id == notification_id,
        )
    ).scalar_one_or_none()


def mark_read(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    notification_id: uuid.UUID,
    now: dt.datetime,
) -> None:
    """Read now, unless read before (the first reading time stays)."""
    session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.id == notification_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )


def mark_all_read(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime
) -> int:
    result = session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
        .returning(Notification.id)
    )
    return len(result.all())


def since(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, after: int, limit: int
) -> list[Notification]:
    """A user's notifications after stream position ``after``, oldest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(
                Notification.tenant_id == tenant_id,
                Notification.user_id == user_id,
                Notification.seq > after,
            )
            .order_by(Notification.seq)
            .limit(limit)
        )
    )


def last_seq(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """The stream position of a user's newest notification (0: none yet)."""
    found = session.scalar(
        select(func.max(Notification.seq)).where(
            Notification.tenant_id == tenant_id, Notification.user_id == user_id
        )
    )
    return int(found or 0)
