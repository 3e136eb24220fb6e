"""Monthly application indicators (运维指标数据 — 应用情况).

The facts come from the other services' events (see :mod:`services.metrics.service`):
each fact row is keyed by its event's id, so a redelivered event counts once. The
figures of a month are an aggregate over the facts of that Shanghai calendar month,
computed on request: a recompute of a past month, or after the service was away and
its queues drained, gives the same numbers.

* registered users (用户数量): accounts active at the month's end (the latest user
  event before it), in the unit they belonged to then;
* active users: those of them who signed in during the month; login rate = active /
  registered, in percent, 2 decimals half up;
* documents received (收文登记), sent (分发) and processed (办结), each counted once per
  document in the unit of its registry (received, processed) or its drafting unit (sent);
* items started (事务发起): to-dos created; overdue documents: documents with a task
  marked overdue in the month; overdue share = overdue documents / documents with a
  to-do created or marked overdue in the month.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope, consume_once
from services.common.vocabulary import Role, utcnow
from services.metrics import arithmetic
from services.metrics.models import (
    DirTenant,
    DirUnit,
    DocumentFact,
    DocumentUnit,
    SigninFact,
    TaskFact,
    UserFact,
)
from services.metrics.schemas import (
    LEVEL_LABELS,
    IndicatorFigures,
    IndicatorLevel,
    IndicatorRow,
    IndicatorTable,
    IndicatorTrend,
    TrendPoint,
)

#: who sees the indicators: of the province, the whole province; of a city, that city
VIEWER_ROLES = (
    Role.ops.value,
    Role.tenant_admin.value,
    Role.office_leader.value,
    Role.gov_leader.value,
)
SEP = "/"

# -- facts from events ---------------------------------------------------------------------------------


def _at(value: Any, envelope: EventEnvelope) -> dt.datetime:
    if value is None:
        return envelope.occurred_at
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _tenant(envelope: EventEnvelope) -> uuid.UUID:
    if envelope.tenant_id is None:
        raise InvalidInput("invalid_event", f"event {envelope.id} has no tenant")
    return envelope.tenant_id


def record(session: Session, handler: str, envelope: EventEnvelope) -> bool:
    """Keep the fact(s) of one event; False when it was applied before."""
    scope_session(session, bypass_rls=True)
    if not consume_once(session, handler, envelope):
        session.rollback()
        return False
    data = envelope.data
    kind = envelope.type
    if kind == "tenant.created":
        tid = uuid.UUID(str(data["id"]))
        session.execute(
            pg_insert(DirTenant)
            .values(
                id=tid,
                tenant_id=tid,
                parent_id=_uuid(data["parent_id"]),
                code=data["code"],
                name=data["name"],
                path=data["path"],
            )
            .on_conflict_do_nothing()
        )
    elif kind in ("org_unit.created", "org_unit.updated"):
        values = dict(
            tenant_id=uuid.UUID(str(data["tenant_id"])),
            name=data["name"],
            kind=data["kind"],
            path=data["path"],
            depth=data["depth"],
            active=data["active"],
            updated_at=envelope.occurred_at,
        )
        stmt = pg_insert(DirUnit).values(id=uuid.UUID(str(data["id"])), **values)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[DirUnit.id],
                set_=values,
                where=DirUnit.updated_at <= stmt.excluded.updated_at,
            )
        )
    elif kind in ("user.created", "user.updated", "user.deactivated"):
        if data["tenant_id"] is not None:
            session.execute(
                pg_insert(UserFact)
                .values(
                    event_id=envelope.id,
                    tenant_id=uuid.UUID(str(data["tenant_id"])),
                    user_id=uuid.UUID(str(data["id"])),
                    org_unit_id=_uuid(data["org_unit_id"]),
                    active=bool(data["active"]) and kind != "user.deactivated",
                    at=envelope.occurred_at,
                )
                .on_conflict_do_nothing()
            )
    elif kind == "user.logged_in":
        if data["tenant_id"] is not None:
            session.execute(
                pg_insert(SigninFact)
                .values(
                    event_id=envelope.id,
                    tenant_id=uuid.UUID(str(data["tenant_id"])),
                    user_id=uuid.UUID(str(data["user_id"])),
                    org_unit_id=_uuid(data["org_unit_id"]),
                    at=_at(data["at"], envelope),
                )
                .on_conflict_do_nothing()
            )
    elif kind in ("document.registered", "outgoing.drafted"):
        tenant = _tenant(envelope)
        document_id = uuid.UUID(str(data["document_id"]))
        if kind == "document.registered":
            unit = uuid.UUID(str(data["registry_unit_id"]))
        else:
            unit = uuid.UUID(str(data["drafting_unit_id"]))
        session.execute(
            pg_insert(DocumentUnit)
            .values(document_id=document_id, tenant_id=tenant, unit_id=unit)
            .on_conflict_do_nothing()
        )
        if kind == "document.registered":
            _document(session, envelope, "received", unit, envelope.occurred_at)
    elif kind == "outgoing.dispatched":
        _document(session, envelope, "sent", None, _at(data["dispatched_at"], envelope))
    elif kind == "document.completed":
        _document(session, envelope, "processed", None, _at(data["completed_at"], envelope))
    elif kind in ("task.created", "task.overdue"):
        at = data["created_at"] if kind == "task.created" else data["overdue_at"]
        session.execute(
            pg_insert(TaskFact)
            .values(
                event_id=envelope.id,
                tenant_id=_tenant(envelope),
                kind="created" if kind == "task.created" else "overdue",
                document_id=uuid.UUID(str(data["document_id"])),
                unit_id=_uuid(data["unit_id"]),
                at=_at(at, envelope),
            )
            .on_conflict_do_nothing()
        )
    session.commit()
    return True


def _document(
    session: Session, envelope: EventEnvelope, kind: str, unit: uuid.UUID | None, at: dt.datetime
) -> None:
    session.execute(
        pg_insert(DocumentFact)
        .values(
            event_id=envelope.id,
            tenant_id=_tenant(envelope),
            kind=kind,
            document_id=uuid.UUID(str(envelope.data["document_id"])),
            unit_id=unit,
            at=at,
        )
        .on_conflict_do_nothing()
    )


# -- scope: who sees what ----------------------------------------------------------------------------


@dataclass
class Scope:
    tenant: DirTenant
    tenants: list[DirTenant]  # the scope's tenant and every tenant below it
    units: list[DirUnit]  # their org units


def _below(tenant: DirTenant, other: DirTenant) -> bool:
    return other.path == tenant.path or other.path.startswith(tenant.path + SEP)


def scope_of(session: Session, ctx: CallContext) -> Scope:
    """The province (its ops, administrator, leaders) or the caller's city (its ops and
    administrator); anyone else is refused."""
    ctx.require_user()
    tenant_id = ctx.require_tenant()
    if not ctx.roles.intersection(VIEWER_ROLES):
        raise Forbidden(
            "indicators_forbidden", "the indicators are for ops, administrators and leaders"
        )
    scope_session(session, bypass_rls=True)
    tenants = list(session.query(DirTenant).all())
    own = next((t for t in tenants if t.id == tenant_id), None)
    if own is None:
        raise NotFound("tenant_not_known", "metrics has not heard of this tenant yet")
    if own.parent_id is not None and not ctx.roles.intersection(
        {Role.ops.value, Role.tenant_admin.value}
    ):
        raise Forbidden(
            "indicators_forbidden", "a city's indicators are for its ops and administrator"
        )
    inside = [t for t in tenants if _below(own, t)]
    ids = [t.id for t in inside]
    units = list(session.query(DirUnit).filter(DirUnit.tenant_id.in_(ids)).all())
    return Scope(own, inside, units)


def _path_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(p) for p in path.strip(SEP).split(SEP) if p]


@dataclass
class Keys:
    names: dict[uuid.UUID, str]  # key -> name, in display order
    cities: dict[uuid.UUID, str | None]
    column: str  # "tenant" or "unit"
    refs: dict[uuid.UUID, uuid.UUID]  # tenant or unit id -> key


def keys_of(scope: Scope, level: IndicatorLevel) -> Keys:
    tenant_name = {t.id: t.name for t in scope.tenants}
    if level is IndicatorLevel.city:
        cities = sorted(
            (t for t in scope.tenants if t.parent_id == scope.tenant.id), key=lambda t: t.code
        )
        refs: dict[uuid.UUID, uuid.UUID] = {}
        for t in scope.tenants:
            for c in cities:
                if _below(c, t):
                    refs[t.id] = c.id
        if scope.tenant.parent_id is not None:  # a city's ops: their city alone
            cities = [scope.tenant]
            refs = {t.id: scope.tenant.id for t in scope.tenants}
        return Keys({c.id: c.name for c in cities}, {c.id: c.name for c in cities}, "tenant", refs)
    chosen = [
        u
        for u in scope.units
        if u.kind == "unit"
        and u.depth > 0
        and (level is IndicatorLevel.unit or u.tenant_id == scope.tenant.id)
    ]
    tenant_code = {t.id: t.code for t in scope.tenants}
    chosen.sort(key=lambda u: (tenant_code[u.tenant_id], u.path))
    wanted = {u.id for u in chosen}
    unit_refs: dict[uuid.UUID, uuid.UUID] = {}
    for u in scope.units:
        for ancestor in reversed(_path_ids(u.path)):
            if ancestor in wanted:
                unit_refs[u.id] = ancestor
                break
    return Keys(
        {u.id: u.name for u in chosen},
        {u.id: tenant_name.get(u.tenant_id) for u in chosen},
        "unit",
        unit_refs,
    )


# -- the aggregate -------------------------------------------------------------------------------------

AGGREGATE = """
WITH m(ref, key) AS (
    SELECT * FROM unnest(CAST(:refs AS uuid[]), CAST(:keys AS uuid[]))
),
reg AS (
    SELECT DISTINCT ON (user_id) user_id, tenant_id, org_unit_id, active
    FROM user_facts WHERE at < :end AND tenant_id = ANY(CAST(:tids AS uuid[]))
    ORDER BY user_id, at DESC, event_id DESC
),
act AS (
    SELECT DISTINCT user_id FROM signin_facts
    WHERE at >= :start AND at < :end AND tenant_id = ANY(CAST(:tids AS uuid[]))
),
u AS (
    SELECT m.key, count(*) AS registered, count(act.user_id) AS active
    FROM reg JOIN m ON m.ref = reg.{user_col} LEFT JOIN act ON act.user_id = reg.user_id
    WHERE reg.active GROUP BY m.key
),
d AS (
    SELECT m.key,
        count(DISTINCT f.document_id) FILTER (WHERE f.kind = 'received') AS received,
        count(DISTINCT f.document_id) FILTER (WHERE f.kind = 'sent') AS sent,
        count(DISTINCT f.document_id) FILTER (WHERE f.kind = 'processed') AS processed
    FROM document_facts f LEFT JOIN document_units du ON du.document_id = f.document_id
    JOIN m ON m.ref = {doc_col}
    WHERE f.at >= :start AND f.at < :end AND f.tenant_id = ANY(CAST(:tids AS uuid[]))
    GROUP BY m.key
),
t AS (
    SELECT m.key,
        count(*) FILTER (WHERE f.kind = 'created') AS items,
        count(DISTINCT f.document_id) FILTER (WHERE f.kind = 'overdue') AS overdue,
        count(DISTINCT f.document_id) AS handled
    FROM task_facts f JOIN m ON m.ref = f.{task_col}
    WHERE f.at >= :start AND f.at < :end AND f.tenant_id = ANY(CAST(:tids AS uuid[]))
    GROUP BY m.key
)
SELECT k.key,
    coalesce(u.registered, 0), coalesce(u.active, 0),
    coalesce(d.received, 0), coalesce(d.sent, 0), coalesce(d.processed, 0),
    coalesce(t.items, 0), coalesce(t.overdue, 0), coalesce(t.handled, 0)
FROM (SELECT DISTINCT key FROM m) k
LEFT JOIN u ON u.key = k.key LEFT JOIN d ON d.key = k.key LEFT JOIN t ON t.key = k.key
"""


def figures(counts: tuple[int, ...]) -> IndicatorFigures:
    registered, active, received, sent, processed, items, overdue, handled = counts
    rate = arithmetic.percent(active, registered)
    share = arithmetic.percent(overdue, handled)
    return IndicatorFigures(
        registered_users=registered,
        active_users=active,
        login_rate=rate,
        login_rate_label=arithmetic.percent_label(rate),
        documents_received=received,
        documents_sent=sent,
        documents_processed=processed,
        items_started=items,
        documents_overdue=overdue,
        overdue_share=share,
        overdue_share_label=arithmetic.percent_label(share),
    )


def aggregate(
    session: Session,
    month: str,
    tenant_ids: list[uuid.UUID],
    column: str,
    refs: dict[uuid.UUID, uuid.UUID],
) -> dict[uuid.UUID, tuple[int, ...]]:
    """Counts per key of one month over the facts of ``tenant_ids``."""
    start, end = arithmetic.month_bounds(month)
    if column == "tenant":
        cols = {"user_col": "tenant_id", "doc_col": "f.tenant_id", "task_col": "tenant_id"}
    else:
        cols = {
            "user_col": "org_unit_id",
            "doc_col": "coalesce(f.unit_id, du.unit_id)",
            "task_col": "unit_id",
        }
    if not refs:
        return {}
    rows = session.execute(
        text(AGGREGATE.format(**cols)),
        {
            "refs": [str(r) for r in refs],
            "keys": [str(k) for k in refs.values()],
            "tids": [str(t) for t in tenant_ids],
            "start": start,
            "end": end,
        },
    ).all()
    return {uuid.UUID(str(r[0])): tuple(int(v) for v in r[1:]) for r in rows}


ZERO = (0, 0, 0, 0, 0, 0, 0, 0)


def _check_month(month: str) -> None:
    arithmetic.parse_month(month)
    if month > arithmetic.month_of(utcnow()):
        raise InvalidInput("month_in_future", f"{month} has not begun")


def table(session: Session, ctx: CallContext, month: str, level: IndicatorLevel) -> IndicatorTable:
    _check_month(month)
    scope = scope_of(session, ctx)
    keys = keys_of(scope, level)
    tids = [t.id for t in scope.tenants]
    counts = aggregate(session, month, tids, keys.column, keys.refs)
    total = aggregate(session, month, tids, "tenant", {t: scope.tenant.id for t in tids})
    rows_figures = [(key, figures(counts.get(key, ZERO))) for key in keys.names]
    ranking = arithmetic.ranks([f.login_rate for _, f in rows_figures])
    rows = [
        IndicatorRow(
            key=key,
            name=keys.names[key],
            city=keys.cities.get(key),
            rank=rank,
            **f.model_dump(),
        )
        for (key, f), rank in zip(rows_figures, ranking, strict=True)
    ]
    rows.sort(key=lambda r: (r.rank, -r.documents_processed))
    session.rollback()
    return IndicatorTable(
        month=month,
        level=level,
        level_label=LEVEL_LABELS[level],
        scope_name=scope.tenant.name,
        rows=rows,
        total=figures(total.get(scope.tenant.id, ZERO)),
    )


def trend(
    session: Session, ctx: CallContext, month: str, level: IndicatorLevel, key: uuid.UUID
) -> IndicatorTrend:
    _check_month(month)
    scope = scope_of(session, ctx)
    keys = keys_of(scope, level)
    if key not in keys.names:
        raise NotFound("indicator_key_not_found", "no such department, city or unit in your scope")
    refs = {ref: k for ref, k in keys.refs.items() if k == key}
    tids = [t.id for t in scope.tenants]
    points = []
    for back in range(11, -1, -1):
        m = arithmetic.shift(month, -back)
        counts = aggregate(session, m, tids, keys.column, refs)
        points.append(TrendPoint(month=m, **figures(counts.get(key, ZERO)).model_dump()))
    session.rollback()
    return IndicatorTrend(key=key, name=keys.names[key], level=level, points=points)
