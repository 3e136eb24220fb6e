"""The events routing publishes (DESIGN 10): one model per event type, declared once
here; consumers in other services import this module and validate with it.

``task.overdue`` and ``task.reminded`` are also built in SQL by the scanner
(:data:`services.routing.queries.OVERDUE_DATA`, ``REMINDER_DATA``); a contract test
checks those against the models below."""

from __future__ import annotations

import datetime as dt
import uuid

from services.common.contracts import EventCatalog, EventData

SOURCE = "routing"


class _Task(EventData):
    task_id: uuid.UUID
    document_id: uuid.UUID
    instance_id: uuid.UUID
    step: str


class TaskCreated(_Task):
    """A new to-do (待办): for a person (assignee) or a division's pool (unit + roles)."""

    event_type = "task.created"
    step_name: str
    unit_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    roles: list[str]
    due_at: dt.datetime | None = None
    due_provisional: bool = False
    remind_at: dt.datetime | None = None
    role_in_document: str | None = None
    title: str
    urgency: str
    created_at: dt.datetime | None = None  # absent from events written before v1 had it


class TaskCancelled(_Task):
    """Closed without action (the document was archived, forwarded, redistributed …)."""

    event_type = "task.cancelled"
    unit_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    reason: str
    cancelled_at: dt.datetime | None = None


class TaskCompleted(_Task):
    """A step done, with its opinion (拟办, 审核, 批示 …) when it has one."""

    event_type = "task.completed"
    action: str
    opinion: str | None = None
    opinion_kind: str | None = None
    actor_id: uuid.UUID
    on_behalf_of_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    is_leader_instruction: bool | None = None
    completed_at: dt.datetime
    #: instruct: whose instruction it is (the actor, or the leader a secretary entered it for),
    #: as which kind of leader (gov_leader: numbered by hand; office_leader: by the system)
    leader_id: uuid.UUID | None = None
    leader_kind: str | None = None
    #: instruct: the hand number given when entering it (gov_leader only)
    instruction_number: str | None = None


class TaskWithdrawn(_Task):
    """撤回: the sender took the step back (``task_id`` is the step reopened for them)."""

    event_type = "task.withdrawn"
    withdrawn_task_id: uuid.UUID
    cancelled_task_ids: list[uuid.UUID]
    actor_id: uuid.UUID
    withdrawn_at: dt.datetime


class TaskReassigned(_Task):
    """转交: a division head gave the task to another handler (``task_id`` is theirs)."""

    event_type = "task.reassigned"
    unit_id: uuid.UUID | None = None
    from_task_id: uuid.UUID
    from_user_id: uuid.UUID | None = None
    to_user_id: uuid.UUID
    reassigned_by: uuid.UUID
    reason: str | None = None
    reassigned_at: dt.datetime


class TaskReturned(TaskCompleted):
    """退回: the task went back to an earlier step, with the reason."""

    event_type = "task.returned"
    reason: str | None = None
    returned_to_step: str | None = None
    returned_to_task_id: uuid.UUID | None = None
    returned_to_unit_id: uuid.UUID | None = None
    returned_to_user_id: uuid.UUID | None = None


class TaskUrged(EventData):
    """催办: the holder of an open task is urged."""

    event_type = "task.urged"
    urge_id: uuid.UUID
    task_id: uuid.UUID
    document_id: uuid.UUID
    unit_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    roles: list[str]
    urged_by: uuid.UUID
    message: str | None = None
    urged_at: dt.datetime | None = None


class _ScannedTask(_Task):
    step_name: str
    roles: list[str]
    due_at: dt.datetime | None = None
    title: str
    urgency: str
    unit_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None


class TaskOverdue(_ScannedTask):
    """超期: the task passed its deadline (the division and person it was marked with;
    no person while pooled)."""

    event_type = "task.overdue"
    overdue_at: dt.datetime


class TaskReminded(_ScannedTask):
    """到期提醒: the deadline of an open task is near."""

    event_type = "task.reminded"
    remind_at: dt.datetime | None = None
    reminded_at: dt.datetime


class DocumentDistributed(EventData):
    """分办: to a lead division (主办) and assisting divisions (协办)."""

    event_type = "document.distributed"
    document_id: uuid.UUID
    lead_unit_id: uuid.UUID
    assisting_unit_ids: list[uuid.UUID]
    distributed_at: dt.datetime
    distributed_by: uuid.UUID
    note: str | None = None


class DocumentCompleted(EventData):
    """办结: every division is done; the document goes to be archived."""

    event_type = "document.completed"
    document_id: uuid.UUID
    completed_at: dt.datetime
    completed_by: uuid.UUID


class DocumentArchived(EventData):
    """归档."""

    event_type = "document.archived"
    document_id: uuid.UUID
    archived_at: dt.datetime
    archived_by: uuid.UUID


class DocumentCirculated(EventData):
    """传阅: people get the document to read."""

    event_type = "document.circulated"
    document_id: uuid.UUID
    title: str
    user_ids: list[uuid.UUID]
    read_item_ids: list[uuid.UUID]
    sent_by: uuid.UUID
    note: str | None = None
    sent_at: dt.datetime | None = None


class ReadItemRead(EventData):
    event_type = "read_item.read"
    read_item_id: uuid.UUID
    document_id: uuid.UUID
    user_id: uuid.UUID
    read_at: dt.datetime


class CalendarYearPublished(EventData):
    """A national year's official schedule published; open deadlines recomputed."""

    event_type = "calendar.year_published"
    year: int
    provisional: bool
    recomputed_tasks: int
    moved_tasks: int
    published_at: dt.datetime


class _Override(EventData):
    id: uuid.UUID
    tenant_id: uuid.UUID
    date: dt.date
    kind: str
    note: str
    created_at: dt.datetime
    created_by: uuid.UUID | None = None
    inherited: bool = False
    recomputed_tasks: int | None = None
    moved_tasks: int | None = None


class CalendarOverrideAdded(_Override):
    event_type = "calendar.override_added"


class CalendarOverrideRemoved(_Override):
    event_type = "calendar.override_removed"


EVENTS = EventCatalog(
    SOURCE,
    [
        TaskCreated,
        TaskCancelled,
        TaskCompleted,
        TaskReturned,
        TaskWithdrawn,
        TaskReassigned,
        TaskUrged,
        TaskOverdue,
        TaskReminded,
        DocumentDistributed,
        DocumentCompleted,
        DocumentArchived,
        DocumentCirculated,
        ReadItemRead,
        CalendarYearPublished,
        CalendarOverrideAdded,
        CalendarOverrideRemoved,
    ],
)
