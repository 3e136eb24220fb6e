"""Every query of the routing service, in one place.

Each function runs inside the caller's transaction; row-level security narrows
everything to the caller's tenant as well, and the explicit ``tenant_id``
filters let the planner use the partial indexes of ``tasks`` (their leading
column).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.routing.models import (
    DocumentSummary,
    ReadItem,
    Task,
    Template,
    TemplateAssignment,
    WorkflowInstance,
)
from services.routing.schemas import TaskStatus

OPEN = TaskStatus.open.value
TASK_ORDER = (Task.urgency_rank, Task.created_at.desc(), Task.id)


def lock(session: Session, key: str) -> None:
    """A transaction-scoped advisory lock on ``key``."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


# -- templates ----------------------------------------------------------------------------------


def template(session: Session, template_id: uuid.UUID) -> Template | None:
    return session.get(Template, template_id)


def platform_template(session: Session, code: str) -> Template | None:
    """The latest version of a platform template (tenant_id NULL)."""
    return session.scalars(
        select(Template)
        .where(Template.tenant_id.is_(None), Template.code == code)
        .order_by(Template.version.desc())
        .limit(1)
    ).first()


def assigned_template(
    session: Session, tenant_id: uuid.UUID, unit_id: uuid.UUID, kind: str
) -> Template | None:
    return session.scalars(
        select(Template)
        .join(TemplateAssignment, TemplateAssignment.template_id == Template.id)
        .where(
            TemplateAssignment.tenant_id == tenant_id,
            TemplateAssignment.unit_id == unit_id,
            TemplateAssignment.kind == kind,
        )
    ).first()


def visible_templates(session: Session, tenant_id: uuid.UUID) -> Sequence[Template]:
    """The platform's templates and the tenant's own, every version."""
    return session.scalars(
        select(Template)
        .where((Template.tenant_id == tenant_id) | Template.tenant_id.is_(None))
        .order_by(Template.tenant_id.is_not(None), Template.code, Template.version.desc())
    ).all()


def assigned_units(
    session: Session, tenant_id: uuid.UUID, template_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    rows = session.execute(
        select(TemplateAssignment.template_id, TemplateAssignment.unit_id)
        .where(
            TemplateAssignment.tenant_id == tenant_id,
            TemplateAssignment.template_id.in_(template_ids),
        )
        .order_by(TemplateAssignment.assigned_at, TemplateAssignment.unit_id)
    ).all()
    out: dict[uuid.UUID, list[uuid.UUID]] = {tid: [] for tid in template_ids}
    for template_id, unit_id in rows:
        out[template_id].append(unit_id)
    return out


def next_template_version(session: Session, tenant_id: uuid.UUID, code: str) -> int:
    current = session.scalar(
        select(func.max(Template.version)).where(
            Template.tenant_id == tenant_id, Template.code == code
        )
    )
    return int(current or 0) + 1


def assign_template(
    session: Session,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    kind: str,
    unit_ids: Sequence[uuid.UUID],
    at: dt.datetime,
    by: uuid.UUID,
) -> None:
    """Make each unit use this template for documents of its kind (replacing any other)."""
    if not unit_ids:
        return
    stmt = pg_insert(TemplateAssignment).values(
        [
            {
                "tenant_id": tenant_id,
                "unit_id": unit_id,
                "kind": kind,
                "template_id": template_id,
                "assigned_at": at,
                "assigned_by": by,
            }
            for unit_id in unit_ids
        ]
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "unit_id", "kind"],
            set_={
                "template_id": stmt.excluded.template_id,
                "assigned_at": stmt.excluded.assigned_at,
                "assigned_by": stmt.excluded.assigned_by,
            },
        )
    )


# -- documents (projection) -----------------------------------------------------------------------


def summary(
    session: Session, document_id: uuid.UUID, *, lock: bool = False
) -> DocumentSummary | None:
    stmt = select(DocumentSummary).where(DocumentSummary.id == document_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=lock)).first()


def insert_summary(session: Session, values: dict[str, Any]) -> bool:
    """Add a document summary unless one is there; True when this call added it."""
    result = session.execute(
        pg_insert(DocumentSummary)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(DocumentSummary.id)
    )
    return result.first() is not None


# -- workflow instances ----------------------------------------------------------------------------


def registry_instance(session: Session, document_id: uuid.UUID) -> WorkflowInstance | None:
    return session.scalars(
        select(WorkflowInstance).where(
            WorkflowInstance.document_id == document_id,
            WorkflowInstance.role_in_document == "registry",
        )
    ).first()


def branches(session: Session, document_id: uuid.UUID) -> Sequence[WorkflowInstance]:
    """Every division branch of a document (not the registry's own instance), oldest first."""
    return session.scalars(
        select(WorkflowInstance)
        .where(
            WorkflowInstance.document_id == document_id,
            WorkflowInstance.role_in_document != "registry",
        )
        .order_by(WorkflowInstance.created_at, WorkflowInstance.id)
    ).all()


# -- tasks --------------------------------------------------------------------------------------------


def task(session: Session, tenant_id: uuid.UUID, task_id: uuid.UUID) -> Task | None:
    return session.scalars(
        select(Task).where(Task.id == task_id, Task.tenant_id == tenant_id)
    ).first()


def close_task(session: Session, task_id: uuid.UUID, version: int, values: dict[str, Any]) -> bool:
    """Compare-and-set: close an open task still at ``version``. False if somebody was first."""
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == OPEN, Task.version == version)
        .values(version=Task.version + 1, **values)
        .returning(Task.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


def open_tasks(
    session: Session,
    document_id: uuid.UUID,
    *,
    instance_id: uuid.UUID | None = None,
    step: str | None = None,
) -> Sequence[Task]:
    stmt = select(Task).where(Task.document_id == document_id, Task.status == OPEN)
    if instance_id is not None:
        stmt = stmt.where(Task.instance_id == instance_id)
    if step is not None:
        stmt = stmt.where(Task.step == step)
    return session.scalars(stmt.order_by(Task.seq)).all()


def cancel_tasks(session: Session, task_ids: Sequence[uuid.UUID], at: dt.datetime) -> None:
    if task_ids:
        session.execute(
            update(Task)
            .where(Task.id.in_(task_ids), Task.status == OPEN)
            .values(status=TaskStatus.cancelled.value, completed_at=at, version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )


def last_holder_task(session: Session, instance_ids: Sequence[uuid.UUID], step: str) -> Task | None:
    """The most recent task at ``step`` of these instances that somebody acted on."""
    return session.scalars(
        select(Task)
        .where(
            Task.instance_id.in_(instance_ids),
            Task.step == step,
            Task.completed_by.is_not(None),
            Task.status != TaskStatus.cancelled.value,
        )
        .order_by(Task.seq.desc())
        .limit(1)
    ).first()


def open_registry_task(session: Session, document_id: uuid.UUID, step: str) -> Task | None:
    return session.scalars(
        select(Task)
        .where(Task.document_id == document_id, Task.step == step, Task.status == OPEN)
        .order_by(Task.seq)
        .limit(1)
    ).first()


def involved(
    session: Session,
    document_id: uuid.UUID,
    user_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    roles: Sequence[str],
) -> bool:
    """Whether a user holds or held a task of the document (to circulate it)."""
    mine = (Task.assignee_id == user_id) | (Task.completed_by == user_id)
    if unit_id is not None and roles:
        pooled = (
            (Task.status == OPEN)
            & Task.assignee_id.is_(None)
            & (Task.unit_id == unit_id)
            & Task.roles.overlap(list(roles))
        )
        mine = mine | pooled
    return (
        session.scalar(select(literal(True)).where(Task.document_id == document_id, mine).limit(1))
        is not None
    )


# -- task rows for the contract (TaskOut needs the document's title and urgency) -------------------

TaskRow = Row[tuple[Task, str, str | None, str]]


def _task_rows(session: Session, where: Any, order: Sequence[Any]) -> list[TaskRow]:
    stmt = (
        select(Task, DocumentSummary.title, DocumentSummary.doc_number, DocumentSummary.urgency)
        .join(DocumentSummary, DocumentSummary.id == Task.document_id)
        .where(where)
        .order_by(*order)
        .execution_options(populate_existing=True)
    )
    return list(session.execute(stmt).all())


def task_rows_by_id(session: Session, task_ids: Sequence[uuid.UUID]) -> list[TaskRow]:
    """Rows of these tasks, in the order of ``task_ids``."""
    if not task_ids:
        return []
    rows = {row[0].id: row for row in _task_rows(session, Task.id.in_(task_ids), [Task.seq])}
    return [rows[i] for i in task_ids if i in rows]


def document_task_rows(
    session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> list[TaskRow]:
    return _task_rows(
        session, (Task.document_id == document_id) & (Task.tenant_id == tenant_id), [Task.seq]
    )


# -- lists ---------------------------------------------------------------------------------------------


def _todo_parts(
    tenant_id: uuid.UUID, user_id: uuid.UUID, unit_id: uuid.UUID | None, roles: Sequence[str]
) -> list[Any]:
    """The two index-backed halves of a to-do list: assigned to me; pooled to my unit."""
    parts = [(Task.tenant_id == tenant_id) & (Task.status == OPEN) & (Task.assignee_id == user_id)]
    if unit_id is not None and roles:
        parts.append(
            (Task.tenant_id == tenant_id)
            & (Task.status == OPEN)
            & Task.assignee_id.is_(None)
            & (Task.unit_id == unit_id)
            & Task.roles.overlap(list(roles))
        )
    return parts


def _page_rows(session: Session, page: Any, order: Sequence[Any]) -> list[TaskRow]:
    """The task rows of a page of ids (a limited, ordered subquery), in ``order``."""
    stmt = (
        select(Task, DocumentSummary.title, DocumentSummary.doc_number, DocumentSummary.urgency)
        .join(page, page.c.id == Task.id)
        .join(DocumentSummary, DocumentSummary.id == Task.document_id)
        .order_by(*order)
        .execution_options(populate_existing=True)
    )
    return list(session.execute(stmt).all())


def todo_page(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    roles: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[TaskRow], int]:
    """Open tasks for me, most urgent first, then newest: each half read from its own
    partial index in that order and cut at ``offset + limit`` before the merge; the
    total counts both halves on the same indexes (index-only)."""
    parts = _todo_parts(tenant_id, user_id, unit_id, roles)
    halves = [
        select(Task.id, Task.urgency_rank, Task.created_at)
        .where(part)
        .order_by(*TASK_ORDER)
        .limit(offset + limit)
        for part in parts
    ]
    merged = union_all(*halves).subquery() if len(halves) > 1 else halves[0].subquery()
    page = (
        select(merged.c.id, merged.c.urgency_rank, merged.c.created_at)
        .order_by(merged.c.urgency_rank, merged.c.created_at.desc(), merged.c.id)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    rows = _page_rows(session, page, [page.c.urgency_rank, page.c.created_at.desc(), page.c.id])
    counts = [select(func.count()).select_from(Task).where(p).scalar_subquery() for p in parts]
    total = session.scalar(select(functools.reduce(operator.add, counts))) or 0
    return rows, int(total)


def done_page(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[TaskRow], int]:
    """Tasks I acted on (已办), newest first."""
    where = (Task.tenant_id == tenant_id) & (Task.completed_by == user_id)
    page = (
        select(Task.id, Task.completed_at)
        .where(where)
        .order_by(Task.completed_at.desc(), Task.id)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    rows = _page_rows(session, page, [page.c.completed_at.desc(), page.c.id])
    total = session.scalar(select(func.count()).select_from(Task).where(where)) or 0
    return rows, int(total)


ReadRow = Row[tuple[ReadItem, str, str]]


def read_rows(session: Session, where: Any, order: Sequence[Any] = ()) -> list[ReadRow]:
    stmt = (
        select(ReadItem, DocumentSummary.title, DocumentSummary.urgency)
        .join(DocumentSummary, DocumentSummary.id == ReadItem.document_id)
        .where(where)
        .order_by(*order)
        .execution_options(populate_existing=True)
    )
    return list(session.execute(stmt).all())


def to_read_page(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[ReadRow], int]:
    """My read items (待阅), unread first, then newest."""
    where = (ReadItem.tenant_id == tenant_id) & (ReadItem.recipient_id == user_id)
    ids = session.scalars(
        select(ReadItem.id)
        .where(where)
        .order_by(ReadItem.read_at.is_not(None), ReadItem.sent_at.desc(), ReadItem.id)
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ReadItem).where(where)) or 0
    rows = {row[0].id: row for row in read_rows(session, ReadItem.id.in_(ids))} if ids else {}
    return [rows[i] for i in ids if i in rows], total


def read_item(session: Session, tenant_id: uuid.UUID, item_id: uuid.UUID) -> ReadRow | None:
    rows = read_rows(session, (ReadItem.id == item_id) & (ReadItem.tenant_id == tenant_id))
    return rows[0] if rows else None


def add_read_items(session: Session, values: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert read items, skipping people who already have this document to read."""
    if not values:
        return []
    result = session.execute(
        pg_insert(ReadItem)
        .values(list(values))
        .on_conflict_do_nothing(index_elements=["document_id", "recipient_id"])
        .returning(ReadItem.id)
    )
    return [row[0] for row in result]


def read_items_for(
    session: Session, document_id: uuid.UUID, recipient_ids: Sequence[uuid.UUID]
) -> list[ReadRow]:
    return read_rows(
        session,
        (ReadItem.document_id == document_id) & ReadItem.recipient_id.in_(recipient_ids),
    )


def mark_read(session: Session, item_id: uuid.UUID, at: dt.datetime) -> bool:
    """Set read_at once; False when it was read already."""
    result = session.execute(
        update(ReadItem)
        .where(ReadItem.id == item_id, ReadItem.read_at.is_(None))
        .values(read_at=at)
        .returning(ReadItem.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None
