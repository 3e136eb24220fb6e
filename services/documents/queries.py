"""Every query of the documents service.

Each takes the tenant explicitly as well (row-level security would hide other
tenants' rows anyway; the filter keeps the plans on the tenant indexes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, defer

from services.documents.models import (
    AUDIT_LOG,
    DelegationView,
    DirectoryTenant,
    DirectoryUnit,
    Document,
    DocumentAccess,
    DocumentFile,
    DocumentHold,
    InboxItem,
    Instruction,
    InstructionCounter,
    LeaderNumbering,
    Opinion,
)
from services.documents.trail import TARGET

# -- documents ---------------------------------------------------------------------------------


def document(
    session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID, *, for_update: bool = False
) -> Document | None:
    stmt = select(Document).where(Document.tenant_id == tenant_id, Document.id == document_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def files_of(
    session: Session, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentFile]]:
    out: dict[uuid.UUID, list[DocumentFile]] = {d: [] for d in document_ids}
    if not document_ids:
        return out
    rows = session.execute(
        select(DocumentFile)
        .where(DocumentFile.document_id.in_(document_ids))
        .order_by(DocumentFile.uploaded_at, DocumentFile.id)
    ).scalars()
    for row in rows:
        out[row.document_id].append(row)
    return out


def file(session: Session, tenant_id: uuid.UUID, file_id: uuid.UUID) -> DocumentFile | None:
    return session.execute(
        select(DocumentFile).where(DocumentFile.tenant_id == tenant_id, DocumentFile.id == file_id)
    ).scalar_one_or_none()


def file_by_upload(
    session: Session, tenant_id: uuid.UUID, upload_id: uuid.UUID
) -> DocumentFile | None:
    return session.execute(
        select(DocumentFile).where(
            DocumentFile.tenant_id == tenant_id, DocumentFile.upload_id == upload_id
        )
    ).scalar_one_or_none()


# -- visibility ----------------------------------------------------------------------------------


def grants_of(session: Session, document_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    rows = session.execute(
        select(DocumentAccess.principal_kind, DocumentAccess.principal_id).where(
            DocumentAccess.document_id == document_id
        )
    ).all()
    return [(kind, pid) for kind, pid in rows]


def grant_access(
    session: Session,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    grants: Iterable[tuple[str, uuid.UUID, str]],
    at: dt.datetime,
) -> None:
    """Record ``(kind, principal id, reason)`` grants; a grant that exists stays as it was."""
    values = [
        {
            "tenant_id": tenant_id,
            "document_id": document_id,
            "principal_kind": kind,
            "principal_id": pid,
            "reason": reason,
            "granted_at": at,
        }
        for kind, pid, reason in grants
    ]
    if values:
        session.execute(pg_insert(DocumentAccess).values(values).on_conflict_do_nothing())


def visible_documents(
    *,
    sees_all: bool,
    sees_restricted: bool,
    registrar: bool,
    roles: Sequence[str],
    user_id: uuid.UUID | None,
    org_unit_id: uuid.UUID | None,
    acting_for: Sequence[uuid.UUID] = (),
) -> Any:
    """The documents a caller may see, as a condition on ``Document`` (the SQL twin of
    :func:`services.documents.rules.may_see`): a 领导批示件 only within its scope."""
    if sees_restricted:
        return true()
    people = [p for p in (user_id, *acting_for) if p is not None]
    person = (
        exists().where(
            DocumentAccess.document_id == Document.id,
            DocumentAccess.principal_kind == "user",
            DocumentAccess.principal_id.in_(people),
        )
        if people
        else literal(False)
    )
    division = (
        exists().where(
            DocumentAccess.document_id == Document.id,
            DocumentAccess.principal_kind == "unit",
            DocumentAccess.principal_id == org_unit_id,
        )
        if org_unit_id is not None
        else literal(False)
    )
    pooled = (
        exists().where(
            DocumentHold.document_id == Document.id,
            DocumentHold.assignee_id.is_(None),
            DocumentHold.unit_id == org_unit_id,
            DocumentHold.roles.overlap(cast(list(roles), ARRAY(String(40)))),
        )
        if org_unit_id is not None and roles
        else literal(False)
    )
    ordinary = true() if sees_all else or_(person, division)
    registry = (
        Document.registry_unit_id == org_unit_id
        if registrar and org_unit_id is not None
        else literal(False)
    )
    return or_(
        and_(not_(Document.is_leader_instruction), ordinary),
        and_(Document.is_leader_instruction, or_(registry, person, pooled)),
    )


def holding_units(
    session: Session, document_id: uuid.UUID, roles: Sequence[str]
) -> list[uuid.UUID]:
    """Divisions holding one of the document's pooled tasks now at a step one of
    ``roles`` may act on."""
    return [
        u
        for u, step_roles in session.execute(
            select(DocumentHold.unit_id, DocumentHold.roles).where(
                DocumentHold.document_id == document_id, DocumentHold.assignee_id.is_(None)
            )
        ).all()
        if u is not None and not set(step_roles or []).isdisjoint(roles)
    ]


def holds_of(
    session: Session, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentHold]]:
    out: dict[uuid.UUID, list[DocumentHold]] = {d: [] for d in document_ids}
    if not document_ids:
        return out
    rows = session.scalars(
        select(DocumentHold)
        .where(DocumentHold.document_id.in_(list(document_ids)))
        .order_by(DocumentHold.created_at)
    )
    for row in rows:
        out[row.document_id].append(row)
    return out


def add_hold(session: Session, values: dict[str, Any]) -> None:
    session.execute(pg_insert(DocumentHold).values(values).on_conflict_do_nothing())


def drop_hold(session: Session, task_id: uuid.UUID) -> None:
    session.execute(delete(DocumentHold).where(DocumentHold.task_id == task_id))


def mark_hold_overdue(session: Session, task_id: uuid.UUID) -> None:
    hold = session.get(DocumentHold, task_id)
    if hold is not None:
        hold.overdue = True


# -- leader instructions (领导批示) ------------------------------------------------------------


def next_serial(session: Session, tenant_id: uuid.UUID, leader_id: uuid.UUID, year: int) -> int:
    """The next serial of a 厅领导's instructions in ``year``: the counter row is locked
    until the calling transaction ends, so concurrent instructions queue here and a
    rolled-back one gives its number back."""
    stmt = (
        pg_insert(InstructionCounter)
        .values(tenant_id=tenant_id, leader_id=leader_id, year=year, last_serial=1)
        .on_conflict_do_update(
            index_elements=["tenant_id", "leader_id", "year"],
            set_={"last_serial": InstructionCounter.last_serial + 1},
        )
        .returning(InstructionCounter.last_serial)
    )
    return int(session.execute(stmt).scalar_one())


def serial_format(session: Session, tenant_id: uuid.UUID, leader_id: uuid.UUID) -> str | None:
    row = session.get(LeaderNumbering, (tenant_id, leader_id))
    return row.serial_format if row is not None else None


def number_taken(
    session: Session, tenant_id: uuid.UUID, leader_id: uuid.UUID, year: int, key: str
) -> Instruction | None:
    return session.scalars(
        select(Instruction).where(
            Instruction.tenant_id == tenant_id,
            Instruction.leader_id == leader_id,
            Instruction.year == year,
            Instruction.number_key == key,
        )
    ).first()


def instruction(
    session: Session, tenant_id: uuid.UUID, instruction_id: uuid.UUID, *, for_update: bool = False
) -> Instruction | None:
    stmt = select(Instruction).where(
        Instruction.tenant_id == tenant_id, Instruction.id == instruction_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def instructions_by_opinion(
    session: Session, opinion_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Instruction]:
    if not opinion_ids:
        return {}
    rows = session.scalars(select(Instruction).where(Instruction.opinion_id.in_(list(opinion_ids))))
    return {row.opinion_id: row for row in rows}


def search_instructions(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    visible: Any,
    number_key: str | None,
    leader_id: uuid.UUID | None,
    year: int | None,
    since: dt.date | None,
    until: dt.date | None,
    tsquery: str | None,
    terms: Sequence[str],
    on_behalf: bool | None,
    limit: int | None,
    offset: int,
    oldest_first: bool = False,
    count_cap: int | None = None,
) -> tuple[list[tuple[Instruction, Document]], int]:
    """Instructions on documents the caller may see matching every filter, newest first,
    and how many match (counted up to ``count_cap``)."""
    conditions: list[Any] = [Instruction.tenant_id == tenant_id, visible]
    if number_key:
        conditions.append(Instruction.number_key == number_key)
    if leader_id is not None:
        conditions.append(Instruction.leader_id == leader_id)
    if year is not None:
        conditions.append(Instruction.year == year)
    if since is not None:
        conditions.append(Instruction.instructed_on >= since)
    if until is not None:
        conditions.append(Instruction.instructed_on <= until)
    if tsquery:
        conditions.append(Instruction.search_grams.op("@@")(cast(tsquery, TSQUERY)))
    for term in terms:  # the grams narrow (GIN index); the words themselves decide
        conditions.append(func.strpos(Instruction.search_text, term) > 0)
    if on_behalf is True:
        conditions.append(Instruction.entered_by != Instruction.leader_id)
    elif on_behalf is False:
        conditions.append(Instruction.entered_by == Instruction.leader_id)
    base = (
        select(Instruction, Document)
        .join(Document, Document.id == Instruction.document_id)
        .where(*conditions)
        .options(defer(Instruction.search_grams), defer(Document.title_grams))
    )
    counted = base.with_only_columns(Instruction.id)
    if count_cap is not None:
        counted = counted.limit(count_cap)
    total = int(session.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    order = (
        (Instruction.instructed_at, Instruction.id)
        if oldest_first
        else (Instruction.instructed_at.desc(), Instruction.id.desc())
    )
    stmt = base.order_by(*order).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [(i, d) for i, d in session.execute(stmt).all()]
    return rows, total


def my_instructed_documents(
    session: Session,
    tenant_id: uuid.UUID,
    leader_id: uuid.UUID,
    *,
    open_only: bool,
    limit: int,
    offset: int,
) -> tuple[list[Document], int]:
    """The documents a leader instructed on, the latest instruction first."""
    latest = (
        select(Instruction.document_id, func.max(Instruction.instructed_at).label("at"))
        .where(Instruction.tenant_id == tenant_id, Instruction.leader_id == leader_id)
        .group_by(Instruction.document_id)
        .subquery()
    )
    base = select(Document, latest.c.at).join(latest, latest.c.document_id == Document.id)
    if open_only:
        base = base.where(
            Document.status.in_(["registered", "distributed"]), Document.forwarded_at.is_(None)
        )
    total = int(session.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    rows = session.execute(
        base.order_by(latest.c.at.desc(), Document.id).limit(limit).offset(offset)
    ).all()
    return [d for d, _ in rows], total


def instructions_on(
    session: Session, document_ids: Sequence[uuid.UUID], leader_id: uuid.UUID
) -> dict[uuid.UUID, list[Instruction]]:
    out: dict[uuid.UUID, list[Instruction]] = {d: [] for d in document_ids}
    if not document_ids:
        return out
    rows = session.scalars(
        select(Instruction)
        .where(Instruction.document_id.in_(list(document_ids)), Instruction.leader_id == leader_id)
        .order_by(Instruction.instructed_at)
    )
    for row in rows:
        out[row.document_id].append(row)
    return out


# -- search --------------------------------------------------------------------------------------


def search(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    visible: Any,
    tsquery: str | None,
    terms: Sequence[str],
    doc_number: str | None,
    source_org: str | None,
    received_from: dt.date | None,
    received_to: dt.date | None,
    status: str | None,
    unit_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Document], int]:
    """Documents of the tenant the caller may see that match every given filter,
    newest first, and how many match in all."""
    conditions: list[Any] = [Document.tenant_id == tenant_id, visible]
    if tsquery:
        conditions.append(Document.title_grams.op("@@")(cast(tsquery, TSQUERY)))
    for term in terms:  # the grams narrow (GIN index); the words themselves decide
        conditions.append(func.strpos(Document.title_search, term) > 0)
    if doc_number:
        conditions.append(Document.doc_number.startswith(doc_number, autoescape=True))
    if source_org:
        conditions.append(Document.source_org.icontains(source_org, autoescape=True))
    if received_from is not None:
        conditions.append(Document.received_date >= received_from)
    if received_to is not None:
        conditions.append(Document.received_date <= received_to)
    if status:
        conditions.append(Document.status == status)
    if unit_id is not None:
        conditions.append(
            or_(
                Document.lead_unit_id == unit_id,
                Document.assisting_unit_ids.contains(cast([unit_id], ARRAY(PG_UUID(as_uuid=True)))),
            )
        )
    base: Select[Any] = select(Document).where(*conditions)
    total = int(session.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    rows = list(
        session.execute(
            base.order_by(Document.registered_at.desc(), Document.id.desc())
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    return rows, total


# -- opinions ------------------------------------------------------------------------------------


def opinions_of(session: Session, document_id: uuid.UUID) -> list[Opinion]:
    """In the order they were written (events may arrive out of order)."""
    return list(
        session.execute(
            select(Opinion)
            .where(Opinion.document_id == document_id)
            .order_by(Opinion.created_at, Opinion.seq)
        ).scalars()
    )


def next_opinion_seq(session: Session, document: Document) -> int:
    """The next number in the order opinions were recorded (the document row is
    locked by the caller); it breaks ties of equal times on the slip."""
    document.opinion_seq += 1
    return document.opinion_seq


# -- trace ---------------------------------------------------------------------------------------


def trace_rows(
    session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> list[dict[str, Any]]:
    """A document's trail rows in the order the actions happened."""
    rows = session.execute(
        select(
            AUDIT_LOG.c.id,
            AUDIT_LOG.c.occurred_at,
            AUDIT_LOG.c.action,
            AUDIT_LOG.c.actor_id,
            AUDIT_LOG.c.on_behalf_of,
            AUDIT_LOG.c.before,
            AUDIT_LOG.c.after,
        )
        .where(
            AUDIT_LOG.c.tenant_id == tenant_id,
            AUDIT_LOG.c.target_type == TARGET,
            AUDIT_LOG.c.target_id == str(document_id),
        )
        .order_by(AUDIT_LOG.c.occurred_at, AUDIT_LOG.c.id)
    ).mappings()
    return [dict(r) for r in rows]


# -- delivery: the address book and the inbox ------------------------------------------------------


def directory_tenant(
    session: Session, *, tenant_id: uuid.UUID | None = None, code: str | None = None
) -> DirectoryTenant | None:
    stmt = select(DirectoryTenant)
    if tenant_id is not None:
        stmt = stmt.where(DirectoryTenant.id == tenant_id)
    if code is not None:
        stmt = stmt.where(DirectoryTenant.code == code)
    return session.execute(stmt).scalar_one_or_none()


def directory_units(
    session: Session, unit_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, DirectoryUnit]:
    ids = list(dict.fromkeys(unit_ids))
    if not ids:
        return {}
    rows = session.execute(select(DirectoryUnit).where(DirectoryUnit.id.in_(ids))).scalars()
    return {row.id: row for row in rows}


def address_book(
    session: Session, *, tenant_code: str | None, q: str | None, limit: int
) -> tuple[list[DirectoryTenant], list[tuple[DirectoryUnit, DirectoryTenant]]]:
    """Tenants and their active units as identity announced them (the tree order)."""
    tenants = list(session.scalars(select(DirectoryTenant).order_by(DirectoryTenant.path)))
    stmt = (
        select(DirectoryUnit, DirectoryTenant)
        .join(DirectoryTenant, DirectoryTenant.id == DirectoryUnit.tenant_id)
        .where(DirectoryUnit.active.is_(True))
    )
    if tenant_code:
        stmt = stmt.where(DirectoryTenant.code == tenant_code)
    if q:
        stmt = stmt.where(DirectoryUnit.name.icontains(q, autoescape=True))
    rows = session.execute(
        stmt.order_by(DirectoryTenant.path, DirectoryUnit.path).limit(limit)
    ).all()
    return tenants, [(u, t) for u, t in rows]


def upsert_directory_tenant(session: Session, values: dict[str, Any]) -> None:
    """Record a tenant as of ``values["as_of"]``; an older fact never replaces a newer one."""
    stmt = pg_insert(DirectoryTenant).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DirectoryTenant.id],
            set_={k: stmt.excluded[k] for k in ("code", "name", "parent_id", "path", "as_of")},
            where=DirectoryTenant.as_of <= stmt.excluded.as_of,
        )
    )


def upsert_directory_units(session: Session, values: list[dict[str, Any]]) -> None:
    """Record org units as of each ``as_of``; an older fact never replaces a newer one."""
    if not values:
        return
    stmt = pg_insert(DirectoryUnit).values(values)
    columns = ("tenant_id", "name", "kind", "parent_id", "path", "active", "as_of")
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DirectoryUnit.id],
            set_={k: stmt.excluded[k] for k in columns},
            where=DirectoryUnit.as_of <= stmt.excluded.as_of,
        )
    )


def inbox_item(
    session: Session, tenant_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool = False
) -> InboxItem | None:
    stmt = select(InboxItem).where(InboxItem.tenant_id == tenant_id, InboxItem.id == item_id)
    if for_update:  # and read the row as it is now, not as this session last saw it
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def inbox_of(
    session: Session,
    tenant_id: uuid.UUID,
    unit_id: uuid.UUID,
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[InboxItem], int]:
    """A unit's inbox, newest first, and how many items match in all."""
    conditions: list[Any] = [
        InboxItem.tenant_id == tenant_id,
        InboxItem.recipient_unit_id == unit_id,
    ]
    if status:
        conditions.append(InboxItem.status == status)
    total = int(
        session.execute(select(func.count()).select_from(InboxItem).where(*conditions)).scalar_one()
    )
    rows = list(
        session.execute(
            select(InboxItem)
            .where(*conditions)
            .order_by(InboxItem.sent_at.desc(), InboxItem.id.desc())
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    return rows, total


# -- delegations (授权), as identity announced them ----------------------------------------------


def upsert_delegation(session: Session, values: dict[str, Any]) -> None:
    """Keep a delegation as announced (created, then perhaps revoked: revoked stays)."""
    stmt = pg_insert(DelegationView).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DelegationView.id],
            set_={
                "revoked_at": func.coalesce(DelegationView.revoked_at, stmt.excluded.revoked_at),
                "ends_at": stmt.excluded.ends_at,
            },
        )
    )


def leaders_acted_for(
    session: Session, tenant_id: uuid.UUID, secretary_id: uuid.UUID, at: dt.datetime
) -> list[uuid.UUID]:
    """The leaders whose instructions ``secretary_id`` may enter at ``at``."""
    return list(
        session.scalars(
            select(DelegationView.leader_id).where(
                DelegationView.tenant_id == tenant_id,
                DelegationView.secretary_id == secretary_id,
                DelegationView.scope == "instructions",
                DelegationView.starts_at <= at,
                DelegationView.ends_at > at,
                DelegationView.revoked_at.is_(None),
            )
        )
    )
