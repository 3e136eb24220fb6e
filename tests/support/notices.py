"""Notices with receipts (通知 + 回执) for the browser tests: a province with a city below
it, their units and staff (with e-mail addresses and mobile numbers, so that the sender
sees each recipient's e-mail and SMS), and notices composed and sent through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.gateway import Gateway, Office, User, fresh_address, ok, onboard
from tests.support.stacks import unique
from tests.support.waiting import eventually

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

PROVINCE_NAME = "通知测试省"
CITY_NAME = "通知测试市"

#: (username, full name, unit, roles) of the province; 空处室 has nobody in it
PROVINCE_STAFF = (
    ("clerk", "王文书", "办公室", ["registrar"]),
    ("dz1", "李电政", "电子政务处", ["handler"]),
    ("dz2", "吴电政", "电子政务处", ["division_head"]),
    ("shenji", "周审计", "办公室", ["auditor"]),
)
CITY_STAFF = (("city1", "孙市办", "市政府办公室", ["registrar"]),)

#: the meeting notice's receipt form, as POST /notices takes it
MEETING_FORM: list[dict[str, Any]] = [
    {"label": "参会人员", "type": "text", "required": True},
    {"label": "人数", "type": "integer", "required": True},
    {"label": "联系电话", "type": "phone"},
    {"label": "是否住宿", "type": "select", "options": ["是", "否"]},
]


def _tenant(gw: Gateway, platform_admin: User, code: str, name: str, parent: str | None) -> Office:
    tenant = ok(onboard(platform_admin, code, name, parent), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    root = next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)
    return Office(gw=gw, code=code, tenant=tenant, admin=admin, root_id=str(root["id"]))


def _staff(office: Office, staff: tuple[tuple[str, str, str, list[str]], ...], n: int) -> None:
    for i, (username, full_name, unit, roles) in enumerate(staff):
        person = office.add_person(username, full_name, unit, roles)
        ok(
            office.admin.patch(
                f"/users/{person.id}",
                json={
                    "email": f"{username}@{office.code}.example.gov.cn",
                    "phone": f"1390000{n}{i:03d}",
                },
            )
        )


def notice_offices(gw: Gateway, platform_admin: User) -> tuple[Office, Office]:
    """通知测试省 (办公室, 电子政务处, 空处室) and 通知测试市 below it (市政府办公室), staffed;
    waits until the address book lists their units."""
    code = unique("tzs")
    province = _tenant(gw, platform_admin, code, PROVINCE_NAME, None)
    city = _tenant(gw, platform_admin, f"{code}-c", CITY_NAME, code)
    for unit in ("办公室", "电子政务处", "空处室"):
        province.add_unit(unit)
    city.add_unit("市政府办公室", "unit")
    _staff(province, PROVINCE_STAFF, 1)
    _staff(city, CITY_STAFF, 2)

    def listed() -> bool:
        book = ok(province["clerk"].get("/address-book", params={"limit": 500}))
        names = {(u["tenant_code"], u["unit_name"]) for u in book["units"]}
        return {(code, "电子政务处"), (code, "空处室"), (city.code, "市政府办公室")} <= names

    eventually(listed, what="the notice tenants' units in the address book")
    return province, city


def send_notice(
    sender: Any,
    title: str,
    *,
    units: list[dict[str, Any]] | None = None,
    users: list[dict[str, Any]] | None = None,
    form: list[dict[str, Any]] | None = None,
    deadline: dt.datetime | None = None,
    body: str = "定于下周三上午9:00在省政府3号楼第一会议室召开会议，请各单位派员参加。",
) -> dict[str, Any]:
    """A notice composed and sent through the API (its draft, then 发送)."""
    fields = MEETING_FORM if form is None else form
    when = deadline or (dt.datetime.now(SHANGHAI) + dt.timedelta(days=3))
    draft = ok(
        sender.post(
            "/notices",
            json={
                "title": title,
                "body": body,
                "units": units or [],
                "users": users or [],
                "form": fields,
                "reply_deadline": when.isoformat() if fields else None,
            },
        ),
        201,
    )
    return dict(ok(sender.post(f"/notices/{draft['id']}/send")))


def sent_total(sender: Any) -> int:
    return int(ok(sender.get("/notices", params={"box": "sent", "limit": 1}))["total"])
