"""What a notification says (pure: no transport, no database).

Routing's task events carry the facts (the document's title and urgency, the
step, the deadline, an urge's message, a return's reason); each kind of
notification turns them into a short Chinese title and a body, e.g.
「待办提醒：《关于做好年底政务数据报送工作的通知》将于2026年12月10日24:00到期」.
documents' ``inbox.item_urged`` (催签: the sender of a document asks a recipient
registry to sign for it) becomes an urge too, 「催收：《…》」, naming who urges and
how often (:func:`compose_inbox_urge`).

Deadlines are shown in Asia/Shanghai. A deadline is the end (24:00) of a working
day, stored as midnight of the next day: it is shown as 24:00 of the day itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from services.common.inputs import optional_id
from services.common.vocabulary import SHANGHAI, URGENCY_LABELS, Urgency
from services.notify.schemas import NotificationKind

#: the mark before an urgent document's title (DESIGN 4.7): 【特急】, 【加急】; none for 平件
URGENCY_MARKS = {u.value: f"【{URGENCY_LABELS[u]}】" for u in Urgency if u is not Urgency.normal}

TITLE_MAX = 500
BODY_MAX = 4000


@dataclass(frozen=True)
class TaskFacts:
    """What one of routing's task events says about the task (lenient: a missing or
    malformed field is None)."""

    task_id: uuid.UUID | None
    document_id: uuid.UUID | None
    title: str | None  # the document's
    urgency: str | None
    step_name: str | None
    due_at: dt.datetime | None
    message: str | None  # an urge's (催办意见)
    reason: str | None  # a return's (退回理由)

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> TaskFacts:
        """The facts of any task event: each is read only where the event's type declares
        it (``in`` tells; an urge carries no title, a to-do no message)."""

        def field(name: str) -> Any:
            return data.get(name) if name in data else None

        return cls(
            task_id=optional_id(field("task_id")),
            document_id=optional_id(field("document_id")),
            title=_text(field("title")),
            urgency=_text(field("urgency")),
            step_name=_text(field("step_name")),
            due_at=_instant(field("due_at")),
            message=_text(field("message")),
            reason=_text(field("reason")) or _text(field("opinion")),
        )

    def with_document(self, title: str | None, urgency: str | None) -> TaskFacts:
        """Fill in the document's title and urgency where the event did not carry them."""
        return replace(self, title=self.title or title, urgency=self.urgency or urgency)


@dataclass(frozen=True)
class InboxUrgeFacts:
    """What documents' ``inbox.item_urged`` says (lenient: a missing or malformed field
    is None; events of before the sender's names and the count lack them)."""

    inbox_item_id: uuid.UUID | None
    recipient_unit_id: uuid.UUID | None
    title: str | None  # the document's
    doc_number: str | None
    urgency: str | None
    sender_tenant_name: str | None
    sender_unit_name: str | None
    urge_count: int | None  # this urge is the how-manyth
    message: str | None  # 催签意见

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> InboxUrgeFacts:
        def field(name: str) -> Any:
            return data.get(name) if name in data else None

        count = field("urge_count")
        return cls(
            inbox_item_id=optional_id(field("inbox_item_id")),
            recipient_unit_id=optional_id(field("recipient_unit_id")),
            title=_text(field("title")),
            doc_number=_text(field("doc_number")),
            urgency=_text(field("urgency")),
            sender_tenant_name=_text(field("sender_tenant_name")),
            sender_unit_name=_text(field("sender_unit_name")),
            urge_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            message=_text(field("message")),
        )

    @property
    def sender(self) -> str | None:
        """The urging registry as the address book names it: 「贵阳市 · 文书处」."""
        names = [n for n in (self.sender_tenant_name, self.sender_unit_name) if n]
        return " · ".join(names) if names else None


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def deadline_text(due_at: dt.datetime) -> str:
    """A deadline as a reader in China says it: ``2026年12月10日24:00`` for the end of
    10 Dec (stored as 11 Dec 00:00 Shanghai), else ``2026年12月10日17:30``."""
    local = due_at.astimezone(SHANGHAI)
    if local.time() == dt.time(0, 0):
        day = local.date() - dt.timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日24:00"
    return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"


def _document(facts: TaskFacts) -> str:
    return f"《{facts.title}》" if facts.title else "一件公文"


def _mark(facts: TaskFacts) -> str:
    return URGENCY_MARKS.get(facts.urgency or "", "")


def _step(facts: TaskFacts) -> str:
    return f"「{facts.step_name}」" if facts.step_name else "该环节"


def compose(kind: NotificationKind, facts: TaskFacts) -> Message:
    """The title and body of a notification of ``kind`` about the task in ``facts``."""
    doc, mark, step = _document(facts), _mark(facts), _step(facts)
    due = deadline_text(facts.due_at) if facts.due_at else None
    if kind is NotificationKind.todo:
        title = f"{mark}新待办：{doc}"
        body = f"{step}待您办理，请于{due}前办结。" if due else f"{step}待您办理，请及时处理。"
    elif kind is NotificationKind.urge:
        title = f"{mark}催办：{doc}"
        body = "请尽快办理。" + (f"催办意见：{facts.message}" if facts.message else "")
    elif kind is NotificationKind.returned:
        title = f"{mark}退回：{doc}已退回给您"
        body = f"退回理由：{facts.reason}" if facts.reason else "请查看处理笺后重新办理。"
    elif kind is NotificationKind.reminder:
        when = f"将于{due}到期" if due else "即将到期"
        title = f"{mark}待办提醒：{doc}{when}"
        body = f"{step}的办理期限为{due}，请抓紧办理。" if due else f"{step}即将到期，请抓紧办理。"
    else:  # overdue
        title = f"{mark}超期提醒：{doc}已超期"
        body = (
            f"{step}的办理期限{due}已过，已记为超期，请尽快办理。"
            if due
            else f"{step}已超过办理期限，请尽快办理。"
        )
    return Message(title=title[:TITLE_MAX], body=body[:BODY_MAX])


def compose_inbox_urge(facts: InboxUrgeFacts) -> Message:
    """催签 to the registrars who may sign for the document: 「【特急】催收：《…》」 and
    「「贵阳市 · 文书处」第2次催请签收（黔府办发〔2026〕3号），请到收文箱及时签收。催签意见：…」."""
    doc = f"《{facts.title}》" if facts.title else "一件来文"
    mark = URGENCY_MARKS.get(facts.urgency or "", "")
    who = f"「{facts.sender}」" if facts.sender else "来文单位"
    times = f"第{facts.urge_count}次" if facts.urge_count and facts.urge_count > 0 else ""
    number = f"（{facts.doc_number}）" if facts.doc_number else ""
    body = f"{who}{times}催请签收{number}，请到收文箱及时签收。"
    if facts.message:
        body += f"催签意见：{facts.message}"
    return Message(title=f"{mark}催收：{doc}"[:TITLE_MAX], body=body[:BODY_MAX])
