"""The contract of the notify service's RPC methods and of the gateway's notification
routes (通知): what a notification is, the inbox query and its page."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from services.common.vocabulary import Strict


class NotificationKind(StrEnum):
    """Why a user is notified (DESIGN 5, triggers)."""

    todo = "todo"  # 待办: a new task for me (or my division)
    urge = "urge"  # 催办: someone urged a task I hold
    returned = "returned"  # 退回: a document was returned to me
    reminder = "reminder"  # 到期提醒: a deadline is approaching
    overdue = "overdue"  # 超期提醒: a deadline has passed


KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.todo: "待办通知",
    NotificationKind.urge: "催办通知",
    NotificationKind.returned: "退回通知",
    NotificationKind.reminder: "到期提醒",
    NotificationKind.overdue: "超期提醒",
}


class NotificationQuery(Strict):
    """The in-app inbox (站内通知), newest first."""

    unread_only: bool = Field(default=False, description="only notifications not read yet")
    limit: int = Field(default=20, ge=1, le=200, description="rows per page")
    offset: int = Field(default=0, ge=0, description="rows to skip")


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: NotificationKind
    kind_label: str = Field(description="the kind in Chinese, e.g. 到期提醒")
    title: str = Field(
        examples=["待办提醒：《关于做好年底政务数据报送工作的通知》将于12月10日24:00到期"]
    )
    body: str
    document_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    created_at: dt.datetime
    read_at: dt.datetime | None = None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int = Field(description="notifications matching the query (all pages)")
    unread_count: int = Field(description="my unread notifications (未读), whatever the query")
    limit: int
    offset: int


class MarkAllReadOut(BaseModel):
    marked: int = Field(description="how many were unread and are now read")
    unread_count: int
