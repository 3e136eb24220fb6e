"""服务站点运维: each city's operations team (``ops``) reports its month — site
availability, incidents, tickets opened and closed, mean response time — once the
month has ended. A second report of the same month is refused unless it is an explicit
correction with a reason; a correction is a new version, the earlier ones kept as the
report's history. The province's ops (and administrator) see every city's report in
force, which are missing, and the province summary; a city's ops see their own."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.vocabulary import Role, utcnow
from services.metrics import arithmetic
from services.metrics.indicators import _below
from services.metrics.models import DirTenant, SiteReport
from services.metrics.schemas import (
    SiteReportBoard,
    SiteReportHistory,
    SiteReportIn,
    SiteReportLine,
    SiteReportOut,
    SiteSummary,
)

BOARD_ROLES = {Role.ops.value, Role.tenant_admin.value}


def _out(row: SiteReport, name: str) -> SiteReportOut:
    return SiteReportOut(
        tenant_id=row.tenant_id,
        tenant_name=name,
        month=row.month,
        version=row.version,
        availability=float(row.availability),
        incidents=row.incidents,
        tickets_opened=row.tickets_opened,
        tickets_closed=row.tickets_closed,
        mean_response_minutes=float(row.mean_response_minutes),
        note=row.note,
        correction_reason=row.correction_reason,
        reported_by=row.reported_by,
        reported_at=row.reported_at.isoformat(),
    )


def _own_tenant(session: Session, ctx: CallContext) -> DirTenant:
    tenant_id = ctx.require_tenant()
    scope_session(session, bypass_rls=True)
    tenant = session.get(DirTenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_known", "metrics has not heard of this tenant yet")
    return tenant


def submit(session: Session, ctx: CallContext, req: SiteReportIn) -> SiteReportOut:
    ctx.require_any_role(Role.ops.value)
    user = ctx.require_user()
    arithmetic.parse_month(req.month)
    if req.month >= arithmetic.month_of(utcnow()):
        raise InvalidInput("month_not_ended", f"{req.month} has not ended yet")
    if req.correction and not (req.correction_reason or "").strip():
        raise InvalidInput("correction_reason_required", "a correction needs its reason")
    tenant = _own_tenant(session, ctx)
    scope_session(session, tenant_id=tenant.id)
    latest = session.scalar(
        select(func.max(SiteReport.version)).where(
            SiteReport.tenant_id == tenant.id, SiteReport.month == req.month
        )
    )
    if latest is not None and not req.correction:
        raise Conflict(
            "site_report_exists",
            f"{req.month} is reported already; send a correction (with its reason) to replace it",
        )
    if latest is None and req.correction:
        raise Conflict("nothing_to_correct", f"{req.month} has no report to correct")
    row = SiteReport(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        month=req.month,
        version=(latest or 0) + 1,
        availability=round(req.availability, 2),
        incidents=req.incidents,
        tickets_opened=req.tickets_opened,
        tickets_closed=req.tickets_closed,
        mean_response_minutes=round(req.mean_response_minutes, 1),
        note=(req.note or "").strip() or None,
        correction_reason=((req.correction_reason or "").strip() or None)
        if req.correction
        else None,
        reported_by=user,
        reported_at=utcnow(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # a concurrent report of the same month won
        session.rollback()
        raise Conflict("site_report_exists", f"{req.month} was reported meanwhile") from None
    return _out(row, tenant.name)


def _current(
    session: Session, tenant_ids: list[uuid.UUID], month: str
) -> dict[uuid.UUID, SiteReport]:
    rows = session.scalars(
        select(SiteReport)
        .where(SiteReport.tenant_id.in_(tenant_ids), SiteReport.month == month)
        .order_by(SiteReport.tenant_id, SiteReport.version)
    ).all()
    return {r.tenant_id: r for r in rows}  # the highest version last


def board(session: Session, ctx: CallContext, month: str) -> SiteReportBoard:
    ctx.require_user()
    if not ctx.roles.intersection(BOARD_ROLES):
        raise Forbidden("site_reports_forbidden", "the site reports are for ops and administrators")
    arithmetic.parse_month(month)
    own = _own_tenant(session, ctx)
    if own.parent_id is None:  # the province: every city below it
        tenants = sorted(
            (t for t in session.query(DirTenant).all() if t.parent_id == own.id),
            key=lambda t: t.code,
        )
    else:
        tenants = [own]
    current = _current(session, [t.id for t in tenants], month)
    session.rollback()
    lines = [
        SiteReportLine(
            tenant_id=t.id,
            tenant_name=t.name,
            reported=t.id in current,
            report=_out(current[t.id], t.name) if t.id in current else None,
        )
        for t in tenants
    ]
    reports = [line.report for line in lines if line.report is not None]
    n = len(reports)
    summary = SiteSummary(
        reported=n,
        missing=len(lines) - n,
        availability=arithmetic.half_up(sum(r.availability for r in reports) / n, 2) if n else None,
        incidents=sum(r.incidents for r in reports),
        tickets_opened=sum(r.tickets_opened for r in reports),
        tickets_closed=sum(r.tickets_closed for r in reports),
        mean_response_minutes=arithmetic.half_up(
            sum(r.mean_response_minutes for r in reports) / n, 1
        )
        if n
        else None,
    )
    return SiteReportBoard(
        month=month,
        scope_name=own.name,
        lines=lines,
        missing=[line.tenant_name for line in lines if not line.reported],
        summary=summary,
    )


def history(
    session: Session, ctx: CallContext, month: str, tenant_id: uuid.UUID
) -> SiteReportHistory:
    ctx.require_user()
    if not ctx.roles.intersection(BOARD_ROLES):
        raise Forbidden("site_reports_forbidden", "the site reports are for ops and administrators")
    own = _own_tenant(session, ctx)
    target = session.get(DirTenant, tenant_id)
    if target is None or not _below(own, target):
        raise NotFound("site_report_not_found", "no such report in your scope")
    rows = session.scalars(
        select(SiteReport)
        .where(SiteReport.tenant_id == tenant_id, SiteReport.month == month)
        .order_by(SiteReport.version)
    ).all()
    session.rollback()
    if not rows:
        raise NotFound("site_report_not_found", f"{month} has no report")
    return SiteReportHistory(
        tenant_id=tenant_id, month=month, versions=[_out(r, target.name) for r in rows]
    )
