"""Use cases of the daily work ledger (每日台账, DESIGN 6; seed 003 每日登台账).

* Every member of staff (anyone of the tenant but a supplier) records what they did on a
  day (Asia/Shanghai; today or before, never a future day: 422 ``future_day``) in
  entries, each with optional links to documents and tasks worked on; the day's done
  tasks (routing's 已办 of the caller) are offered as suggestions. One changes and
  removes only one's own entries (403 ``not_own_entry``).
* A division head sees the entries of their division (its active people, the sections
  below it included, as identity has them now), who has not filled in the previous
  working day (routing's calendar of the tenant), and a monthly summary per person;
  the tenant administrator sees any division's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Forbidden, NotFound
from services.common.vocabulary import Role, utcnow
from services.ledger import rules
from services.ledger.models import DailyEntry
from services.ledger.remote import Directory
from services.ledger.schemas import (
    DivisionDay,
    DivisionMonth,
    EntryIn,
    EntryLink,
    EntryOut,
    EntryUpdate,
    MyDays,
    PersonDay,
    PersonMonth,
    PersonRef,
    Suggestion,
)


def today() -> dt.date:
    return rules.shanghai_day(utcnow())


def _me(ctx: CallContext) -> tuple[uuid.UUID, uuid.UUID]:
    user_id = ctx.require_user()
    return ctx.require_tenant(), user_id


def entry_out(row: DailyEntry) -> EntryOut:
    return EntryOut(
        id=row.id,
        user_id=row.user_id,
        user_name=row.user_name,
        org_unit_id=row.org_unit_id,
        day=row.day,
        content=row.content,
        links=[EntryLink.model_validate(link) for link in row.links],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _links(links: Sequence[EntryLink]) -> list[dict[str, Any]]:
    return [link.model_dump(mode="json") for link in links]


def add_entry(session: Session, ctx: CallContext, directory: Directory, req: EntryIn) -> EntryOut:
    tenant_id, user_id = _me(ctx)
    rules.require_staff(ctx.roles)
    day = req.day or today()
    rules.check_entry_day(day, today())
    me = directory.user(user_id)
    now = utcnow()
    row = DailyEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        user_id=user_id,
        user_name=str(me["full_name"]) if me else (ctx.username or ""),
        org_unit_id=ctx.org_unit_id,
        day=day,
        content=req.content,
        links=_links(req.links),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    out = entry_out(row)
    session.commit()
    return out


def _own_entry(session: Session, ctx: CallContext, entry_id: uuid.UUID) -> DailyEntry:
    tenant_id, user_id = _me(ctx)
    row = session.get(DailyEntry, entry_id, with_for_update=True)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("entry_not_found", "no such ledger entry")
    if row.user_id != user_id:
        raise Forbidden("not_own_entry", "只能修改自己的台账")
    return row


def update_entry(
    session: Session, ctx: CallContext, entry_id: uuid.UUID, req: EntryUpdate
) -> EntryOut:
    row = _own_entry(session, ctx, entry_id)
    if req.content is not None:
        row.content = req.content
    if req.links is not None:
        row.links = _links(req.links)
    row.updated_at = utcnow()
    session.flush()
    out = entry_out(row)
    session.commit()
    return out


def delete_entry(session: Session, ctx: CallContext, entry_id: uuid.UUID) -> None:
    row = _own_entry(session, ctx, entry_id)
    session.delete(row)
    session.commit()


def my_days(session: Session, ctx: CallContext, month: str | None) -> MyDays:
    tenant_id, user_id = _me(ctx)
    first, last = rules.month_bounds(month or today().strftime("%Y-%m"))
    rows = session.scalars(
        select(DailyEntry)
        .where(
            DailyEntry.tenant_id == tenant_id,
            DailyEntry.user_id == user_id,
            DailyEntry.day.between(first, last),
        )
        .order_by(DailyEntry.day.desc(), DailyEntry.created_at)
    ).all()
    return MyDays(month=first.strftime("%Y-%m"), entries=[entry_out(r) for r in rows])


def suggestions(ctx: CallContext, directory: Directory, day: dt.date | None) -> list[Suggestion]:
    """The tasks I completed on ``day`` (default today), newest first."""
    ctx.require_user()
    rules.require_staff(ctx.roles)
    wanted = day or today()
    out: list[Suggestion] = []
    for task in directory.done_tasks():
        done = task.get("completed_at")
        if not done:
            continue
        at = dt.datetime.fromisoformat(str(done).replace("Z", "+00:00"))
        if rules.shanghai_day(at) != wanted:
            continue
        out.append(
            Suggestion(
                task_id=uuid.UUID(str(task["id"])),
                document_id=uuid.UUID(str(task["document_id"])),
                title=str(task.get("title") or ""),
                step_name=str(task.get("step_name") or ""),
                completed_at=at,
            )
        )
    return out


# -- the division's view ---------------------------------------------------------------------------


def _division(ctx: CallContext, unit_id: uuid.UUID | None) -> uuid.UUID:
    """The unit whose ledger the caller may see: a division head their own; the tenant
    administrator any (default their own)."""
    ctx.require_user()
    if not ctx.roles & rules.DIVISION_VIEW_ROLES or rules.is_supplier(ctx.roles):
        raise Forbidden("division_head_required", "只有处室领导可以查看处室台账")
    wanted = unit_id or ctx.org_unit_id
    if wanted is None:
        raise Forbidden("no_division", "没有所属处室")
    if Role.tenant_admin not in ctx.roles and wanted != ctx.org_unit_id:
        raise Forbidden("not_own_division", "只能查看本处室的台账")
    return wanted


def _people(directory: Directory, unit_id: uuid.UUID) -> list[PersonRef]:
    people = directory.unit_people(unit_id)
    if people is None:
        raise NotFound("org_unit_not_found", "no such org unit")
    return sorted(
        (
            PersonRef(user_id=uuid.UUID(str(p["id"])), name=str(p["full_name"]))
            for p in people
            if Role.supplier not in (p.get("roles") or [])
        ),
        key=lambda p: (p.name, str(p.user_id)),
    )


def _calendar(directory: Directory, first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    working: dict[dt.date, bool] = {}
    for month in rules.months_of(first, last):
        working.update(directory.working_days(month))
    return working


def _entries(
    session: Session,
    tenant_id: uuid.UUID,
    users: Sequence[uuid.UUID],
    first: dt.date,
    last: dt.date,
) -> Sequence[DailyEntry]:
    if not users:
        return []
    return session.scalars(
        select(DailyEntry)
        .where(
            DailyEntry.tenant_id == tenant_id,
            DailyEntry.user_id.in_(list(users)),
            DailyEntry.day.between(first, last),
        )
        .order_by(DailyEntry.day, DailyEntry.user_name, DailyEntry.created_at)
    ).all()


def division_day(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    unit_id: uuid.UUID | None,
    day: dt.date | None,
) -> DivisionDay:
    tenant_id, _ = _me(ctx)
    unit = _division(ctx, unit_id)
    now = today()
    working = _calendar(directory, now - dt.timedelta(days=40), now)
    previous = rules.previous_working_day(now, working)
    wanted = day or previous
    people = _people(directory, unit)
    rows = _entries(session, tenant_id, [p.user_id for p in people], wanted, wanted)
    by_user: dict[uuid.UUID, list[EntryOut]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(entry_out(row))
    day_people = [
        PersonDay(
            user_id=p.user_id,
            name=p.name,
            filled=bool(by_user.get(p.user_id)),
            entries=by_user.get(p.user_id, []),
        )
        for p in people
    ]
    return DivisionDay(
        unit_id=unit,
        day=wanted,
        previous_working_day=previous,
        people=day_people,
        missing=[PersonRef(user_id=p.user_id, name=p.name) for p in day_people if not p.filled],
    )


def division_month(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    unit_id: uuid.UUID | None,
    month: str,
) -> DivisionMonth:
    """Per person of the division: entries and days filled in the month, and of the
    month's working days up to yesterday, those without an entry."""
    tenant_id, _ = _me(ctx)
    unit = _division(ctx, unit_id)
    first, last = rules.month_bounds(month)
    working = _calendar(directory, first, last)
    work_days = [d for d in sorted(working) if working[d] and first <= d <= last]
    counted = [d for d in work_days if d < today()]
    people = _people(directory, unit)
    rows = _entries(session, tenant_id, [p.user_id for p in people], first, last)
    days_of: dict[uuid.UUID, set[dt.date]] = {}
    count_of: dict[uuid.UUID, int] = {}
    for row in rows:
        days_of.setdefault(row.user_id, set()).add(row.day)
        count_of[row.user_id] = count_of.get(row.user_id, 0) + 1
    return DivisionMonth(
        unit_id=unit,
        month=first.strftime("%Y-%m"),
        working_days=len(work_days),
        people=[
            PersonMonth(
                user_id=p.user_id,
                name=p.name,
                entries=count_of.get(p.user_id, 0),
                days_filled=len(days_of.get(p.user_id, set())),
                working_days=len(counted),
                working_days_missing=sum(
                    1 for d in counted if d not in days_of.get(p.user_id, set())
                ),
            )
            for p in people
        ],
        entries=[entry_out(r) for r in rows],
    )
