"""The contract of the notify service's RPC methods and of the gateway's notification
routes (通知): what a notification is, the inbox query and its page; e-mail and SMS
preferences and message status; notices with receipts (通知 + 回执): what a clerk
composes, what a recipient and the sender see, and the receipts."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.common.text import TEXT_CHECK
from services.common.vocabulary import Strict


class NotificationKind(StrEnum):
    """Why a user is notified (DESIGN 5, triggers)."""

    todo = "todo"  # 待办: a new task for me (or my division)
    urge = "urge"  # 催办: someone urged a task I hold
    returned = "returned"  # 退回: a document was returned to me
    reminder = "reminder"  # 到期提醒: a deadline is approaching
    overdue = "overdue"  # 超期提醒: a deadline has passed
    notice = "notice"  # 通知: a notice (会议通知…) sent to me or my unit
    notice_reminder = "notice_reminder"  # 回执提醒: its sender reminds me to reply


KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.todo: "待办通知",
    NotificationKind.urge: "催办通知",
    NotificationKind.returned: "退回通知",
    NotificationKind.reminder: "到期提醒",
    NotificationKind.overdue: "超期提醒",
    NotificationKind.notice: "通知公告",
    NotificationKind.notice_reminder: "回执提醒",
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
    notice_id: uuid.UUID | None = Field(default=None, description="the notice (通知) it is about")
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


# -- notices with receipts (通知 + 回执) ------------------------------------------------------

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), TEXT_CHECK
]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), TEXT_CHECK
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), TEXT_CHECK]
Short = Annotated[str, StringConstraints(max_length=40), TEXT_CHECK]
Value = Annotated[str, StringConstraints(max_length=2000), TEXT_CHECK]


class ReceiptFieldIn(Strict):
    """One field of a receipt form. ``type``: ``text`` (单行文本), ``textarea`` (多行文本),
    ``integer`` (整数), ``number`` (数字), ``phone`` (电话), ``date`` (日期), ``select``
    (单选, with ``options``); another is 422 ``unknown_field_type``."""

    key: Short | None = Field(
        default=None, max_length=40, description="left out: f1, f2… in the form's order"
    )
    label: Label = Field(examples=["参会人员"])
    type: Short = Field(examples=["text"])
    required: bool = False
    options: list[Label] = Field(default_factory=list, max_length=30)


class ReceiptFieldOut(BaseModel):
    key: str
    label: str
    type: str
    type_label: str = Field(description="the type in Chinese, e.g. 整数")
    required: bool
    options: list[str] = Field(default_factory=list)


class UnitRecipientIn(Strict):
    """A unit (its people, the units below it included): of this tenant (no
    ``tenant_code``) or of a tenant below it (a city under the province)."""

    tenant_code: Code | None = None
    unit_id: uuid.UUID


class UserRecipientIn(Strict):
    tenant_code: Code | None = None
    user_id: uuid.UUID


class NoticeCreate(Strict):
    """A notice (通知) as a clerk composes it; created as a draft (草稿), sent with
    ``POST /notices/{id}/send``."""

    title: Title = Field(examples=["关于召开全省电子政务工作推进会的通知"])
    body: Annotated[str, StringConstraints(max_length=20000), TEXT_CHECK] = ""
    units: list[UnitRecipientIn] = Field(default_factory=list, max_length=500)
    users: list[UserRecipientIn] = Field(default_factory=list, max_length=2000)
    form: list[ReceiptFieldIn] = Field(
        default_factory=list, description="the receipt form (回执单); empty: no reply asked"
    )
    reply_deadline: dt.datetime | None = Field(
        default=None, description="回执截止时间: replies are taken (and changed) until then"
    )
    sms_after_minutes: int | None = Field(
        default=None,
        ge=1,
        le=7 * 24 * 60,
        description="text recipients who have not read it after this long "
        "(default NOTIFY_NOTICE_UNREAD_MINUTES)",
    )


class RecipientRef(BaseModel):
    """A recipient as the sender named it: a unit or a person, with its tenant."""

    kind: Literal["unit", "user"]
    id: uuid.UUID
    name: str
    tenant_id: uuid.UUID
    tenant_code: str
    tenant_name: str


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class NoticeStatus(StrEnum):
    draft = "draft"  # 草稿
    sent = "sent"  # 已发送


class ReceiptStatus(StrEnum):
    unread = "unread"  # 未读
    read = "read"  # 已读未回执 (or 已读, when no reply is asked)
    replied = "replied"  # 已回执


RECEIPT_STATUS_LABELS = {
    ReceiptStatus.unread: "未读",
    ReceiptStatus.read: "已读未回执",
    ReceiptStatus.replied: "已回执",
}


class NoticeReceiptCounts(BaseModel):
    total: int
    unread: int
    read: int = Field(description="read, not replied")
    replied: int


class MyReceipt(BaseModel):
    """The notice as one recipient stands with it."""

    status: ReceiptStatus
    read_at: dt.datetime | None
    replied_at: dt.datetime | None
    reply: dict[str, Any] = Field(default_factory=dict)
    changes: int = Field(description="how many times the reply was changed after the first")
    can_reply: bool = Field(description="a form, and the deadline not passed")


class NoticeOut(BaseModel):
    id: uuid.UUID
    status: NoticeStatus
    title: str
    body: str
    sender_id: uuid.UUID
    sender_name: str
    sender_unit_name: str
    sender_tenant_name: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    form: list[ReceiptFieldOut]
    reply_deadline: dt.datetime | None
    deadline_passed: bool
    sms_after_minutes: int
    attachments: list[AttachmentOut]
    is_sender: bool
    recipients: list[RecipientRef] = Field(
        default_factory=list, description="as the sender named them (the sender only)"
    )
    counts: NoticeReceiptCounts | None = Field(default=None, description="the sender only")
    mine: MyReceipt | None = Field(default=None, description="a recipient only")


class NoticeSummary(BaseModel):
    id: uuid.UUID
    status: NoticeStatus
    title: str
    sender_name: str
    sender_unit_name: str
    sender_tenant_name: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    reply_deadline: dt.datetime | None
    has_form: bool
    counts: NoticeReceiptCounts | None = None
    my_status: ReceiptStatus | None = None


class NoticeQuery(Strict):
    box: Literal["received", "sent"] = Field(
        default="received", description="received: sent to me; sent: mine (drafts too)"
    )
    q: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK] | None = Field(
        default=None, description="words of the title"
    )
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class NoticePage(BaseModel):
    items: list[NoticeSummary]
    total: int
    limit: int
    offset: int


class ReplyIn(Strict):
    """A reply (回执): the form's field keys and their values."""

    values: dict[Short, Value | int | float | bool | None] = Field(
        examples=[{"f1": "张三、李四", "f2": 2, "f3": "13800000000"}]
    )


class NoticeDeliveryOut(BaseModel):
    """One message of a notice to one recipient by one channel, and how it went."""

    channel: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None
    updated_at: dt.datetime


class NoticeReceiptOut(BaseModel):
    """One recipient of a notice, as its sender sees them."""

    user_id: uuid.UUID
    user_name: str
    unit_name: str
    tenant_name: str
    status: ReceiptStatus
    status_label: str
    read_at: dt.datetime | None
    replied_at: dt.datetime | None
    reply: dict[str, Any]
    changes: int
    reminded_at: dt.datetime | None
    remind_count: int
    delivery: list[NoticeDeliveryOut] = Field(description="e-mail and SMS to this recipient")


class NoticeReceiptQuery(Strict):
    status: ReceiptStatus | None = None
    limit: int = Field(default=500, ge=1, le=5000)
    offset: int = Field(default=0, ge=0)


class NoticeReceiptPage(BaseModel):
    items: list[NoticeReceiptOut]
    total: int
    counts: NoticeReceiptCounts
    form: list[ReceiptFieldOut]


class RemindIn(Strict):
    user_ids: list[uuid.UUID] | None = Field(
        default=None, description="only these of the missing (default: all who are missing)"
    )


class RemindOut(BaseModel):
    reminded: int = Field(description="recipients reminded now")
    skipped: int = Field(description="missing ones reminded in the last 10 minutes already")


class NoticeFileIn(Strict):
    """A file the gateway stored for a draft notice (moved out of staging)."""

    id: uuid.UUID
    object_key: Annotated[str, StringConstraints(max_length=300), TEXT_CHECK]
    filename: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), TEXT_CHECK
    ]
    size: int = Field(ge=1)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), TEXT_CHECK]
    content_type: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK]


class NoticeFileDownload(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    bucket: str
    object_key: str
