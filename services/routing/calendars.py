"""Use cases of the working-day calendars as data (DESIGN 4.3).

* National schedules per year (``calendar_years``): seeded from
  ``chinese_calendar`` for every year it knows; a year without a row is
  provisional (weekends only). A platform administrator publishes or replaces
  a year.
* Local overrides per tenant (``calendar_overrides``): days off and working
  days, inherited down the tenant tree (province → city → county), added and
  removed by the tenant's administrator. Routing knows the tree from identity's
  ``tenant.created`` events (``tenant_nodes``).
* Every change, in one transaction: the calendar's exclusive lock (transactions
  that open tasks hold it shared, see :func:`deadlines.hold_calendar`), the new
  data, a new calendar version (process caches reload), every open deadline that
  depends on the changed days recomputed, a row in routing's hash-chained audit
  trail and an event (``calendar.year_published``, ``calendar.override_added``,
  ``calendar.override_removed``) in the outbox.

Open tasks already marked overdue keep their mark and their deadline: that
they were overdue stays in the history. A reminder already sent is not sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.common.audit import append_audit
from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import EventEnvelope, consume_once, emit
from services.common.inputs import optional_id
from services.common.vocabulary import SHANGHAI, Role
from services.routing import calendar_rules, clock, deadlines, queries
from services.routing.calendar_rules import Window
from services.routing.events import EVENTS
from services.routing.models import CalendarOverride, CalendarYear
from services.routing.ports import Directory
from services.routing.schemas import (
    DayOut,
    MonthOut,
    OverrideChanged,
    OverrideCreate,
    OverrideKind,
    OverrideOut,
    YearOut,
    YearPublish,
    YearPublished,
    YearSummary,
)
from services.routing.working_days import YearSchedule

log = logging.getLogger(__name__)

SOURCE = "routing"
TENANT_CREATED_HANDLER = "routing.on_tenant_created"


# -- the tenant tree ---------------------------------------------------------------------------------


def on_tenant_created(session: Session, envelope: EventEnvelope) -> bool:
    """Add a tenant to routing's projection of the tenant tree (idempotent)."""
    data = envelope.data
    tenant_id = optional_id(data.get("id"))
    path = data.get("path")
    if tenant_id is None or not isinstance(path, str) or not path:
        raise ValueError("tenant.created without an id or a path")
    scope_session(session, bypass_rls=True)
    if not consume_once(session, TENANT_CREATED_HANDLER, envelope):
        session.rollback()
        return False
    queries.insert_tenant_node(
        session,
        {
            "id": tenant_id,
            "parent_id": optional_id(data.get("parent_id")),
            "code": str(data.get("code") or path.rsplit("/", 1)[-1])[:64],
            "path": path,
            "created_at": envelope.occurred_at,
        },
    )
    session.commit()
    return True


def ensure_tenant(session: Session, directory: Directory, tenant_id: uuid.UUID) -> None:
    """Fill the projection from identity when a tenant's ``tenant.created`` is not here
    (a tenant onboarded before routing listened); identity answers within the caller's rights."""
    if queries.tenant_node(session, tenant_id) is not None:
        return
    tenant = directory.tenant(tenant_id)
    if tenant is None:
        return
    queries.insert_tenant_node(
        session,
        {
            "id": tenant.id,
            "parent_id": tenant.parent_id,
            "code": tenant.code,
            "path": tenant.path,
            "created_at": tenant.created_at,
        },
    )


# -- who may do what -------------------------------------------------------------------------------------


def _platform_admin(ctx: CallContext) -> uuid.UUID:
    user_id = ctx.require_user()
    if not ctx.is_platform_admin:
        raise Forbidden("platform_admin_required", "only the platform administrator does this")
    return user_id


def _tenant_admin(ctx: CallContext) -> uuid.UUID:
    ctx.require_user()
    tenant_id = ctx.require_tenant()
    if Role.tenant_admin not in ctx.roles:
        raise Forbidden("tenant_admin_required", "only the tenant administrator does this")
    return tenant_id


def _calendar_tenant(
    session: Session, ctx: CallContext, directory: Directory, wanted: uuid.UUID | None
) -> uuid.UUID | None:
    """Whose calendar the caller reads: their own tenant (default) or one below it; any
    tenant (or the national calendar alone, None) for the platform administrator. Another
    tenant is ``tenant_not_found``. Scopes the session to see what that calendar needs."""
    ctx.require_user()
    if ctx.is_platform_admin:
        scope_session(session, bypass_rls=True)
        if wanted is not None and queries.tenant_node(session, wanted) is None:
            raise NotFound("tenant_not_found", "no such tenant")
        return wanted
    own = ctx.require_tenant()
    ensure_tenant(session, directory, own)
    if wanted is None or wanted == own:
        return own
    if wanted not in queries.subtree(session, own):
        raise NotFound("tenant_not_found", "no such tenant")
    scope_session(session, bypass_rls=True)  # a descendant's own overrides are not the caller's
    return wanted


# -- recomputing open deadlines ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    examined: int
    rewritten: int
    moved: int


def recompute(
    session: Session, window: Window, tenant_ids: list[uuid.UUID] | None = None
) -> Recomputed:
    """Recompute, with the calendar as this transaction now sees it, every open deadline
    the change can move (the caller holds the calendar's exclusive lock)."""
    rows = queries.deadlines_to_recompute(
        session, window.started_before, window.due_from, tenant_ids
    )
    national = deadlines.national_from_rows(queries.calendar_years(session))
    calendars: dict[uuid.UUID, Any] = {}
    changes: list[tuple[uuid.UUID, dt.datetime, bool, dt.datetime]] = []
    moved = 0
    for task_id, tenant_id, started_at, rule, days, due_at, provisional, remind_at in rows:
        calendar = calendars.get(tenant_id)
        if calendar is None:
            calendar = calendars[tenant_id] = deadlines.load_calendar(session, tenant_id, national)
        due = deadlines.compute(deadlines.Rule(rule, days), started_at, calendar)
        if (due.due_at, due.provisional, due.remind_at) != (due_at, provisional, remind_at):
            changes.append((task_id, due.due_at, due.provisional, due.remind_at))
            moved += due.due_at != due_at
    written = queries.update_deadlines(session, changes)
    log.info("calendar change: %d open deadlines examined, %d rewritten", len(rows), written)
    return Recomputed(examined=len(rows), rewritten=written, moved=moved)


# -- national years ----------------------------------------------------------------------------------


def _schedule(row: CalendarYear | None, year: int) -> YearSchedule:
    if row is None:
        return YearSchedule.weekends_only(year)
    return YearSchedule(
        year=year,
        holidays=frozenset(row.holidays or ()),
        workdays=frozenset(row.workdays or ()),
    )


def _year_out(row: CalendarYear | None, year: int) -> YearOut:
    if row is None:
        return YearOut(year=year, provisional=True, holidays=[], workdays=[])
    return YearOut(
        year=year,
        provisional=False,
        holidays=sorted(row.holidays or ()),
        workdays=sorted(row.workdays or ()),
        note=row.note,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def publish_year(session: Session, ctx: CallContext, year: int, req: YearPublish) -> YearPublished:
    """Publish (or replace) the national schedule of a year, and recompute — once, in the
    same transaction — every open deadline that depends on that year."""
    actor = _platform_admin(ctx)
    schedule = calendar_rules.schedule_of(year, req.holidays, req.workdays)
    scope_session(session, bypass_rls=True)  # the deadlines of every tenant
    queries.lock_calendar(session, exclusive=True)
    now = clock.now(session)
    before = queries.calendar_year(session, year)
    before_snapshot = _year_out(before, year).model_dump(mode="json")
    queries.upsert_calendar_year(
        session,
        {
            "year": year,
            "holidays": sorted(schedule.holidays),
            "workdays": sorted(schedule.workdays),
            "note": req.note,
            "published_at": now,
            "published_by": actor,
        },
    )
    queries.bump_calendar_version(session, now)
    result = recompute(session, calendar_rules.year_window(year))
    after = queries.calendar_year(session, year)
    out = YearPublished(
        **_year_out(after, year).model_dump(),
        recomputed_tasks=result.rewritten,
        moved_tasks=result.moved,
    )
    append_audit(
        session,
        tenant_id=None,
        action="calendar.year_published",
        target_type="calendar_year",
        target_id=year,
        before=before_snapshot,
        after=out.model_dump(mode="json"),
        ctx=ctx,
        occurred_at=now,
    )
    emit(
        session,
        EVENTS,
        "calendar.year_published",
        {
            "year": year,
            "provisional": False,
            "recomputed_tasks": result.rewritten,
            "moved_tasks": result.moved,
            "published_at": now.isoformat(),
        },
        tenant_id=None,
    )
    session.commit()
    return out


def list_years(session: Session, ctx: CallContext) -> list[YearSummary]:
    """Every published year, and this year and the next when they are still provisional."""
    ctx.require_user()
    rows = {r.year: r for r in queries.calendar_years(session)}
    this_year = clock.now(session).astimezone(SHANGHAI).year
    years = sorted(set(rows) | {this_year, this_year + 1})
    out = []
    for year in years:
        row = rows.get(year)
        out.append(
            YearSummary(
                year=year,
                provisional=row is None,
                published_at=row.published_at if row else None,
                holidays=len(row.holidays or ()) if row else 0,
                workdays=len(row.workdays or ()) if row else 0,
            )
        )
    return out


def get_year(session: Session, ctx: CallContext, year: int) -> YearOut:
    ctx.require_user()
    calendar_rules.schedule_of(year, (), ())  # the range check
    return _year_out(queries.calendar_year(session, year), year)


# -- a month as the system counts it ---------------------------------------------------------------------


def month(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    month_text: str,
    tenant_id: uuid.UUID | None,
) -> MonthOut:
    year, month_number = calendar_rules.parse_month(month_text)
    target = _calendar_tenant(session, ctx, directory, tenant_id)
    row = queries.calendar_year(session, year)
    schedule = _schedule(row, year) if row is not None else None
    local = calendar_rules.merged_local_days(deadlines.local_layers(session, target))
    days = [
        calendar_rules.explain_day(d, schedule, local)
        for d in calendar_rules.month_days(year, month_number)
    ]
    return MonthOut(
        month=f"{year:04d}-{month_number:02d}",
        tenant_id=target,
        provisional=row is None,
        working_days=sum(1 for d in days if d.working),
        days=[
            DayOut(
                date=d.day,
                weekday=d.day.isoweekday(),
                working=d.working,
                reason=d.reason,
                note=d.note,
                source_tenant_id=d.source_tenant_id,
            )
            for d in days
        ],
    )


# -- tenant overrides --------------------------------------------------------------------------------------


def _override_out(row: CalendarOverride, for_tenant: uuid.UUID | None = None) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        tenant_id=row.tenant_id,
        date=row.day,
        kind=OverrideKind(row.kind),
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
        inherited=for_tenant is not None and row.tenant_id != for_tenant,
    )


def list_overrides(
    session: Session, ctx: CallContext, directory: Directory, tenant_id: uuid.UUID | None
) -> list[OverrideOut]:
    """A tenant's overrides and those it inherits from its ancestors, by date."""
    target = _calendar_tenant(session, ctx, directory, tenant_id)
    if target is None:
        return []
    rows = queries.overrides_of(session, queries.ancestry(session, target))
    return [_override_out(r, target) for r in rows]


def add_override(
    session: Session, ctx: CallContext, directory: Directory, req: OverrideCreate
) -> OverrideChanged:
    """A local day off / working day of the caller's tenant; the open deadlines of the
    tenant and the tenants below it that the day can move are recomputed."""
    own = _tenant_admin(ctx)
    if req.tenant_id is not None and req.tenant_id != own:
        raise NotFound("tenant_not_found", "overrides are made by the tenant's own administrator")
    ensure_tenant(session, directory, own)
    scope_session(session, bypass_rls=True)  # the deadlines of the tenants below as well
    queries.lock_calendar(session, exclusive=True)
    now = clock.now(session)
    override_id = uuid.uuid4()
    added = queries.insert_override(
        session,
        {
            "id": override_id,
            "tenant_id": own,
            "day": req.date,
            "kind": req.kind.value,
            "note": req.note,
            "created_at": now,
            "created_by": ctx.user_id,
        },
    )
    if not added:
        raise Conflict("override_exists", f"{req.date.isoformat()} already has an override here")
    queries.bump_calendar_version(session, now)
    result = recompute(session, calendar_rules.day_window(req.date), queries.subtree(session, own))
    row = queries.calendar_override(session, override_id)
    assert row is not None
    out = OverrideChanged(
        **_override_out(row).model_dump(),
        recomputed_tasks=result.rewritten,
        moved_tasks=result.moved,
    )
    _record_override(session, ctx, "calendar.override_added", out, before=None, now=now)
    session.commit()
    return out


def remove_override(session: Session, ctx: CallContext, override_id: uuid.UUID) -> OverrideChanged:
    own = _tenant_admin(ctx)
    row = queries.calendar_override(session, override_id)
    if row is None or row.tenant_id != own:
        raise NotFound("override_not_found", "no such override in this tenant")
    scope_session(session, bypass_rls=True)
    queries.lock_calendar(session, exclusive=True)
    now = clock.now(session)
    before = _override_out(row)
    if not queries.delete_override(session, override_id):
        raise NotFound("override_not_found", "no such override in this tenant")
    queries.bump_calendar_version(session, now)
    result = recompute(
        session, calendar_rules.day_window(before.date), queries.subtree(session, own)
    )
    out = OverrideChanged(
        **before.model_dump(), recomputed_tasks=result.rewritten, moved_tasks=result.moved
    )
    _record_override(
        session,
        ctx,
        "calendar.override_removed",
        out,
        before=before.model_dump(mode="json"),
        now=now,
    )
    session.commit()
    return out


def _record_override(
    session: Session,
    ctx: CallContext,
    action: str,
    out: OverrideChanged,
    *,
    before: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    payload = out.model_dump(mode="json")
    append_audit(
        session,
        tenant_id=out.tenant_id,
        action=action,
        target_type="calendar_override",
        target_id=out.id,
        before=before,
        after=None if action.endswith("removed") else payload,
        ctx=ctx,
        occurred_at=now,
    )
    emit(session, EVENTS, action, payload, tenant_id=out.tenant_id)
