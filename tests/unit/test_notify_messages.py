"""What notify's notifications say (pure rules, no broker): the deadline as a reader in
China says it, and the title and body of each kind."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.common.vocabulary import SHANGHAI
from services.notify.messages import (
    InboxUrgeFacts,
    TaskFacts,
    compose,
    compose_inbox_urge,
    deadline_text,
)
from services.notify.schemas import NotificationKind


def facts(**overrides: object) -> TaskFacts:
    data: dict[str, object] = {
        "task_id": str(uuid.uuid4()),
        "document_id": str(uuid.uuid4()),
        "title": "关于做好年底政务数据报送工作的通知",
        "urgency": "normal",
        "step_name": "处室签收",
        "due_at": "2026-12-10T16:00:00+00:00",  # 11 Dec 00:00 Shanghai: the end of 10 Dec
    }
    data.update(overrides)
    return TaskFacts.from_event(data)


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (dt.datetime(2026, 12, 11, tzinfo=SHANGHAI), "2026年12月10日24:00"),
        (dt.datetime(2026, 12, 10, 16, tzinfo=dt.UTC), "2026年12月10日24:00"),
        (dt.datetime(2027, 1, 1, tzinfo=SHANGHAI), "2026年12月31日24:00"),
        (dt.datetime(2026, 12, 10, 17, 30, tzinfo=SHANGHAI), "2026年12月10日17:30"),
        (dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC), "2026年12月10日09:00"),
    ],
)
def test_a_deadline_is_shown_in_shanghai_time_and_the_end_of_a_day_as_24_00(due, text):
    assert deadline_text(due) == text


def test_each_kind_has_its_chinese_title_and_body():
    f = facts(message="请于今日内签收", reason="拟办意见不明确，请补充。")
    todo = compose(NotificationKind.todo, f)
    assert todo.title == "新待办：《关于做好年底政务数据报送工作的通知》"
    assert todo.body == "「处室签收」待您办理，请于2026年12月10日24:00前办结。"
    urge = compose(NotificationKind.urge, f)
    assert urge.title == "催办：《关于做好年底政务数据报送工作的通知》"
    assert urge.body == "请尽快办理。催办意见：请于今日内签收"
    returned = compose(NotificationKind.returned, f)
    assert returned.title == "退回：《关于做好年底政务数据报送工作的通知》已退回给您"
    assert returned.body == "退回理由：拟办意见不明确，请补充。"
    reminder = compose(NotificationKind.reminder, f)
    assert reminder.title == (
        "待办提醒：《关于做好年底政务数据报送工作的通知》将于2026年12月10日24:00到期"
    )
    assert reminder.body == "「处室签收」的办理期限为2026年12月10日24:00，请抓紧办理。"
    overdue = compose(NotificationKind.overdue, f)
    assert overdue.title == "超期提醒：《关于做好年底政务数据报送工作的通知》已超期"
    assert "2026年12月10日24:00已过" in overdue.body


def test_urgent_documents_are_marked_and_missing_facts_are_worded_around():
    assert compose(NotificationKind.todo, facts(urgency="extra_urgent")).title.startswith(
        "【特急】"
    )
    assert compose(NotificationKind.urge, facts(urgency="urgent")).title.startswith("【加急】")
    bare = facts(title=None, step_name=None, due_at=None, urgency=None)
    assert compose(NotificationKind.todo, bare).title == "新待办：一件公文"
    assert compose(NotificationKind.todo, bare).body == "该环节待您办理，请及时处理。"
    assert compose(NotificationKind.reminder, bare).title == "待办提醒：一件公文即将到期"
    assert compose(NotificationKind.urge, bare).body == "请尽快办理。"
    assert compose(NotificationKind.returned, bare).body == "请查看处理笺后重新办理。"


def test_event_payloads_are_read_leniently():
    f = TaskFacts.from_event(
        {"task_id": "nope", "title": "  ", "due_at": "yesterday", "opinion": "请补充材料"}
    )
    assert f.task_id is None and f.title is None and f.due_at is None
    assert f.reason == "请补充材料"  # a return's reason is its opinion when no reason is given
    assert f.with_document("标题", "urgent").title == "标题"
    assert facts().with_document("别的标题", None).title == "关于做好年底政务数据报送工作的通知"
    naive = TaskFacts.from_event({"due_at": "2026-12-10T16:00:00"})
    assert naive.due_at == dt.datetime(2026, 12, 10, 16, tzinfo=dt.UTC)


def test_a_very_long_title_is_cut_to_what_the_inbox_stores():
    message = compose(NotificationKind.todo, facts(title="长" * 600, message="催" * 5000))
    assert len(message.title) == 500
    assert len(compose(NotificationKind.urge, facts(message="催" * 5000)).body) == 4000


def test_an_urge_to_sign_names_the_document_the_sender_and_the_count():
    data = {
        "inbox_item_id": str(uuid.uuid4()),
        "recipient_unit_id": str(uuid.uuid4()),
        "title": "关于开展政务数据质量检查的通知",
        "doc_number": "黔府办发〔2026〕3号",
        "urgency": "extra_urgent",
        "sender_tenant_name": "贵州省人民政府办公厅",
        "sender_unit_name": "文书处",
        "urge_count": 2,
        "message": "请尽快签收",
    }
    message = compose_inbox_urge(InboxUrgeFacts.from_event(data))
    assert message.title == "【特急】催收：《关于开展政务数据质量检查的通知》"
    assert message.body == (
        "「贵州省人民政府办公厅 · 文书处」第2次催请签收（黔府办发〔2026〕3号），"
        "请到收文箱及时签收。催签意见：请尽快签收"
    )
    # an event of before the names and the count, or with malformed ones
    older = InboxUrgeFacts.from_event(
        {
            **data,
            "sender_tenant_name": None,
            "sender_unit_name": " ",
            "urge_count": True,
            "doc_number": None,
            "message": None,
            "urgency": "normal",
            "title": None,
        }
    )
    assert (older.sender, older.urge_count) == (None, None)
    assert compose_inbox_urge(older).title == "催收：一件来文"
    assert compose_inbox_urge(older).body == "来文单位催请签收，请到收文箱及时签收。"
