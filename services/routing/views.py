"""Rows → contract models (schemas.py)."""

from __future__ import annotations

import datetime as dt

from services.common.vocabulary import Urgency
from services.routing.models import Task
from services.routing.queries import ReadRow, TaskRow
from services.routing.schemas import ReadItemOut, TaskOut, TaskStatus
from services.routing.templates import Flow
from services.routing.workflow import Actor, TaskState, allowed_actions


def task_state(task: Task) -> TaskState:
    return TaskState(
        id=task.id,
        step=task.step,
        unit_id=task.unit_id,
        assignee_id=task.assignee_id,
        status=TaskStatus(task.status),
        version=task.version,
    )


def is_overdue(task: Task, now: dt.datetime) -> bool:
    """Red flag (超期): marked overdue, or past due while open (the scanner has not come
    by yet), or finished after the due time."""
    if task.overdue_at is not None:
        return True
    if task.due_at is None:
        return False
    if task.status == TaskStatus.open.value:
        return task.due_at < now
    if task.status == TaskStatus.cancelled.value or task.completed_at is None:
        return False
    return task.completed_at > task.due_at


def task_out(row: TaskRow, flow: Flow, actor: Actor | None, now: dt.datetime) -> TaskOut:
    task, title, doc_number, urgency = row
    state = task_state(task)
    return TaskOut(
        id=task.id,
        tenant_id=task.tenant_id,
        document_id=task.document_id,
        instance_id=task.instance_id,
        step=task.step,
        step_name=task.step_name,
        unit_id=task.unit_id,
        assignee_id=task.assignee_id,
        status=state.status,
        title=title,
        doc_number=doc_number,
        urgency=Urgency(urgency),
        role_in_document=task.role_in_document,
        created_at=task.created_at,
        due_at=task.due_at,
        due_provisional=task.due_provisional,
        overdue=is_overdue(task, now),
        overdue_at=task.overdue_at,
        remind_at=task.remind_at,
        reminded_at=task.reminded_at,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        version=task.version,
        allowed_actions=allowed_actions(flow, state, actor) if actor else [],
    )


def read_item_out(row: ReadRow) -> ReadItemOut:
    item, title, urgency = row
    return ReadItemOut(
        id=item.id,
        document_id=item.document_id,
        title=title,
        urgency=Urgency(urgency),
        sent_by=item.sent_by,
        sent_at=item.sent_at,
        read_at=item.read_at,
    )
