"""The contract of the routing service: templates, workflow instances, tasks (待办),
to-do/done/to-read lists, and the platform default template. Shared by the service
and the gateway; pydantic and the shared vocabulary only."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.common.text import Text as SafeText
from services.common.vocabulary import LEADER_ROLES, Role, Strict, Urgency

Text = Annotated[SafeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    returned = "returned"  # given back (退回) to the previous holder
    cancelled = "cancelled"  # closed without action (e.g. a parallel sibling, or forwarded)


class Action(StrEnum):
    """What a task holder can do; a template step lists which actions it allows."""

    distribute = "distribute"  # 分办 (registry)
    sign = "sign"  # 签收 (division)
    propose = "propose"  # 拟办意见 (handler)
    approve = "approve"  # 审核通过 (division head)
    instruct = "instruct"  # 批示 (leader, or secretary on the leader's behalf)
    handle = "handle"  # 办理完毕, back to the registry (handler)
    complete = "complete"  # 办结 (registry)
    archive = "archive"  # 归档 (registry)
    return_ = "return"  # 退回 to the previous holder, with a reason
    # outgoing documents (发文)
    submit = "submit"  # 送核稿 (the drafter)
    check = "check"  # 核稿通过 (division head of the drafting division)
    countersign = "countersign"  # 会签 (head of a countersigning division)
    issue = "issue"  # 签发 (the signing leader, or a secretary on the leader's behalf)
    number = "number"  # 编号 (registry: the 发文字号 is given)
    seal = "seal"  # 用印 (registry: the unit's seal was applied)
    dispatch = "dispatch"  # 分发 (registry: delivered to the recipient units)


# -- templates -----------------------------------------------------------------------------


class StepDef(Strict):
    key: Annotated[SafeText, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    name: Annotated[SafeText, StringConstraints(min_length=1, max_length=50)] = Field(
        description="label, e.g. 承办节点"
    )
    roles: list[SafeText] = Field(min_length=1, description="roles that may act at this step")
    actions: dict[SafeText, SafeText | None] = Field(
        description="action → next step key (None = the branch ends)"
    )
    time_limit_days: int | None = Field(
        default=3, ge=1, le=365, description="working days; None = no limit"
    )
    allow_return: bool = True
    allow_urge: bool = True
    allow_circulate: bool = True
    countersign_mode: Literal["parallel", "sequential"] = Field(
        default="parallel",
        description="a 会签 step: the divisions countersign at once, or one after another",
    )


class TemplateDef(Strict):
    code: Annotated[SafeText, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{1,40}$")]
    name: Annotated[SafeText, StringConstraints(min_length=1, max_length=100)]
    kind: Annotated[SafeText, StringConstraints(pattern=r"^(incoming|outgoing)$")] = "incoming"
    first_step: SafeText
    steps: list[StepDef] = Field(min_length=1, max_length=50)


DEFAULT_TEMPLATE_CODE = "incoming-default"

DEFAULT_INCOMING = TemplateDef(
    code=DEFAULT_TEMPLATE_CODE,
    name="收文办理(默认流程)",
    kind="incoming",
    first_step="registry_distribute",
    steps=[
        StepDef(
            key="registry_distribute",
            name="分办",
            roles=[Role.registrar],
            actions={"distribute": "division_sign"},
            time_limit_days=None,
            allow_return=False,
        ),
        StepDef(
            key="division_sign",
            name="处室签收",
            roles=[Role.handler, Role.division_head],
            actions={"sign": "propose", "return": "registry_distribute"},
            time_limit_days=3,
        ),
        StepDef(
            key="propose",
            name="拟办(承办节点)",
            roles=[Role.handler],
            actions={"propose": "division_review", "return": "division_sign"},
            time_limit_days=3,
        ),
        StepDef(
            key="division_review",
            name="处室审核节点",
            roles=[Role.division_head],
            actions={"approve": "leader_instruction", "return": "propose"},
            time_limit_days=3,
        ),
        StepDef(
            key="leader_instruction",
            name="领导批示",
            roles=sorted(LEADER_ROLES),
            actions={"instruct": "handle", "return": "division_review"},
            time_limit_days=3,
        ),
        StepDef(
            key="handle",
            name="办理",
            roles=[Role.handler],
            actions={"handle": "registry_complete"},
            time_limit_days=3,
            allow_return=False,
        ),
        StepDef(
            key="registry_complete",
            name="办结",
            roles=[Role.registrar],
            actions={"complete": None, "return": "handle"},
            time_limit_days=None,
        ),
        StepDef(
            key="registry_archive",
            name="归档",
            roles=[Role.registrar],
            actions={"archive": None},
            time_limit_days=None,
            allow_return=False,
            allow_urge=False,
        ),
    ],
)
"""The platform default incoming template (docs/incoming-flow.md), seeded by the migration."""

OUTGOING_TEMPLATE_CODE = "outgoing-default"

DEFAULT_OUTGOING = TemplateDef(
    code=OUTGOING_TEMPLATE_CODE,
    name="发文办理(默认流程)",
    kind="outgoing",
    first_step="draft",
    steps=[
        StepDef(
            key="draft",
            name="拟稿",
            roles=[Role.handler],
            actions={"submit": "check"},
            time_limit_days=None,
            allow_return=False,
        ),
        StepDef(
            key="check",
            name="核稿",
            roles=[Role.division_head],
            actions={"check": "countersign", "return": "draft"},
            time_limit_days=3,
        ),
        StepDef(
            key="countersign",
            name="会签",
            roles=[Role.division_head],
            actions={"countersign": "issue", "return": "draft"},
            time_limit_days=3,
            countersign_mode="parallel",
        ),
        StepDef(
            key="issue",
            name="签发",
            roles=sorted(LEADER_ROLES),
            actions={"issue": "number", "return": "check"},
            time_limit_days=3,
        ),
        StepDef(
            key="number",
            name="编号",
            roles=[Role.registrar],
            actions={"number": "seal", "return": "issue"},
            time_limit_days=1,
        ),
        StepDef(
            key="seal",
            name="用印",
            roles=[Role.registrar],
            actions={"seal": "dispatch"},
            time_limit_days=1,
            allow_return=False,
        ),
        StepDef(
            key="dispatch",
            name="分发",
            roles=[Role.registrar],
            actions={"dispatch": "archive"},
            time_limit_days=1,
            allow_return=False,
        ),
        StepDef(
            key="archive",
            name="归档",
            roles=[Role.registrar],
            actions={"archive": None},
            time_limit_days=None,
            allow_return=False,
            allow_urge=False,
        ),
    ],
)
"""The platform default outgoing template (发文: 拟稿 → 核稿 → 会签 → 签发 → 编号 → 用印 →
分发 → 归档), seeded by the migration; a unit's own template may leave steps out."""


class TemplateOut(TemplateDef):
    id: uuid.UUID
    tenant_id: uuid.UUID | None = Field(description="None = the platform's default template")
    version: int
    assigned_unit_ids: list[uuid.UUID]


# -- distribution and actions ---------------------------------------------------------------


class Distribute(Strict):
    """分办: the registry sends a document to one lead division and optional assisting ones."""

    document_id: uuid.UUID
    lead_unit_id: uuid.UUID = Field(description="主办处室")
    assisting_unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    note: Annotated[SafeText, StringConstraints(max_length=2000)] | None = None


class TaskAction(Strict):
    action: Action
    opinion: Text | None = Field(default=None, description="the text this action puts on the slip")
    leader_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description="approve: send to these leaders for instructions (批示); check (核稿): "
        "the one leader who signs (签发)",
    )
    handler_id: uuid.UUID | None = Field(default=None, description="who handles next, if chosen")
    countersign_unit_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=30,
        description="check (核稿): the divisions that countersign (会签), in order; "
        "none: the document goes straight to the signing leader",
    )
    on_behalf_of: uuid.UUID | None = Field(
        default=None, description="instruct: the leader a secretary enters the instruction for"
    )
    is_leader_instruction: bool | None = Field(
        default=None, description="sign: the division declares a 领导批示件"
    )
    return_to_step: (
        Annotated[SafeText, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")] | None
    ) = Field(
        default=None,
        description="return: the earlier step to go back to (one of GET /tasks/{id}/return-"
        "targets); default: the step before",
    )
    instruction_number: (
        Annotated[SafeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = Field(
        default=None,
        description="instruct: the number a 省政府领导's secretary gives the instruction "
        "(领导批示编号, e.g. 省长批〔2026〕118号); a 厅领导's instructions are numbered by the system",
    )
    series_id: uuid.UUID | None = Field(
        default=None,
        description="number (编号): the series to number in (default: the one the draft names)",
    )
    expected_version: int | None = Field(
        default=None, description="optimistic check: the task version the client saw"
    )


class ReturnTargetOut(BaseModel):
    """An earlier step of the route a return (退回) may go back to."""

    step: str
    step_name: str
    holder_id: uuid.UUID | None = Field(description="who held it last: they get it back")
    unit_id: uuid.UUID | None
    completed_at: dt.datetime | None
    default: bool = Field(description="the template's step before (a return without a choice)")


class Reassign(Strict):
    """转交: to another handler of the division."""

    handler_id: uuid.UUID
    reason: Annotated[SafeText, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        None
    )


class Urge(Strict):
    message: (
        Annotated[SafeText, StringConstraints(strip_whitespace=True, max_length=500)] | None
    ) = None


class Circulate(Strict):
    """传阅: send the document to people for reading."""

    document_id: uuid.UUID
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    note: Annotated[SafeText, StringConstraints(max_length=500)] | None = None


# -- lists ----------------------------------------------------------------------------------


class TaskOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    document_id: uuid.UUID
    instance_id: uuid.UUID
    step: str
    step_name: str
    unit_id: uuid.UUID | None = Field(description="the division (or registry) holding it")
    assignee_id: uuid.UUID | None = Field(
        description="None = any holder of the step's roles in the unit"
    )
    status: TaskStatus
    title: str
    doc_number: str | None
    urgency: Urgency
    role_in_document: str = Field(description="lead (主办) | assisting (协办) | registry")
    created_at: dt.datetime
    due_at: dt.datetime | None
    due_provisional: bool = False
    overdue: bool = Field(description="red flag: due_at has passed (or it was finished late)")
    overdue_at: dt.datetime | None = Field(
        default=None, description="when it became overdue (its due time), once marked"
    )
    remind_at: dt.datetime | None = Field(default=None, description="when the reminder is due")
    reminded_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    completed_by: uuid.UUID | None = None
    version: int
    allowed_actions: list[str] = Field(default_factory=list)


class ReadItemOut(BaseModel):
    id: uuid.UUID
    document_id: uuid.UUID
    title: str
    urgency: Urgency
    sent_by: uuid.UUID
    sent_at: dt.datetime
    read_at: dt.datetime | None


class ListQuery(Strict):
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class ReadPage(BaseModel):
    items: list[ReadItemOut]
    total: int
    limit: int
    offset: int


# -- results of the actions (added with the service) --------------------------------------------


class ActResult(BaseModel):
    """What ``act`` answers: the task acted on, and the tasks the action opened."""

    task: TaskOut
    next_tasks: list[TaskOut]


class DistributionOut(BaseModel):
    """What ``distribute`` answers: the branches opened (one ``division_sign`` task each)."""

    document_id: uuid.UUID
    lead_unit_id: uuid.UUID
    assisting_unit_ids: list[uuid.UUID]
    distributed_at: dt.datetime
    distributed_by: uuid.UUID
    tasks: list[TaskOut]


class UrgeOut(BaseModel):
    """A recorded urge (催办)."""

    id: uuid.UUID
    task_id: uuid.UUID
    document_id: uuid.UUID
    urged_by: uuid.UUID
    urged_at: dt.datetime
    message: str | None


# -- working-day calendars (DESIGN 4.3) ----------------------------------------------------------


class DayReason(StrEnum):
    """Why a day is (not) a working day, in order of increasing precedence."""

    workday = "workday"  # Monday–Friday
    weekend = "weekend"  # Saturday or Sunday
    national_holiday = "national_holiday"  # 法定节假日 (national schedule)
    makeup_workday = "makeup_workday"  # 调休上班日 (national schedule)
    local_day_off = "local_day_off"  # a local day off of the tenant or an ancestor
    local_working_day = "local_working_day"  # a local working day of the tenant or an ancestor


class OverrideKind(StrEnum):
    day_off = "day_off"  # 本地放假
    working_day = "working_day"  # 本地上班


Note = Annotated[SafeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class YearPublish(Strict):
    """The national schedule of a year (全国节假日安排) as the State Council announced it."""

    holidays: list[dt.date] = Field(
        default_factory=list,
        max_length=366,
        description="days off (法定节假日, the whole spans, weekend days may be listed)",
    )
    workdays: list[dt.date] = Field(
        default_factory=list,
        max_length=366,
        description="make-up working days (调休上班日): Saturdays or Sundays that are worked",
    )
    note: Annotated[SafeText, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        Field(default=None, description="e.g. the notice it comes from")
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08"],
                    "workdays": ["2027-02-14"],
                    "note": "国务院办公厅关于2027年部分节假日安排的通知",
                }
            ]
        },
    )


class YearOut(BaseModel):
    year: int
    provisional: bool = Field(description="True: not published, computed with weekends only")
    holidays: list[dt.date]
    workdays: list[dt.date]
    note: str | None = None
    published_at: dt.datetime | None = None
    published_by: uuid.UUID | None = None


class YearPublished(YearOut):
    recomputed_tasks: int = Field(
        description="open deadlines rewritten (due time, reminder time or provisional flag changed)"
    )
    moved_tasks: int = Field(description="of those, deadlines whose due time moved")


class YearSummary(BaseModel):
    year: int
    provisional: bool
    published_at: dt.datetime | None = None
    holidays: int = Field(description="number of holiday dates listed")
    workdays: int = Field(description="number of make-up working days listed")


class OverrideCreate(Strict):
    """A local day off or working day (本地调整) of a tenant, inherited by the tenants below it."""

    tenant_id: uuid.UUID | None = Field(default=None, description="default: my tenant")
    date: dt.date
    kind: OverrideKind
    note: Note = Field(description="why, e.g. 苗年 (Miao New Year)")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"date": "2026-12-09", "kind": "day_off", "note": "苗年放假"}]
        },
    )


class OverrideOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    date: dt.date
    kind: OverrideKind
    note: str
    created_at: dt.datetime
    created_by: uuid.UUID | None = None
    inherited: bool = Field(default=False, description="True: an ancestor tenant's override")


class OverrideChanged(OverrideOut):
    recomputed_tasks: int = Field(description="open deadlines of the tenant and below rewritten")
    moved_tasks: int = Field(description="of those, deadlines whose due time moved")


class DayOut(BaseModel):
    date: dt.date
    weekday: int = Field(description="ISO weekday, 1 = Monday … 7 = Sunday")
    working: bool
    reason: DayReason
    note: str | None = Field(default=None, description="the override's note")
    source_tenant_id: uuid.UUID | None = Field(
        default=None, description="the tenant whose override decided the day"
    )


class MonthOut(BaseModel):
    """A month as the system counts working days for a tenant."""

    month: str
    tenant_id: uuid.UUID | None
    provisional: bool = Field(description="the year's national schedule is not published yet")
    working_days: int
    days: list[DayOut]


class StepTimeLimit(Strict):
    """The time limit of one step of a process template, in working days."""

    time_limit_days: StrictInt | None = Field(
        description="working days (1–365); null: the step has no time limit"
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"time_limit_days": 5}]}
    )


# -- reminders and overdue marks -------------------------------------------------------------------


class ScanCounts(BaseModel):
    """What one pass of the scanner did."""

    at: dt.datetime = Field(description="the instant the pass ran for")
    overdue: int = Field(description="tasks marked overdue (task.overdue)")
    reminded: int = Field(description="reminders sent (task.reminded)")
    instance: str = Field(default="", description="the routing process that ran it (host:pid)")


class ClockOut(BaseModel):
    now: dt.datetime
    frozen: bool = Field(description="True: a test instant is set")


# -- the monthly overdue report (超期通报) -----------------------------------------------------------


class OverdueItem(BaseModel):
    task_id: uuid.UUID
    document_id: uuid.UUID
    doc_number: str | None
    title: str
    unit_id: uuid.UUID | None = Field(description="the division that was overdue")
    unit_name: str | None
    handler_id: uuid.UUID | None = Field(
        description="who held the task when it became overdue (None: pooled to the division)"
    )
    handler_name: str | None
    step: str
    step_name: str
    due_at: dt.datetime
    due_date: dt.date = Field(description="the last working day (办理时限)")
    finished_at: dt.datetime | None = Field(
        description="when it was finally signed for / processed; None: still open"
    )
    status: TaskStatus
    still_open: bool
    working_days_late: int = Field(
        description="working days after the last working day up to the day it was done (or today)"
    )


class DivisionCount(BaseModel):
    unit_id: uuid.UUID | None
    unit_name: str | None
    overdue_documents: int
    overdue_items: int


class PersonCount(BaseModel):
    user_id: uuid.UUID
    user_name: str | None
    unit_id: uuid.UUID | None
    unit_name: str | None
    overdue_documents: int
    overdue_items: int


class OverdueTotals(BaseModel):
    overdue_documents: int = Field(description="documents with at least one overdue task")
    overdue_items: int = Field(description="overdue tasks")
    documents_with_deadline: int = Field(
        description="documents with at least one task whose deadline falls in the month"
    )
    overdue_share: float = Field(
        description="overdue_documents / documents_with_deadline (0 when there are none)"
    )


class OverdueReport(BaseModel):
    """超期文件月报: the tasks whose deadline fell in the month and were missed.

    A task counts in the month its deadline (the end of its last working day,
    Asia/Shanghai) falls in, if it was not done by then. The share of documents
    overdue is the number of documents with such a task divided by the number of
    documents with at least one task whose deadline fell in the month.
    """

    month: str
    tenant_id: uuid.UUID
    generated_at: dt.datetime
    period_start: dt.date
    period_end: dt.date
    totals: OverdueTotals
    by_division: list[DivisionCount]
    by_person: list[PersonCount]
    items: list[OverdueItem]


class MonthCount(BaseModel):
    month: str
    overdue_documents: int
    overdue_items: int


class DivisionOverdue(BaseModel):
    """A division's own overdue list and its trend, month by month."""

    unit_id: uuid.UUID
    unit_name: str | None
    months: int
    generated_at: dt.datetime
    trend: list[MonthCount] = Field(description="oldest month first, the current month last")
    items: list[OverdueItem]
