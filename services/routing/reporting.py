"""Use cases of the overdue reports (超期通报): the registry's monthly report and a
division's own list with its trend. Routing knows people and units by id only;
their names come from identity (``list_org_units``, ``get_user``) in the caller's
rights. The rules are in :mod:`services.routing.reports`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Forbidden, NotFound
from services.common.vocabulary import Role
from services.routing import clock, deadlines, queries, reports
from services.routing.ports import Directory
from services.routing.reports import OverdueTask
from services.routing.schemas import DivisionOverdue, OverdueReport, TaskStatus


def _tasks(rows: Sequence[queries.ReportRow]) -> list[OverdueTask]:
    return [
        OverdueTask(
            task_id=r.id,
            document_id=r.document_id,
            doc_number=r.doc_number,
            title=r.title,
            step=r.step,
            step_name=r.step_name,
            status=TaskStatus(r.status),
            due_at=r.due_at,
            completed_at=r.completed_at,
            unit_id=r.unit_id,
            # marked: who held it then; not marked yet (open, the scanner is behind): its holder
            person_id=r.overdue_user_id if r.overdue_at is not None else r.assignee_id,
        )
        for r in rows
    ]


def _person_names(
    directory: Directory, people: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str | None]:
    names: dict[uuid.UUID, str | None] = {}
    for person in people:
        if person is not None and person not in names:
            user = directory.user(person)
            names[person] = user.full_name if user else None
    return names


def _unit_names(directory: Directory) -> dict[uuid.UUID, str]:
    return {u.id: u.name for u in directory.org_units()}


def overdue_report(
    session: Session, ctx: CallContext, directory: Directory, month_text: object
) -> OverdueReport:
    """The registry's report of a month (see :mod:`services.routing.reports` for the
    definitions): counts per division and per person, every overdue task listed."""
    ctx.require_user()
    tenant_id = ctx.require_tenant()
    if Role.registrar not in ctx.roles:
        raise Forbidden("role_required", "the overdue report is the registry's (文书处)")
    now = clock.now(session)
    month = reports.report_month(month_text, now)
    due_after, due_until = month.deadlines()
    tasks = _tasks(
        queries.overdue_report_rows(
            session,
            tenant_id,
            due_after,
            due_until,
            now,
            viewer=ctx.user_id,
            viewer_unit_id=ctx.org_unit_id,
        )
    )
    with_deadline = queries.documents_with_deadline(session, tenant_id, due_after, due_until)
    calendar = deadlines.tenant_calendar(tenant_id, session)
    session.rollback()  # nothing to write; no transaction open across the calls to identity
    items = reports.items(
        tasks,
        calendar,
        now,
        _unit_names(directory) if tasks else {},
        _person_names(directory, (t.person_id for t in tasks)),
    )
    return OverdueReport(
        month=month.label,
        tenant_id=tenant_id,
        generated_at=now,
        period_start=month.first_day,
        period_end=month.last_day,
        totals=reports.totals(items, with_deadline),
        by_division=reports.by_division(items),
        by_person=reports.by_person(items),
        items=items,
    )


def division_overdue(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    unit_id: uuid.UUID | None,
    months: int,
) -> DivisionOverdue:
    """A division's overdue tasks over the last ``months`` months (the current one
    included) and their count per month. A division head sees their own division;
    the registry any division of the tenant."""
    user_id = ctx.require_user()
    del user_id
    tenant_id = ctx.require_tenant()
    registrar = Role.registrar in ctx.roles
    if not registrar and Role.division_head not in ctx.roles:
        raise Forbidden("role_required", "for division heads (处长) and the registry")
    wanted = unit_id or ctx.org_unit_id
    if wanted is None:
        raise NotFound("unit_not_found", "name the division")
    if not registrar and wanted != ctx.org_unit_id:
        raise Forbidden("not_own_division", "a division head sees their own division's list")
    now = clock.now(session)
    window = reports.trend_months(now, months)
    due_after, due_until = window[0].deadlines()[0], window[-1].deadlines()[1]
    tasks = _tasks(
        queries.overdue_report_rows(
            session,
            tenant_id,
            due_after,
            due_until,
            now,
            unit_id=wanted,
            viewer=ctx.user_id,
            viewer_unit_id=ctx.org_unit_id,
        )
    )
    calendar = deadlines.tenant_calendar(tenant_id, session)
    session.rollback()
    units = _unit_names(directory)
    if wanted not in units:
        raise NotFound("unit_not_found", "no such division in this tenant")
    items = reports.items(
        tasks, calendar, now, units, _person_names(directory, (t.person_id for t in tasks))
    )
    items.reverse()  # newest deadline first
    return DivisionOverdue(
        unit_id=wanted,
        unit_name=units.get(wanted),
        months=months,
        generated_at=now,
        trend=reports.trend(items, window),
        items=items,
    )
