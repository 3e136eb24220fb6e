"""The contract of the notify service's RPC methods and of the gateway's notification
routes (通知): what a notification is, the inbox query and its page."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

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
    seq: int = Field(default=0, description="the order written in: a live stream's event id")


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int = Field(description="notifications matching the query (all pages)")
    unread_count: int = Field(description="my unread notifications (未读), whatever the query")
    limit: int
    offset: int


class MarkAllReadOut(BaseModel):
    marked: int = Field(description="how many were unread and are now read")
    unread_count: int


# -- e-mail and SMS (DESIGN 5) ---------------------------------------------------------------------


ChannelName = Literal["in_app", "email", "sms"]


class PreferencesIn(Strict):
    """My channels per kind: ``in_app`` always among them (422 ``in_app_required``)."""

    kinds: dict[NotificationKind, list[ChannelName]] = Field(
        description='kind → channels, e.g. {"reminder": ["in_app", "email"]}'
    )


class PreferencesOut(BaseModel):
    kinds: dict[str, list[str]]


class MessageQuery(Strict):
    status: Literal["scheduled", "queued", "sending", "sent", "failed", "dropped"] | None = None
    channel: Literal["email", "sms"] | None = None
    user_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=500)


class MessageOut(BaseModel):
    """One notification's message by one channel, with how it went."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    channel: str
    address: str
    subject: str
    status: str
    not_before: dt.datetime
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    updated_at: dt.datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    counts: dict[str, int] = Field(description="messages per status (all, not only this page)")


class SinceOut(BaseModel):
    """My notifications written after a stream position, oldest first."""

    items: list[NotificationOut]
    unread_count: int
    last_seq: int = Field(
        description="the position to resume from (the last item's, or the one given)"
    )


def stream_channel(prefix: str, user_id: uuid.UUID | str) -> str:
    """The Redis channel notify pokes and a user's live streams (the gateway's) listen on."""
    return f"{prefix}notify:user:{user_id}"
