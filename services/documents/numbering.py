"""Document numbers of outgoing documents (发文字号, DESIGN 4.2, GB/T 9704-2012).

Series are data per unit (机关代字 such as 黔府办函). A number is
``<prefix>〔<full year>〕<n>号`` — the year in full inside 六角括号, ``n`` without
leading zeros and without 第. The next ``n`` of a series and year comes from a counter
row advanced in the transaction that gives the number (locked until it ends), and
every number given is a row — assigned, reserved (预留) or voided (作废, with the
reason) — so a year's series has no hole and no number is given twice."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.audit import append_audit
from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.vocabulary import SHANGHAI, OrgUnitKind, Role, utcnow
from services.documents import queries
from services.documents.delivery import IdentityDirectory, refresh_own_tenant
from services.documents.models import (
    DirectoryUnit,
    Document,
    DocumentNumber,
    NumberSeries,
    OutgoingDocument,
    SeriesCounter,
)
from services.documents.schemas import (
    DocumentNumberOut,
    NumberReserve,
    NumberState,
    NumberVoid,
    SeriesCreate,
    SeriesOut,
    SeriesYearOut,
)

#: characters a 机关代字 never holds: the year's brackets, 第, 号, digits
BAD_PREFIX = re.compile(r"[〔〕\[\]()（）{}【】第号0-9０-９\s]")
TARGET = "number_series"


def document_number(prefix: str, year: int, n: int) -> str:
    """黔府办函〔2026〕65号 (GB/T 9704-2012 7.2.4)."""
    if n < 1:
        raise ValueError("document numbers start at 1")
    return f"{prefix}〔{year}〕{n}号"


def check_prefix(prefix: str) -> None:
    if BAD_PREFIX.search(prefix):
        raise InvalidInput(
            "bad_series_prefix",
            "a series is the 机关代字 only (e.g. 黔府办函): no year, brackets, 第, 号 or digits",
        )


def this_year() -> int:
    return utcnow().astimezone(SHANGHAI).year


def series_not_found() -> NotFound:
    return NotFound("series_not_found", "no such series of document numbers")


# -- who numbers in a series ------------------------------------------------------------------


def _unit_row(
    session: Session, identity: IdentityDirectory, unit_id: uuid.UUID
) -> DirectoryUnit | None:
    found = queries.directory_units(session, [unit_id]).get(unit_id)
    if found is None:
        refresh_own_tenant(session, identity)
        found = queries.directory_units(session, [unit_id]).get(unit_id)
    return found


def owning_unit(
    session: Session, identity: IdentityDirectory, org_unit_id: uuid.UUID
) -> uuid.UUID | None:
    """The 单位 a division or section belongs to: itself when it is one, else the
    nearest unit above it (a sub-unit such as 机关事务局 has a registry and series of
    its own)."""
    current = _unit_row(session, identity, org_unit_id)
    seen: set[uuid.UUID] = set()
    while current is not None and current.id not in seen:
        if current.kind == OrgUnitKind.unit.value or current.parent_id is None:
            return current.id
        seen.add(current.id)
        current = queries.directory_units(session, [current.parent_id]).get(current.parent_id)
    return None


def _within(session: Session, identity: IdentityDirectory, unit: uuid.UUID, top: uuid.UUID) -> bool:
    """Whether ``unit`` belongs to the 单位 ``top`` (its own registry numbers there)."""
    return owning_unit(session, identity, unit) == top


def _require_registry_of(
    session: Session, ctx: CallContext, identity: IdentityDirectory, series: NumberSeries
) -> None:
    """A registrar of the series' unit (its registry is at or below the unit)."""
    if Role.registrar not in ctx.roles:
        raise Forbidden("role_required", "needs the role: registrar")
    if ctx.org_unit_id is None or not _within(session, identity, ctx.org_unit_id, series.unit_id):
        raise Forbidden("not_own_series", "this series is another unit's")


# -- series -----------------------------------------------------------------------------------


def _series_out(session: Session, row: NumberSeries, year: int | None = None) -> SeriesOut:
    year = year or this_year()
    counter = session.get(SeriesCounter, (row.id, year))
    last = counter.last_n if counter is not None else 0
    unit = queries.directory_units(session, [row.unit_id]).get(row.unit_id)
    return SeriesOut(
        id=row.id,
        unit_id=row.unit_id,
        unit_name=unit.name if unit is not None else None,
        prefix=row.prefix,
        name=row.name,
        active=row.active,
        year=year,
        last_n=last,
        next_number=document_number(row.prefix, year, last + 1),
    )


def create_series(
    session: Session, ctx: CallContext, identity: IdentityDirectory, req: SeriesCreate
) -> SeriesOut:
    """A new series of a unit (the tenant administrator, or a registrar of the unit)."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    check_prefix(req.prefix)
    unit = _unit_row(session, identity, req.unit_id)
    if unit is None or unit.tenant_id != tenant_id or not unit.active:
        raise NotFound("unit_not_found", "no such active unit in this tenant")
    if unit.kind != OrgUnitKind.unit.value and unit.parent_id is not None:
        raise InvalidInput("not_a_unit", "series belong to a 单位, not to a division or section")
    if Role.tenant_admin not in ctx.roles:
        if Role.registrar not in ctx.roles:
            raise Forbidden("role_required", "needs the role: tenant_admin or registrar")
        if ctx.org_unit_id is None or not _within(session, identity, ctx.org_unit_id, unit.id):
            raise Forbidden("not_own_series", "a registrar makes series of their own unit")
    now = utcnow()
    series_id = uuid.uuid4()
    inserted = session.execute(
        pg_insert(NumberSeries)
        .values(
            id=series_id,
            tenant_id=tenant_id,
            unit_id=unit.id,
            prefix=req.prefix,
            name=req.name or None,
            active=True,
            created_by=user_id,
            created_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_number_series_prefix")
        .returning(NumberSeries.id)
    ).first()
    if inserted is None:
        session.rollback()
        raise Conflict("series_exists", f"the series {req.prefix} exists in this tenant")
    _trail(
        session,
        ctx,
        tenant_id,
        series_id,
        "series.create",
        {"prefix": req.prefix, "unit_id": str(unit.id)},
        now,
    )
    session.commit()
    found = session.get(NumberSeries, series_id)
    assert found is not None
    return _series_out(session, found)


def list_series(session: Session, ctx: CallContext) -> list[SeriesOut]:
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    rows = session.scalars(
        select(NumberSeries)
        .where(NumberSeries.tenant_id == tenant_id)
        .order_by(NumberSeries.prefix)
    )
    return [_series_out(session, row) for row in rows]


def _series(
    session: Session, ctx: CallContext, series_id: uuid.UUID, *, lock: bool = False
) -> NumberSeries:
    tenant_id = ctx.require_tenant()
    stmt = select(NumberSeries).where(
        NumberSeries.tenant_id == tenant_id, NumberSeries.id == series_id
    )
    if lock:
        stmt = stmt.with_for_update(read=True)
    row = session.scalars(stmt).first()
    if row is None:
        raise series_not_found()
    return row


# -- giving numbers ---------------------------------------------------------------------------


def next_n(session: Session, tenant_id: uuid.UUID, series_id: uuid.UUID, year: int) -> int:
    """The next ``n`` of a series and year; the counter row stays locked until the
    caller's transaction ends (concurrent numberings queue; a rollback gives it back)."""
    stmt = (
        pg_insert(SeriesCounter)
        .values(tenant_id=tenant_id, series_id=series_id, year=year, last_n=1)
        .on_conflict_do_update(
            index_elements=["series_id", "year"],
            set_={"last_n": SeriesCounter.last_n + 1},
        )
        .returning(SeriesCounter.last_n)
    )
    return int(session.execute(stmt).scalar_one())


def give_number(
    session: Session,
    ctx: CallContext,
    series: NumberSeries,
    *,
    state: NumberState,
    document_id: uuid.UUID | None,
    purpose: str | None,
    now: dt.datetime,
) -> DocumentNumber:
    """The next number of the series this year, recorded as ``state`` (in the caller's
    transaction: the outgoing document's numbering step uses it too)."""
    if not series.active:
        raise Conflict("series_inactive", "the series is no longer used")
    year = now.astimezone(SHANGHAI).year
    n = next_n(session, series.tenant_id, series.id, year)
    row = DocumentNumber(
        id=uuid.uuid4(),
        tenant_id=series.tenant_id,
        series_id=series.id,
        year=year,
        n=n,
        number=document_number(series.prefix, year, n),
        state=state.value,
        document_id=document_id,
        purpose=purpose,
        given_by=ctx.require_user(),
        given_at=now,
    )
    session.add(row)
    session.flush()
    return row


def reserve(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    series_id: uuid.UUID,
    req: NumberReserve,
) -> DocumentNumberOut:
    """预留: the registry takes the next number, e.g. for a document issued on paper."""
    series = _series(session, ctx, series_id, lock=True)
    _require_registry_of(session, ctx, identity, series)
    now = utcnow()
    row = give_number(
        session,
        ctx,
        series,
        state=NumberState.reserved,
        document_id=None,
        purpose=req.purpose,
        now=now,
    )
    _trail(
        session,
        ctx,
        series.tenant_id,
        series.id,
        "number.reserve",
        {"number": row.number, "purpose": req.purpose},
        now,
    )
    session.commit()
    return number_out(row)


def void(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    number_id: uuid.UUID,
    req: NumberVoid,
) -> DocumentNumberOut:
    """作废: a reserved or assigned number, with the reason; it is never given again."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    row = session.scalars(
        select(DocumentNumber)
        .where(DocumentNumber.tenant_id == tenant_id, DocumentNumber.id == number_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound("number_not_found", "no such document number")
    series = _series(session, ctx, row.series_id)
    _require_registry_of(session, ctx, identity, series)
    if row.state == NumberState.voided.value:
        raise Conflict("number_voided", "the number is voided already")
    outgoing = session.get(OutgoingDocument, row.document_id) if row.document_id else None
    if outgoing is not None and outgoing.dispatched_at is not None:
        raise Conflict(
            "number_dispatched",
            "the number went out on a dispatched document: it cannot be voided",
        )
    now = utcnow()
    if outgoing is not None and outgoing.number_id == row.id:
        document = session.get(Document, row.document_id)
        if document is not None:  # it is numbered again before it is dispatched
            document.doc_number = None
    before = {"state": row.state}
    row.state, row.voided_by, row.voided_at, row.void_reason = (
        NumberState.voided.value,
        user_id,
        now,
        req.reason,
    )
    _trail(
        session,
        ctx,
        tenant_id,
        series.id,
        "number.void",
        {"number": row.number, "reason": req.reason, "was": before["state"]},
        now,
    )
    session.commit()
    return number_out(row)


def series_year(
    session: Session, ctx: CallContext, series_id: uuid.UUID, year: int | None
) -> SeriesYearOut:
    """Every number of the series in the year, 1…last, with what became of each."""
    series = _series(session, ctx, series_id)
    wanted = year or this_year()
    rows = list(
        session.scalars(
            select(DocumentNumber)
            .where(DocumentNumber.series_id == series.id, DocumentNumber.year == wanted)
            .order_by(DocumentNumber.n)
        )
    )
    out = _series_out(session, series, wanted)
    counts = Counter(r.state for r in rows)
    return SeriesYearOut(
        series=out,
        year=wanted,
        last_n=out.last_n,
        counts={state.value: counts.get(state.value, 0) for state in NumberState},
        numbers=[number_out(r) for r in rows],
    )


def number_out(row: DocumentNumber) -> DocumentNumberOut:
    return DocumentNumberOut(
        id=row.id,
        series_id=row.series_id,
        year=row.year,
        n=row.n,
        number=row.number,
        state=NumberState(row.state),
        document_id=row.document_id,
        purpose=row.purpose,
        given_by=row.given_by,
        given_at=row.given_at,
        voided_by=row.voided_by,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
    )


def _trail(
    session: Session,
    ctx: CallContext,
    tenant_id: uuid.UUID,
    series_id: uuid.UUID,
    action: str,
    after: dict[str, object],
    at: dt.datetime,
) -> None:
    append_audit(
        session,
        tenant_id=tenant_id,
        action=action,
        target_type=TARGET,
        target_id=series_id,
        after=dict(after),
        ctx=ctx,
        occurred_at=at,
    )
