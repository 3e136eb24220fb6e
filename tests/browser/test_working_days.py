"""Working days left follow the tenant's calendar, not just the weekdays: with a local
day off (苗年) on Tuesday 15 Dec 2026, a document distributed on Friday 11 Dec is due at
the end of Thursday 17 Dec, and on that Friday the list reads 「剩 3 个工作日」 (Mon, Wed,
Thu) — counting weekdays only would say 4."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from services.routing.working_days import SHANGHAI
from tests.support.browser import DESKTOP
from tests.support.gateway import Gateway, Office, User, ok, register, setup_office
from tests.support.stacks import SyncRpc, unique

People = Any
TITLE = "关于做好苗年节日期间值班工作的通知"
FRIDAY = dt.datetime(2026, 12, 11, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User, rpc: SyncRpc) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("rl"), "日历测试州")
    for unit in ("文书处", "电子政务处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    ok(
        built.admin.post(
            "/calendar/overrides",
            json={"date": "2026-12-15", "kind": "day_off", "note": "苗年放假"},
        ),
        201,
    )
    try:
        rpc.call("routing", "set_test_clock", now=FRIDAY.isoformat())
        registrar = built["wenshu"]
        doc = register(registrar, TITLE)
        out = ok(
            registrar.post(
                f"/documents/{doc['id']}/distribute",
                json={"lead_unit_id": built.units["电子政务处"]},
            )
        )
        [task] = out["tasks"]
        assert dt.datetime.fromisoformat(task["due_at"]) == dt.datetime(
            2026, 12, 18, tzinfo=SHANGHAI
        )
        yield built
    finally:
        rpc.call("routing", "set_test_clock", now=None)


def test_working_days_left_count_the_tenants_local_days_off(people: People, office: Office):
    person = people(DESKTOP)
    person.context.clock.set_fixed_time(FRIDAY)
    page = person.sign_in(office.code, "dz_ban1")
    expect(page.get_by_text("您好，李承办")).to_be_visible()
    page.locator("[data-test=menu-todo]").click()
    row = page.locator("[data-test=task-table] .el-table__body tr", has_text=TITLE)
    expect(row).to_contain_text("2026-12-17 24:00")
    expect(row).to_contain_text("剩 3 个工作日")
