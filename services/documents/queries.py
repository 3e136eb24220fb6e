"""Every query of the documents service.

Each takes the tenant explicitly as well (row-level security would hide other
tenants' rows anyway; the filter keeps the plans on the tenant indexes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.documents.models import (
    AUDIT_LOG,
    DelegationView,
    DirectoryTenant,
    DirectoryUnit,
    Document,
    DocumentAccess,
    DocumentFile,
    InboxItem,
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


def _visible_to(user_id: uuid.UUID | None, org_unit_id: uuid.UUID | None) -> Any:
    principals = []
    if user_id is not None:
        principals.append(
            and_(DocumentAccess.principal_kind == "user", DocumentAccess.principal_id == user_id)
        )
    if org_unit_id is not None:
        principals.append(
            and_(
                DocumentAccess.principal_kind == "unit", DocumentAccess.principal_id == org_unit_id
            )
        )
    if not principals:
        return literal(False)
    return exists().where(DocumentAccess.document_id == Document.id, or_(*principals))


# -- search --------------------------------------------------------------------------------------


def search(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    sees_all: bool,
    user_id: uuid.UUID | None,
    org_unit_id: uuid.UUID | None,
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
    conditions: list[Any] = [Document.tenant_id == tenant_id]
    if not sees_all:
        conditions.append(_visible_to(user_id, org_unit_id))
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
