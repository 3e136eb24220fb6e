"""Notices with receipts (通知 + 回执) end to end, through the gateway of the test stack
with its real notify, identity, broker, database and the loopback SMS/e-mail sinks.

A provincial office's clerk sends a meeting notice with a receipt form to two units — a
division of the province and a city's office (a tenant below it); the recipients read
and reply (one changes the reply), the sender follows the replies, reminds the one
missing and exports the replies (checked cell by cell); a recipient who did not read
it is texted once notify's test clock passes the notice's time (no sleeping); bad
input is refused with its own code and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest

from devstack.sinks import SinkClient
from devstack.stack import Stack
from services.common.settings import Settings
from services.common.vocabulary import SHANGHAI
from services.notify.channel_rules import parse_quiet_hours
from tests.support.gateway import (
    Gateway,
    User,
    create_unit,
    create_user,
    expect_error,
    fresh_address,
    ok,
    onboard,
    real_pdf,
)
from tests.support.stacks import SyncRpc, unique
from tests.support.waiting import eventually


@dataclass
class Province:
    """A province (its office: the sender's 办公室, two divisions) and a city below it."""

    gw: Gateway
    code: str
    city_code: str
    units: dict[str, str] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _tenant(
    gw: Gateway, platform_admin: User, code: str, name: str, parent: str | None
) -> tuple[User, str]:
    ok(onboard(platform_admin, code, name, parent), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    root = next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)
    return admin, str(root["id"])


@pytest.fixture(scope="module")
def province(gw: Gateway, platform_admin: User) -> Province:
    code = unique("tz")
    built = Province(gw=gw, code=code, city_code=f"{code}-c")
    admin, root = _tenant(gw, platform_admin, code, "通知省", None)
    city_admin, city_root = _tenant(gw, platform_admin, built.city_code, "通知市", code)
    for name in ("办公室", "电子政务处", "财务处"):
        built.units[name] = str(create_unit(admin, name, "division", root)["id"])
    built.units["市政府办公室"] = str(
        create_unit(city_admin, "市政府办公室", "unit", city_root)["id"]
    )
    staff = (
        (admin, code, "clerk", "王文书", "办公室", ["registrar"], "13900000001"),
        (admin, code, "colleague", "赵同事", "办公室", ["handler"], "13900000002"),
        (admin, code, "dz1", "李电政", "电子政务处", ["handler"], "13900000003"),
        (admin, code, "dz2", "吴电政", "电子政务处", ["division_head"], "13900000004"),
        (admin, code, "cw", "钱财务", "财务处", ["handler"], "13900000005"),
        (
            city_admin,
            built.city_code,
            "city1",
            "孙市办",
            "市政府办公室",
            ["registrar"],
            "13900000006",
        ),
    )
    for owner, tenant, username, full_name, unit, roles, phone in staff:
        made = create_user(owner, username, full_name, built.units[unit], roles, phone=phone)
        built.ids[username] = str(made["id"])
        built.people[username] = gw.login(tenant, username, address=fresh_address())
    return built


@pytest.fixture()
def notify_clock(rpc: SyncRpc) -> Iterator[Any]:
    """notify's test clock, set by the test; real time again afterwards."""

    def set_clock(instant: dt.datetime) -> None:
        rpc.call("notify", "set_test_clock", now=instant.isoformat())

    yield set_clock
    rpc.call("notify", "set_test_clock", now=None)


@pytest.fixture()
def sink(stack: Stack) -> SinkClient:
    assert stack.sink_url, "the test stack runs the loopback sinks"
    return SinkClient(stack.sink_url, timeout=5)


FORM = [
    {"label": "参会人员", "type": "text", "required": True},
    {"label": "人数", "type": "integer", "required": True},
    {"label": "联系电话", "type": "phone"},
    {"label": "是否住宿", "type": "select", "options": ["是", "否"]},
]


def _compose(p: Province, **change: Any) -> dict[str, Any]:
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    body = {
        "title": "关于召开全省电子政务工作推进会的通知",
        "body": "定于12月10日上午9:00在省政府3号楼召开推进会，请各单位派员参加。",
        "units": [
            {"unit_id": p.units["电子政务处"]},
            {"tenant_code": p.city_code, "unit_id": p.units["市政府办公室"]},
        ],
        "form": FORM,
        "reply_deadline": deadline.isoformat(),
        **change,
    }
    return body


def _send(p: Province, **change: Any) -> dict[str, Any]:
    clerk = p.people["clerk"]
    draft = ok(clerk.post("/notices", json=_compose(p, **change)), 201)
    assert draft["status"] == "draft"
    return dict(ok(clerk.post(f"/notices/{draft['id']}/send")))


def _received(user: User) -> list[dict[str, Any]]:
    return list(ok(user.get("/notices", params={"box": "received"}))["items"])


def test_meeting_notice_to_two_units_replies_reminder_and_export(province: Province) -> None:
    p = province
    clerk = p.people["clerk"]
    notice = _send(p)
    nid = notice["id"]
    assert notice["status"] == "sent" and notice["is_sender"] is True
    assert notice["counts"] == {"total": 3, "unread": 3, "read": 0, "replied": 0}
    assert [f["key"] for f in notice["form"]] == ["f1", "f2", "f3", "f4"]
    assert [r["name"] for r in notice["recipients"]] == ["电子政务处", "市政府办公室"]

    # every recipient — the city's too — has it, unread, and a notification naming it
    for username in ("dz1", "dz2", "city1"):
        user = p.people[username]
        got = _received(user)
        assert [(n["id"], n["my_status"]) for n in got] == [(nid, "unread")]

        def told(u: User = user) -> list[dict[str, Any]]:
            items = ok(u.get("/notifications"))["items"]
            return [n for n in items if n.get("notice_id") == nid]

        notes = eventually(told, what=f"{username}'s notice notification")
        assert notes[0]["kind"] == "notice" and notes[0]["title"].startswith("通知：")
    # nobody else: not the sender, not the 财务处
    assert _received(p.people["cw"]) == [] and _received(clerk) == []

    dz1, dz2, city1 = p.people["dz1"], p.people["dz2"], p.people["city1"]
    opened = ok(dz1.post(f"/notices/{nid}/read"))
    assert opened["mine"]["status"] == "read" and opened["mine"]["can_reply"] is True
    assert ok(clerk.get(f"/notices/{nid}"))["counts"]["read"] == 1
    # opening it read its notification too (the SMS waiting for it is dropped)
    unread = [n for n in ok(dz1.get("/notifications"))["items"] if n.get("notice_id") == nid]
    assert all(n["read_at"] for n in unread)

    # replies: one missing a required field, one with a field the form lacks: refused
    expect_error(
        dz2.put(f"/notices/{nid}/reply", json={"values": {"f1": "吴电政"}}), 422, "missing_field"
    )
    expect_error(
        dz2.put(f"/notices/{nid}/reply", json={"values": {"f1": "吴", "f2": 1, "zz": 1}}),
        422,
        "unknown_field",
    )
    expect_error(
        dz2.put(f"/notices/{nid}/reply", json={"values": {"f1": "吴", "f2": "两"}}),
        422,
        "invalid_field_value",
    )
    assert ok(clerk.get(f"/notices/{nid}"))["counts"]["replied"] == 0  # nothing written

    first = ok(
        dz1.put(f"/notices/{nid}/reply", json={"values": {"f1": "李电政", "f2": 1, "f4": "否"}})
    )
    assert first["mine"]["status"] == "replied" and first["mine"]["changes"] == 0
    changed = ok(
        dz1.put(
            f"/notices/{nid}/reply",
            json={"values": {"f1": "李电政、张工", "f2": "2", "f3": "0851-86812345", "f4": "是"}},
        )
    )
    assert changed["mine"]["changes"] == 1
    assert changed["mine"]["reply"] == {
        "f1": "李电政、张工",
        "f2": 2,
        "f3": "0851-86812345",
        "f4": "是",
    }
    ok(
        city1.put(
            f"/notices/{nid}/reply", json={"values": {"f1": "孙市办", "f2": 1, "f3": "13900000006"}}
        )
    )

    receipts = ok(clerk.get(f"/notices/{nid}/receipts"))
    assert receipts["counts"] == {"total": 3, "unread": 1, "read": 0, "replied": 2}
    by_name = {r["user_name"]: r for r in receipts["items"]}
    assert by_name["李电政"]["status"] == "replied" and by_name["李电政"]["changes"] == 1
    assert (
        by_name["孙市办"]["tenant_name"] == "通知市"
        and by_name["孙市办"]["unit_name"] == "市政府办公室"
    )
    assert by_name["吴电政"]["status"] == "unread" and by_name["吴电政"]["reply"] == {}
    only_missing = ok(clerk.get(f"/notices/{nid}/receipts", params={"status": "unread"}))
    assert [r["user_name"] for r in only_missing["items"]] == ["吴电政"]

    # remind those missing: 吴电政 only, once in ten minutes
    assert ok(clerk.post(f"/notices/{nid}/remind", json={})) == {"reminded": 1, "skipped": 0}
    assert ok(clerk.post(f"/notices/{nid}/remind", json={})) == {"reminded": 0, "skipped": 1}

    def reminded() -> list[dict[str, Any]]:
        items = ok(dz2.get("/notifications"))["items"]
        return [n for n in items if n["kind"] == "notice_reminder" and n.get("notice_id") == nid]

    assert eventually(reminded, what="the reminder")[0]["title"] == f"回执提醒：{notice['title']}"
    assert not [n for n in ok(dz1.get("/notifications"))["items"] if n["kind"] == "notice_reminder"]
    assert ok(clerk.get(f"/notices/{nid}/receipts"))["items"][1]["remind_count"] in (0, 1)

    # the export, cell by cell: replied first, then read, then not read
    response = clerk.get(f"/notices/{nid}/receipts.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "序号", "单位", "姓名", "状态", "阅读时间", "回执时间", "修改次数",
        "参会人员", "人数", "联系电话", "是否住宿",
    ]  # fmt: skip
    assert len(rows) == 4
    dz_row = next(r for r in rows[1:] if r[2] == "李电政")
    assert dz_row[1] == "电子政务处" and dz_row[3] == "已回执" and dz_row[6] == 1
    assert dz_row[7:] == ["李电政、张工", 2, "0851-86812345", "是"]
    assert isinstance(dz_row[4], dt.datetime) and isinstance(dz_row[5], dt.datetime)
    city_row = next(r for r in rows[1:] if r[2] == "孙市办")
    assert city_row[1] == "通知市 市政府办公室" and city_row[7:] == [
        "孙市办",
        1,
        "13900000006",
        None,
    ]
    assert rows[3][2] == "吴电政" and rows[3][3] == "未读" and rows[3][4] is None
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    # the reply time in the sheet is Shanghai wall time
    replied = dt.datetime.fromisoformat(by_name["李电政"]["replied_at"])
    assert dz_row[5] == replied.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)

    # only the sender follows it
    expect_error(dz1.get(f"/notices/{nid}/receipts"), 403, "not_notice_sender")
    expect_error(dz1.post(f"/notices/{nid}/remind", json={}), 403, "not_notice_sender")


def test_bad_notices_and_replies_are_refused_and_write_nothing(
    province: Province, gw: Gateway, platform_admin: User, notify_clock: Any
) -> None:
    p = province
    clerk = p.people["clerk"]
    before = ok(clerk.get("/notices", params={"box": "sent"}))["total"]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"units": [], "users": []}, 422, "no_recipients"),
        ({"units": [{"unit_id": "00000000-0000-4000-8000-000000000001"}]}, 422, "unknown_unit"),
        (
            {"units": [{"tenant_code": "nowhere", "unit_id": p.units["财务处"]}]},
            422,
            "unknown_tenant",
        ),
        (
            {"users": [{"user_id": "00000000-0000-4000-8000-000000000002"}], "units": []},
            422,
            "unknown_user",
        ),
        ({"form": [{"label": "附件", "type": "file"}]}, 422, "unknown_field_type"),
        ({"form": [{"label": "房型", "type": "select"}]}, 422, "select_without_options"),
        (
            {"form": [{"label": "人数", "type": "integer"}, {"label": "人数", "type": "text"}]},
            422,
            "duplicate_field",
        ),
        ({"reply_deadline": "2020-01-01T00:00:00+08:00"}, 422, "deadline_passed"),
        ({"form": []}, 422, "deadline_without_form"),
    ]
    for change, status, code in cases:
        expect_error(clerk.post("/notices", json=_compose(p, **change)), status, code)
    # the province is not below its city: the city's clerk cannot reach the province
    city1 = p.people["city1"]
    expect_error(
        city1.post(
            "/notices",
            json=_compose(p, units=[{"tenant_code": p.code, "unit_id": p.units["财务处"]}]),
        ),
        422,
        "unknown_tenant",
    )
    assert ok(clerk.get("/notices", params={"box": "sent"}))["total"] == before

    # a reply by someone it was not sent to; after the deadline
    notice = _send(p, units=[{"unit_id": p.units["财务处"]}])
    nid = notice["id"]
    colleague = p.people["colleague"]  # same tenant, not a recipient
    expect_error(colleague.get(f"/notices/{nid}"), 404, "notice_not_found")
    expect_error(
        colleague.put(f"/notices/{nid}/reply", json={"values": {"f1": "赵", "f2": 1}}),
        403,
        "not_a_recipient",
    )
    expect_error(city1.get(f"/notices/{nid}"), 404, "notice_not_found")
    expect_error(clerk.post(f"/notices/{nid}/send"), 409, "notice_sent")

    deadline = dt.datetime.fromisoformat(notice["reply_deadline"])
    notify_clock(deadline + dt.timedelta(minutes=1))
    cw = p.people["cw"]
    late = expect_error(
        cw.put(f"/notices/{nid}/reply", json={"values": {"f1": "钱", "f2": 1}}),
        409,
        "deadline_passed",
    )
    assert "deadline" in late["message"]
    mine = ok(cw.get(f"/notices/{nid}"))["mine"]
    assert mine["status"] == "unread" and mine["can_reply"] is False and mine["reply"] == {}


def test_recipient_who_has_not_read_it_is_texted_once(
    province: Province, rpc: SyncRpc, sink: SinkClient, notify_clock: Any, settings: Settings
) -> None:
    p = province
    notice = _send(p, title="关于报送年度网络安全自查报告的通知", sms_after_minutes=30)
    nid = notice["id"]
    ok(p.people["dz1"].post(f"/notices/{nid}/read"))  # dz1 reads it; dz2 and city1 do not

    def texts() -> list[dict[str, Any]]:
        return [m for m in sink.messages("sms") if notice["title"] in str(m.get("text") or m)]

    rpc.call("notify", "release_now")
    assert texts() == []  # not before its time

    sent_at = dt.datetime.fromisoformat(notice["sent_at"])
    quiet = parse_quiet_hours(settings.notify_quiet_hours)
    later = quiet.after(sent_at + dt.timedelta(minutes=31)) + dt.timedelta(minutes=1)
    notify_clock(later)
    rpc.call("notify", "release_now")
    got = eventually(lambda: texts() if len(texts()) >= 2 else None, what="the sign-in texts")
    numbers = sorted(str(m.get("to") or m.get("mobile") or m.get("phone")) for m in got)
    assert numbers == ["13900000004", "13900000006"], got
    assert all("请登录" in str(m.get("text") or m) for m in got)

    rpc.call("notify", "release_now")  # a second pass sends nothing again
    assert len(texts()) == 2 and sink.stats().get("duplicates", 0) == 0

    # the sender sees each recipient's delivery
    receipts = ok(p.people["clerk"].get(f"/notices/{nid}/receipts"))["items"]
    sms = {
        r["user_name"]: [d["status"] for d in r["delivery"] if d["channel"] == "sms"]
        for r in receipts
    }
    assert sms["吴电政"] == ["sent"] and sms["孙市办"] == ["sent"] and sms["李电政"] == ["dropped"]


def test_attachments_of_a_draft_reach_the_recipients_only(province: Province) -> None:
    p = province
    clerk, cw, colleague = p.people["clerk"], p.people["cw"], p.people["colleague"]
    draft = ok(
        clerk.post("/notices", json=_compose(p, units=[{"unit_id": p.units["财务处"]}])), 201
    )
    nid = draft["id"]
    pdf = real_pdf("meeting agenda")
    files = [("files", ("会议议程.pdf", pdf, "application/pdf"))]
    added = ok(clerk.post(f"/notices/{nid}/attachments", files=files), 201)
    assert [(a["filename"], a["content_type"], a["size"]) for a in added] == [
        ("会议议程.pdf", "application/pdf", len(pdf))
    ]
    bad = [("files", ("议程.exe", b"MZ\x90\x00" * 64, "application/octet-stream"))]
    expect_error(clerk.post(f"/notices/{nid}/attachments", files=bad), 422, "file_type_not_allowed")
    expect_error(cw.get(f"/notices/{nid}"), 404, "notice_not_found")  # a draft: the sender's

    sent = ok(clerk.post(f"/notices/{nid}/send"))
    assert [a["filename"] for a in sent["attachments"]] == ["会议议程.pdf"]
    expect_error(clerk.post(f"/notices/{nid}/attachments", files=files), 409, "notice_sent")
    expect_error(clerk.delete(f"/notices/{nid}"), 409, "notice_sent")

    file_id = added[0]["id"]
    got = cw.get(f"/notices/{nid}/attachments/{file_id}")
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    expect_error(colleague.get(f"/notices/{nid}/attachments/{file_id}"), 404, "notice_not_found")

    # a draft deleted is gone, its files with it
    other = ok(clerk.post("/notices", json=_compose(p)), 201)
    ok(clerk.post(f"/notices/{other['id']}/attachments", files=files), 201)
    assert clerk.delete(f"/notices/{other['id']}").status_code == 204
    expect_error(clerk.get(f"/notices/{other['id']}"), 404, "notice_not_found")
