"""The contract of the ledger service's RPC methods and of the gateway's ledger routes:
the supplier work ledger (专项工作台账: suppliers, their work items, progress updates and
status changes kept as history, the monthly summary) and the daily work ledger (每日台账:
each staff member's entries of a day, the division's view, the monthly summary).

Pure: pydantic and the shared vocabulary only (the gateway imports it)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.common.text import TEXT_CHECK
from services.common.vocabulary import Strict

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TEXT_CHECK
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), TEXT_CHECK
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TEXT_CHECK]
LongText = Annotated[str, StringConstraints(max_length=10000), TEXT_CHECK]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$"), TEXT_CHECK]


# -- vocabulary -----------------------------------------------------------------------------------


class ItemStatus(StrEnum):
    """A work item's status (DESIGN 6)."""

    not_started = "not_started"  # 未开始
    in_progress = "in_progress"  # 进行中
    done = "done"  # 已完成
    delayed = "delayed"  # 已延期
    suspended = "suspended"  # 已暂停


STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.not_started: "未开始",
    ItemStatus.in_progress: "进行中",
    ItemStatus.done: "已完成",
    ItemStatus.delayed: "已延期",
    ItemStatus.suspended: "已暂停",
}


class Priority(StrEnum):
    high = "high"  # 高
    medium = "medium"  # 中
    low = "low"  # 低


PRIORITY_LABELS: dict[Priority, str] = {
    Priority.high: "高",
    Priority.medium: "中",
    Priority.low: "低",
}


# -- suppliers --------------------------------------------------------------------------------------


class SupplierCreate(Strict):
    """A supplier company (供应商) and its people: users of this tenant holding the
    ``supplier`` role (422 ``not_a_supplier_user`` otherwise; a user belongs to one
    supplier at most: 409 ``user_in_other_supplier``)."""

    name: Name = Field(examples=["贵州某某信息技术有限公司"])
    contact: Short = Field(default="", description="联系人 / 联系方式")
    note: Short = ""
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class SupplierUpdate(Strict):
    name: Name | None = None
    contact: Short | None = None
    note: Short | None = None
    user_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    active: bool | None = None


class PersonRef(BaseModel):
    user_id: uuid.UUID
    name: str


class SupplierMember(PersonRef):
    """One of a supplier's people."""


class SupplierOut(BaseModel):
    id: uuid.UUID
    name: str
    contact: str
    note: str
    active: bool
    members: list[SupplierMember]
    created_at: dt.datetime
    updated_at: dt.datetime


# -- work items ---------------------------------------------------------------------------------------


class ItemCreate(Strict):
    """A work item (专项工作) of a supplier. ``planned_end`` before ``planned_start``: 422
    ``end_before_start``."""

    title: Title = Field(examples=["电子政务外网核心交换机升级"])
    description: LongText = ""
    project: Short = Field(default="", examples=["电子政务网二期"])
    supplier_id: uuid.UUID
    supplier_person_id: uuid.UUID | None = Field(
        default=None, description="the supplier's responsible person (one of its people)"
    )
    owner_id: uuid.UUID | None = Field(
        default=None, description="the division's responsible person (a member of staff)"
    )
    planned_start: dt.date
    planned_end: dt.date
    priority: Priority = Priority.medium


class ItemUpdate(Strict):
    title: Title | None = None
    description: LongText | None = None
    project: Short | None = None
    supplier_person_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    priority: Priority | None = None


class ProgressIn(Strict):
    """A progress update (进度更新) by one of the item's supplier's people: a percentage
    0–100 (422 ``percent_out_of_range``) and what was done."""

    percent: int = Field(description="完成百分比, 0–100")
    text: LongText = Field(default="", description="进展情况")


class StatusIn(Strict):
    """The division changes an item's status (状态变更); the note is kept in its history."""

    status: ItemStatus
    note: LongText = ""


class HistoryKind(StrEnum):
    created = "created"  # 新建
    progress = "progress"  # 进度更新
    status = "status"  # 状态变更
    edited = "edited"  # 修改


class ProgressFileOut(BaseModel):
    """A file attached to a progress update (进度附件)."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class LedgerFileIn(Strict):
    """A file the gateway stored for a progress update (moved out of staging)."""

    id: uuid.UUID
    object_key: Annotated[str, StringConstraints(max_length=300), TEXT_CHECK]
    filename: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), TEXT_CHECK
    ]
    size: int = Field(ge=1)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), TEXT_CHECK]
    content_type: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK]


class LedgerFileDownload(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    bucket: str
    object_key: str


class HistoryOut(BaseModel):
    id: uuid.UUID
    kind: HistoryKind
    author_id: uuid.UUID
    author_name: str
    percent: int | None
    text: str
    status_from: ItemStatus | None
    status_to: ItemStatus | None
    created_at: dt.datetime
    attachments: list[ProgressFileOut] = Field(
        default_factory=list, description="files attached to a progress update"
    )


class ItemOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    project: str
    supplier_id: uuid.UUID
    supplier_name: str
    supplier_person_id: uuid.UUID | None
    supplier_person_name: str
    owner_id: uuid.UUID | None
    owner_name: str
    planned_start: dt.date
    planned_end: dt.date
    priority: Priority
    priority_label: str
    status: ItemStatus = Field(description="the stored status, as the division set it")
    shown_status: ItemStatus = Field(
        description="what is shown: 已延期 when past its planned end and not done or suspended"
    )
    shown_status_label: str
    delayed: bool = Field(description="red: past its planned end (Shanghai day), not done")
    percent: int
    last_progress_at: dt.datetime | None
    last_progress_text: str = Field(description="最近进展: the latest progress update's text")
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    can_update_progress: bool = Field(description="the caller may post a progress update")
    can_manage: bool = Field(description="the caller may edit it and change its status")
    history: list[HistoryOut] = Field(default_factory=list, description="newest first (one item)")


class ItemQuery(Strict):
    supplier_id: uuid.UUID | None = None
    project: Short | None = None
    status: ItemStatus | None = Field(default=None, description="the shown status")
    person_id: uuid.UUID | None = Field(
        default=None, description="the supplier's or the division's responsible person"
    )
    delayed: bool | None = None
    date_from: dt.date | None = Field(default=None, description="planned period overlaps from")
    date_to: dt.date | None = Field(default=None, description="planned period overlaps until")
    q: Short | None = Field(default=None, description="words of the title or description")
    limit: int = Field(default=50, ge=1, le=2000)
    offset: int = Field(default=0, ge=0)


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class SupplierMonth(BaseModel):
    """One supplier's items of a month: those whose planned period overlaps it."""

    supplier_id: uuid.UUID
    supplier_name: str
    total: int
    done: int = Field(description="已完成 (shown status)")
    in_progress: int = Field(description="进行中")
    delayed: int = Field(description="已延期")
    not_started: int = Field(description="未开始")
    suspended: int = Field(description="已暂停")
    completed_in_month: int = Field(description="completed within the month (Shanghai days)")


class MonthlySummary(BaseModel):
    month: str
    suppliers: list[SupplierMonth]


class SummaryQuery(Strict):
    month: Month = Field(examples=["2026-12"])


# -- the daily work ledger (每日台账) ---------------------------------------------------------------


class EntryLink(Strict):
    """A document or a task worked on, linked from an entry."""

    kind: Literal["document", "task"]
    id: uuid.UUID
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), TEXT_CHECK] = ""


class EntryIn(Strict):
    """An entry of my daily ledger: ``day`` (Shanghai; default today) may not be in the
    future (422 ``future_day``)."""

    day: dt.date | None = None
    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), TEXT_CHECK
    ] = Field(examples=["办理《关于做好年底政务数据报送工作的通知》，完成拟办意见"])
    links: list[EntryLink] = Field(default_factory=list, max_length=50)


class EntryUpdate(Strict):
    content: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), TEXT_CHECK
        ]
        | None
    ) = None
    links: list[EntryLink] | None = Field(default=None, max_length=50)


class EntryOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    org_unit_id: uuid.UUID | None
    day: dt.date
    content: str
    links: list[EntryLink]
    created_at: dt.datetime
    updated_at: dt.datetime


class MyDaysQuery(Strict):
    month: Month | None = Field(default=None, description="default: this month")


class MyDays(BaseModel):
    """My entries of a month, newest day first."""

    month: str
    entries: list[EntryOut]


class Suggestion(BaseModel):
    """A task I completed that day (offered to link from an entry)."""

    task_id: uuid.UUID
    document_id: uuid.UUID
    title: str
    step_name: str
    completed_at: dt.datetime


class DivisionQuery(Strict):
    unit_id: uuid.UUID | None = Field(
        default=None, description="the division (default: the caller's own unit)"
    )
    day: dt.date | None = Field(
        default=None, description="default: the previous working day (Shanghai)"
    )


class PersonDay(BaseModel):
    user_id: uuid.UUID
    name: str
    filled: bool
    entries: list[EntryOut]


class DivisionDay(BaseModel):
    """A division's ledger of one day: everyone active in it, with their entries; those
    who have not filled it in (未填报)."""

    unit_id: uuid.UUID
    day: dt.date
    previous_working_day: dt.date
    people: list[PersonDay]
    missing: list[PersonRef] = Field(description="who has no entry that day")


class DivisionMonthQuery(Strict):
    unit_id: uuid.UUID | None = None
    month: Month


class PersonMonth(BaseModel):
    user_id: uuid.UUID
    name: str
    entries: int
    days_filled: int = Field(description="days with at least one entry")
    working_days: int = Field(description="working days of the month up to yesterday")
    working_days_missing: int = Field(description="of those, days without an entry")


class DivisionMonth(BaseModel):
    unit_id: uuid.UUID
    month: str
    working_days: int
    people: list[PersonMonth]
    entries: list[EntryOut] = Field(description="the month's entries of the division, by day")
