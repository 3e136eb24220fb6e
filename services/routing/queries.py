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

from psycopg2.extras import execute_values
from sqlalchemy import (
    Row,
    Text,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, aliased

from services.routing.models import (
    CalendarOverride,
    CalendarState,
    CalendarYear,
    DocumentSummary,
    ReadItem,
    Task,
    Template,
    TemplateAssignment,
    TenantNode,
    TestClock,
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


def set_open_tasks_urgency(session: Session, document_id: uuid.UUID, rank: int) -> None:
    """A document's urgency changed: its open tasks sort by the new one."""
    session.execute(
        update(Task)
        .where(Task.document_id == document_id, Task.status == "open")
        .values(urgency_rank=rank)
    )


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


def tasks_after(session: Session, task_id: uuid.UUID) -> list[Task]:
    """The tasks an action on ``task_id`` opened (locked: 撤回 looks at them)."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.previous_task_id == task_id)
            .order_by(Task.seq)
            .with_for_update()
        )
    )


def cancel_if_unchanged(
    session: Session, task_id: uuid.UUID, version: int, at: dt.datetime
) -> bool:
    """Compare-and-set: cancel an open task still at ``version`` (转交)."""
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == OPEN, Task.version == version)
        .values(status=TaskStatus.cancelled.value, completed_at=at, version=Task.version + 1)
        .returning(Task.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


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


def passed_tasks(
    session: Session, instance_ids: Sequence[uuid.UUID], before_seq: int
) -> list[Task]:
    """Tasks of these instances somebody acted on before ``before_seq``, the latest first."""
    return list(
        session.scalars(
            select(Task)
            .where(
                Task.instance_id.in_(instance_ids),
                Task.completed_by.is_not(None),
                Task.status != TaskStatus.cancelled.value,
                Task.seq < before_seq,
            )
            .order_by(Task.seq.desc())
        )
    )


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


def instructed_on(session: Session, document_id: uuid.UUID, leader_id: uuid.UUID) -> bool:
    """Whether a leader gave an instruction (批示) on the document, themselves or entered
    by a secretary on their behalf (领导指示 tracking: they may urge its tasks)."""
    mine = (Task.on_behalf_of_id == leader_id) | (
        (Task.completed_by == leader_id) & Task.on_behalf_of_id.is_(None)
    )
    found = session.scalar(
        select(literal(True))
        .where(Task.document_id == document_id, Task.action == "instruct", mine)
        .limit(1)
    )
    return found is not None


# -- task rows for the contract (TaskOut needs the document's title and urgency) -------------------

TaskRow = Row[tuple[Task, str, str | None, str]]
#: the tasks of a document, as a second alias of ``tasks`` in a query about other tasks
Route = aliased(Task)


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


def _todo_parts(with_pool: bool) -> list[Any]:
    """The two index-backed halves of a to-do list: assigned to me; pooled to my unit
    (with bind parameters, so the statement is built once per process)."""
    tenant = Task.tenant_id == bindparam("tenant_id")
    parts = [tenant & (Task.status == OPEN) & (Task.assignee_id == bindparam("user_id"))]
    if with_pool:
        parts.append(
            tenant
            & (Task.status == OPEN)
            & Task.assignee_id.is_(None)
            & (Task.unit_id == bindparam("unit_id"))
            & Task.roles.overlap(bindparam("roles", type_=ARRAY(Text)))
        )
    return parts


def _todo_statements(with_pool: bool) -> tuple[Any, Any]:
    """(page rows with the total as a column, the total alone) for one kind of caller."""
    parts = _todo_parts(with_pool)
    halves = [
        select(Task.id, Task.urgency_rank, Task.created_at)
        .where(part)
        .order_by(*TASK_ORDER)
        .limit(bindparam("upto"))
        for part in parts
    ]
    merged = union_all(*halves).subquery() if len(halves) > 1 else halves[0].subquery()
    page = (
        select(merged.c.id, merged.c.urgency_rank, merged.c.created_at)
        .order_by(merged.c.urgency_rank, merged.c.created_at.desc(), merged.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    total = functools.reduce(
        operator.add,
        [select(func.count()).select_from(Task).where(p).scalar_subquery() for p in parts],
    )
    rows = (
        select(
            Task,
            DocumentSummary.title,
            DocumentSummary.doc_number,
            DocumentSummary.urgency,
            total.label("total"),
        )
        .join(page, page.c.id == Task.id)
        .join(DocumentSummary, DocumentSummary.id == Task.document_id)
        .order_by(page.c.urgency_rank, page.c.created_at.desc(), page.c.id)
        .execution_options(populate_existing=True)
    )
    return rows, select(total)


# Built once: composing the statement and its cache key cost more than running it
# (bench todo: ~1.1 ms of routing's CPU per call).
_TODO_STATEMENTS = {with_pool: _todo_statements(with_pool) for with_pool in (True, False)}


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
    total counts both halves on the same indexes (index-only), in the same statement."""
    with_pool = unit_id is not None and bool(roles)
    rows_stmt, count_stmt = _TODO_STATEMENTS[with_pool]
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "limit": limit,
        "offset": offset,
        "upto": offset + limit,
    }
    if with_pool:
        params.update(unit_id=unit_id, roles=list(roles))
    result = session.execute(rows_stmt, params).all()
    if not result:  # an empty page carries no total: count alone
        return [], int(session.scalar(count_stmt, params) or 0)
    rows: list[TaskRow] = [r.tuple()[:4] for r in result]  # type: ignore[misc]
    return rows, int(result[0].total)


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


def open_tasks_of_page(
    session: Session,
    tenant_id: uuid.UUID,
    assignees: Sequence[uuid.UUID],
    limit: int,
    offset: int,
) -> tuple[list[TaskRow], int]:
    """Open tasks assigned to any of ``assignees`` (the leaders a secretary acts for),
    most urgent first, then newest."""
    where = (
        (Task.tenant_id == tenant_id)
        & (Task.status == OPEN)
        & Task.assignee_id.in_(list(assignees))
    )
    page = (
        select(Task.id, Task.urgency_rank, Task.created_at)
        .where(where)
        .order_by(Task.urgency_rank, Task.created_at.desc(), Task.id)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    rows = _page_rows(session, page, [page.c.urgency_rank, page.c.created_at.desc(), page.c.id])
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


# -- the test clock ---------------------------------------------------------------------------------


def test_clock(session: Session) -> dt.datetime | None:
    """The instant the tests set (None: real time)."""
    return session.scalar(select(TestClock.now).where(TestClock.id == 1))


test_clock.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def set_test_clock(session: Session, instant: dt.datetime | None, at: dt.datetime) -> None:
    stmt = pg_insert(TestClock).values(id=1, now=instant, set_at=at)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={"now": stmt.excluded.now, "set_at": stmt.excluded.set_at}
        )
    )


# -- calendars ------------------------------------------------------------------------------------------

CALENDAR_LOCK = "routing:calendar"


def lock_calendar(session: Session, *, exclusive: bool) -> None:
    """The calendar's transaction-scoped advisory lock: shared by transactions that open
    tasks, exclusive for a calendar change (which recomputes open deadlines)."""
    fn = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    session.execute(select(fn(func.hashtextextended(CALENDAR_LOCK, 0))))


def calendar_version(session: Session) -> int:
    return int(session.scalar(select(CalendarState.version).where(CalendarState.id == 1)) or 0)


def bump_calendar_version(session: Session, at: dt.datetime) -> int:
    """A new calendar version (from a sequence: a rolled-back change never reuses one)."""
    return int(
        session.execute(
            update(CalendarState)
            .where(CalendarState.id == 1)
            .values(version=func.nextval("calendar_version_seq"), changed_at=at)
            .returning(CalendarState.version)
        ).scalar_one()
    )


YearRow = CalendarYear


def calendar_years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)).all())


def calendar_year(session: Session, year: int) -> CalendarYear | None:
    return session.scalars(
        select(CalendarYear)
        .where(CalendarYear.year == year)
        .execution_options(populate_existing=True)
    ).first()


def upsert_calendar_year(session: Session, values: dict[str, Any]) -> None:
    stmt = pg_insert(CalendarYear).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["year"],
            set_={k: stmt.excluded[k] for k in values if k != "year"},
        )
    )


# -- the tenant tree (projection of identity's tenants) -----------------------------------------------


def insert_tenant_node(session: Session, values: dict[str, Any]) -> bool:
    """Add a tenant to the projection unless it is there; True when this call added it."""
    result = session.execute(
        pg_insert(TenantNode).values(**values).on_conflict_do_nothing().returning(TenantNode.id)
    )
    return result.first() is not None


def tenant_node(session: Session, tenant_id: uuid.UUID) -> TenantNode | None:
    return session.get(TenantNode, tenant_id)


def ancestry(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The tenant's path in the tree, root first, ending with the tenant ([] if unknown)."""
    me = select(TenantNode.path).where(TenantNode.id == tenant_id).scalar_subquery()
    rows = session.execute(
        select(TenantNode.id)
        .where(
            (TenantNode.path == me)
            | (func.left(me, func.length(TenantNode.path) + 1) == TenantNode.path + "/")
        )
        .order_by(func.length(TenantNode.path))
    ).all()
    return [r[0] for r in rows]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def subtree(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The tenant and every tenant below it ([] if unknown)."""
    node = tenant_node(session, tenant_id)
    if node is None:
        return []
    rows = session.execute(
        select(TenantNode.id).where(
            (TenantNode.path == node.path) | TenantNode.path.like(_like_prefix(node.path))
        )
    ).all()
    return [r[0] for r in rows]


# -- overrides ----------------------------------------------------------------------------------------


def overrides_of(session: Session, tenant_ids: Sequence[uuid.UUID]) -> list[CalendarOverride]:
    if not tenant_ids:
        return []
    return list(
        session.scalars(
            select(CalendarOverride)
            .where(CalendarOverride.tenant_id.in_(tenant_ids))
            .order_by(CalendarOverride.day, CalendarOverride.id)
        ).all()
    )


def calendar_override(session: Session, override_id: uuid.UUID) -> CalendarOverride | None:
    return session.get(CalendarOverride, override_id)


def insert_override(session: Session, values: dict[str, Any]) -> bool:
    """Add a tenant's override of a day; False when the tenant has one for that day."""
    result = session.execute(
        pg_insert(CalendarOverride)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "day"])
        .returning(CalendarOverride.id)
    )
    return result.first() is not None


def delete_override(session: Session, override_id: uuid.UUID) -> bool:
    result = session.execute(
        delete(CalendarOverride)
        .where(CalendarOverride.id == override_id)
        .returning(CalendarOverride.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


# -- recomputing open deadlines ------------------------------------------------------------------------

RecomputeRow = Row[
    tuple[
        uuid.UUID,
        uuid.UUID,
        dt.datetime,
        str | None,
        int | None,
        dt.datetime | None,
        bool,
        dt.datetime | None,
    ]
]


def deadlines_to_recompute(
    session: Session,
    started_before: dt.datetime,
    due_from: dt.datetime,
    tenant_ids: Sequence[uuid.UUID] | None = None,
) -> list[RecomputeRow]:
    """Open, not yet overdue tasks with a deadline due at or after ``due_from`` that
    started before ``started_before`` (read from the scanner's partial index)."""
    stmt = select(
        Task.id,
        Task.tenant_id,
        Task.created_at,
        Task.due_rule,
        Task.due_days,
        Task.due_at,
        Task.due_provisional,
        Task.remind_at,
    ).where(
        Task.status == OPEN,
        Task.overdue_at.is_(None),
        Task.due_at.is_not(None),
        Task.due_at >= due_from,
        Task.created_at < started_before,
        Task.due_rule.is_not(None),
        Task.due_days.is_not(None),
    )
    if tenant_ids is not None:
        stmt = stmt.where(Task.tenant_id.in_(list(tenant_ids)))
    return list(session.execute(stmt).all())


_UPDATE_DEADLINES = (
    "UPDATE tasks AS t SET due_at = v.due_at, due_provisional = v.provisional,"
    " remind_at = v.remind_at"
    " FROM (VALUES %s) AS v(id, due_at, provisional, remind_at)"
    " WHERE t.id = v.id AND t.status = 'open' AND t.overdue_at IS NULL"
)


def update_deadlines(
    session: Session,
    rows: Sequence[tuple[uuid.UUID, dt.datetime, bool, dt.datetime]],
    page: int = 2000,
) -> int:
    """Write new (due_at, due_provisional, remind_at) of open tasks, a page per statement;
    a task closed or marked overdue meanwhile is left alone. Returns the rows written."""
    if not rows:
        return 0
    cursor = session.connection().connection.cursor()
    written = 0
    try:
        for start in range(0, len(rows), page):
            chunk = [
                (str(i), due, prov, remind) for i, due, prov, remind in rows[start : start + page]
            ]
            execute_values(
                cursor,
                _UPDATE_DEADLINES,
                chunk,
                template="(%s::uuid, %s::timestamptz, %s::boolean, %s::timestamptz)",
                page_size=page,
            )
            written += max(cursor.rowcount, 0)
    finally:
        cursor.close()
    return written


# -- the scanner: reminders and overdue marks ----------------------------------------------------------
#
# A batch is claimed (``FOR UPDATE SKIP LOCKED`` on a partial index) and marked in ONE
# statement that returns the ids marked; the events go to the outbox as one deferred
# row per batch, whose envelopes the relay builds after the pass (task_event_data):
# the pass's transactions stay short and cost no Python per task. The events' data is
# defined here once, for the scanner and for a task closed late.


def _iso(column: str) -> str:
    """A timestamptz as ISO 8601 in UTC (as Python's ``isoformat``), whatever the
    session's time zone; NULL stays null."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"


_TASK_FIELDS = (
    "'task_id', t.id, 'document_id', t.document_id, 'instance_id', t.instance_id,"
    " 'step', t.step, 'step_name', t.step_name,"
    " 'roles', to_jsonb(coalesce(t.roles, '{}'::text[])),"
    f" 'due_at', {_iso('t.due_at')}, 'title', d.title, 'urgency', d.urgency"
)

# ``task.overdue``: which task, of which document, who was late (the division and the
# person it was marked with; no person while pooled) and since when (its deadline).
OVERDUE_DATA = (
    f"jsonb_build_object({_TASK_FIELDS}, 'unit_id', t.overdue_unit_id,"
    f" 'assignee_id', t.overdue_user_id, 'overdue_at', {_iso('t.overdue_at')})"
)

# ``task.reminded``: the holder of a task (its assignee, else its division's pool) is
# reminded of its deadline.
REMINDER_DATA = (
    f"jsonb_build_object({_TASK_FIELDS}, 'unit_id', t.unit_id, 'assignee_id', t.assignee_id,"
    f" 'remind_at', {_iso('t.remind_at')}, 'reminded_at', {_iso('t.reminded_at')})"
)

EVENT_DATA = {"task.overdue": OVERDUE_DATA, "task.reminded": REMINDER_DATA}

CLAIM_OVERDUE = text(
    "WITH claimed AS ("
    "  SELECT id FROM tasks"
    "  WHERE status = 'open' AND overdue_at IS NULL AND due_at IS NOT NULL AND due_at < :now"
    "  ORDER BY due_at LIMIT :batch FOR UPDATE SKIP LOCKED)"
    " UPDATE tasks t SET overdue_at = t.due_at, overdue_unit_id = t.unit_id,"
    "   overdue_user_id = t.assignee_id"
    " FROM claimed c WHERE t.id = c.id AND t.overdue_at IS NULL"
    " RETURNING t.id"
)

CLAIM_REMINDERS = text(
    "WITH claimed AS ("
    "  SELECT id FROM tasks"
    "  WHERE status = 'open' AND reminded_at IS NULL AND overdue_at IS NULL"
    "    AND remind_at IS NOT NULL AND remind_at <= :now AND due_at > :now"
    "  ORDER BY remind_at LIMIT :batch FOR UPDATE SKIP LOCKED)"
    " UPDATE tasks t SET reminded_at = :now"
    " FROM claimed c WHERE t.id = c.id AND t.reminded_at IS NULL"
    " RETURNING t.id"
)


def claim_overdue(session: Session, now: dt.datetime, batch: int) -> list[uuid.UUID]:
    """Mark up to ``batch`` open tasks past their due time overdue (``overdue_at`` = the
    due time, with the division and person holding them), each exactly once: rows
    another transaction holds are skipped, rows another one marked no longer match.
    Returns the ids marked."""
    return list(session.scalars(CLAIM_OVERDUE, {"now": now, "batch": batch}))


def claim_reminders(session: Session, now: dt.datetime, batch: int) -> list[uuid.UUID]:
    """Set ``reminded_at`` of up to ``batch`` open tasks whose reminder time has come
    (and whose deadline has not passed), each exactly once. Returns the ids reminded."""
    return list(session.scalars(CLAIM_REMINDERS, {"now": now, "batch": batch}))


def task_event_data(
    session: Session, event_type: str, task_ids: Sequence[str]
) -> list[tuple[uuid.UUID, uuid.UUID, dict[str, Any]]]:
    """(task id, tenant id, data) of ``event_type`` (``task.overdue`` /
    ``task.reminded``) for the tasks given, as they are now."""
    statement = text(
        f"SELECT t.id, t.tenant_id, {EVENT_DATA[event_type]} AS data"
        " FROM tasks t JOIN document_summaries d ON d.id = t.document_id"
        " WHERE t.id = ANY(CAST(:ids AS uuid[]))"
    )
    return [
        (r.id, r.tenant_id, dict(r.data))
        for r in session.execute(statement, {"ids": list(task_ids)})
    ]


_MARK_AT_CLOSE = text(
    "UPDATE tasks t SET overdue_at = t.due_at, overdue_unit_id = t.unit_id,"
    "   overdue_user_id = :assignee"
    " FROM document_summaries d"
    " WHERE t.id = :id AND d.id = t.document_id AND t.overdue_at IS NULL"
    "   AND t.due_at IS NOT NULL AND t.due_at < :now"
    f" RETURNING t.tenant_id, {OVERDUE_DATA} AS data"
)


def mark_overdue_at_close(
    session: Session, task_id: uuid.UUID, assignee_id: uuid.UUID | None, now: dt.datetime
) -> tuple[uuid.UUID, dict[str, Any]] | None:
    """A task closed after its due time that no scanner marked yet: mark it now (in the
    closing transaction, which holds the row). ``assignee_id``: who held it before
    closing. Returns its tenant and the ``task.overdue`` data, None if not marked."""
    row = session.execute(
        _MARK_AT_CLOSE, {"id": task_id, "assignee": assignee_id, "now": now}
    ).first()
    return None if row is None else (row.tenant_id, dict(row.data))


# -- reports ------------------------------------------------------------------------------------------------

ReportRow = Row[Any]


def overdue_condition(now: dt.datetime) -> Any:
    """A task is overdue: marked so, or open past its due time, or finished after it."""
    return (
        Task.overdue_at.is_not(None)
        | ((Task.status == OPEN) & (Task.due_at < now))
        | (
            Task.status.in_([TaskStatus.done.value, TaskStatus.returned.value])
            & (Task.completed_at > Task.due_at)
        )
    )


def overdue_report_rows(
    session: Session,
    tenant_id: uuid.UUID,
    due_after: dt.datetime,
    due_until: dt.datetime,
    now: dt.datetime,
    unit_id: uuid.UUID | None = None,
    viewer: uuid.UUID | None = None,
    viewer_unit_id: uuid.UUID | None = None,
) -> list[ReportRow]:
    """Overdue tasks of a tenant whose deadline is in (due_after, due_until], oldest first;
    for a ``viewer``, without the rows of 领导批示件 outside their scope (知悉范围): neither
    of their registry nor on their route."""
    stmt = (
        select(
            Task.id,
            Task.document_id,
            Task.step,
            Task.step_name,
            Task.status,
            Task.due_at,
            Task.completed_at,
            Task.completed_by,
            Task.overdue_at,
            func.coalesce(Task.overdue_unit_id, Task.unit_id).label("unit_id"),
            Task.overdue_user_id,
            Task.assignee_id,
            DocumentSummary.title,
            DocumentSummary.doc_number,
        )
        .join(DocumentSummary, DocumentSummary.id == Task.document_id)
        .where(
            Task.tenant_id == tenant_id,
            Task.due_at.is_not(None),
            Task.due_at > due_after,
            Task.due_at <= due_until,
            overdue_condition(now),
        )
        .order_by(Task.due_at, Task.seq)
    )
    if unit_id is not None:
        stmt = stmt.where(func.coalesce(Task.overdue_unit_id, Task.unit_id) == unit_id)
    if viewer is not None:
        own_registry = (
            DocumentSummary.registry_unit_id == viewer_unit_id
            if viewer_unit_id is not None
            else literal(False)
        )
        stmt = stmt.where(
            ~DocumentSummary.is_leader_instruction | own_registry | on_route(viewer, viewer_unit_id)
        )
    return list(session.execute(stmt).all())


def on_route(user_id: uuid.UUID, unit_id: uuid.UUID | None) -> Any:
    """The document (of the row) has a task the user held, did, entered for a leader or
    holds now in their division's pool: they are on its route (知悉范围 of a 领导批示件)."""
    mine = (
        (Route.assignee_id == user_id)
        | (Route.completed_by == user_id)
        | (Route.on_behalf_of_id == user_id)
    )
    if unit_id is not None:
        mine = mine | (
            (Route.status == OPEN) & Route.assignee_id.is_(None) & (Route.unit_id == unit_id)
        )
    return exists().where(Route.document_id == DocumentSummary.id, mine)


def documents_with_deadline(
    session: Session, tenant_id: uuid.UUID, due_after: dt.datetime, due_until: dt.datetime
) -> int:
    """Documents of a tenant with at least one task whose deadline is in (due_after, due_until]."""
    return int(
        session.scalar(
            select(func.count(func.distinct(Task.document_id))).where(
                Task.tenant_id == tenant_id,
                Task.due_at.is_not(None),
                Task.due_at > due_after,
                Task.due_at <= due_until,
            )
        )
        or 0
    )


# -- templates: a new version with a changed step --------------------------------------------------------


def latest_template(session: Session, tenant_id: uuid.UUID | None, code: str) -> Template | None:
    return session.scalars(
        select(Template)
        .where(Template.tenant_id == tenant_id, Template.code == code)
        .order_by(Template.version.desc())
        .limit(1)
    ).first()


def move_assignments(
    session: Session,
    tenant_id: uuid.UUID,
    old_id: uuid.UUID,
    new_id: uuid.UUID,
    at: dt.datetime,
    by: uuid.UUID,
) -> None:
    """Units that used one version of a template use the new one from now on."""
    session.execute(
        update(TemplateAssignment)
        .where(TemplateAssignment.tenant_id == tenant_id, TemplateAssignment.template_id == old_id)
        .values(template_id=new_id, assigned_at=at, assigned_by=by)
        .execution_options(synchronize_session=False)
    )
