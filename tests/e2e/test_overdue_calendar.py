"""Calendars as data and step time limits end to end (DESIGN 4.3), with routing's test clock:

* publishing a provisional year recomputes, once, the open deadlines that depend on it;
  the year is no longer provisional; the change is audited and announced;
* a prefecture's local day off moves deadlines in that city and in a county below it,
  not in its sibling city; removing it moves them back;
* a template owner sets a step's time limit (a new version); the default keeps 3 days;
* bad input is refused with its own code and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from services.common.audit import check_links
from services.common.settings import Settings
from services.routing.schemas import DEFAULT_INCOMING
from services.routing.templates import DEFAULT_TEMPLATE_ID
from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    Tenants,
    User,
    act,
    create_unit,
    create_user,
    expect_error,
    fresh_address,
    ok,
    onboard,
)
from tests.support.overdue import RoutingEvents, SetClock, at, build_office, new_document, shanghai
from tests.support.stacks import SyncRpc, unique


@pytest.fixture(scope="module")
def calendar_office(gw: Gateway, platform_admin: User) -> Office:
    return build_office(gw, platform_admin, "工作日历测试厅")


@pytest.fixture(scope="module")
def routing_admin_db(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(settings.admin_database_url(settings.database_name("routing")))
    yield engine
    engine.dispose()


def task(office: Office, username: str, task_id: str) -> dict[str, Any]:
    return dict(ok(office[username].get(f"/tasks/{task_id}")))


# -- publishing a year -----------------------------------------------------------------------------


def test_publishing_a_year_recomputes_its_open_deadlines_once(
    calendar_office: Office,
    clock: SetClock,
    platform_admin: User,
    routing_events: RoutingEvents,
    routing_admin_db: Engine,
):
    office = calendar_office
    years = {y["year"]: y for y in ok(office["wenshu"].get("/calendar/years"))}
    assert years[2026]["provisional"] is False and years[2026]["holidays"] > 20
    assert years[2027]["provisional"] is True  # not published yet: weekends only
    month = ok(office["wenshu"].get("/calendar/months/2027-01"))
    assert month["provisional"] is True
    assert (month["days"][0]["working"], month["days"][0]["reason"]) == (True, "workday")

    clock(shanghai(2026, 12, 30, 10))  # Wednesday
    _, [sign] = new_document(office, "关于元旦期间值班安排的通知", "电子政务处")
    # Thu 31 Dec, Fri 1 Jan (a weekday while 2027 is provisional), Mon 4 Jan
    assert at(sign["due_at"]) == shanghai(2027, 1, 5) and sign["due_provisional"] is True

    schedule = {
        "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
        "workdays": [],
        "note": "国务院办公厅关于2027年部分节假日安排的通知",
    }
    published = ok(platform_admin.http.put("/calendar/years/2027", json=schedule))
    assert published["provisional"] is False and published["recomputed_tasks"] >= 1
    assert published["moved_tasks"] >= 1 and published["holidays"] == schedule["holidays"]
    moved = task(office, "dz_ban1", sign["id"])
    # 1 Jan is a holiday now: Thu 31 Dec, Mon 4, Tue 5 Jan
    assert at(moved["due_at"]) == shanghai(2027, 1, 6) and moved["due_provisional"] is False
    assert at(moved["remind_at"]) == shanghai(2027, 1, 5, 9)

    [event] = routing_events.wait("calendar.year_published", year=2027)
    assert event["data"]["provisional"] is False
    assert event["data"]["recomputed_tasks"] == published["recomputed_tasks"]
    with routing_admin_db.connect() as conn:
        rows = list(
            conn.execute(
                text("SELECT * FROM audit_log WHERE tenant_id IS NULL ORDER BY id")
            ).mappings()
        )
    assert check_links(rows).ok
    assert rows[-1]["action"] == "calendar.year_published" and rows[-1]["target_id"] == "2027"
    assert rows[-1]["after"]["recomputed_tasks"] == published["recomputed_tasks"]

    # once: publishing the same schedule again moves nothing
    again = ok(platform_admin.http.put("/calendar/years/2027", json=schedule))
    assert (again["recomputed_tasks"], again["moved_tasks"]) == (0, 0)
    assert task(office, "dz_ban1", sign["id"])["due_at"] == moved["due_at"]
    years = {y["year"]: y for y in ok(office["wenshu"].get("/calendar/years"))}
    assert years[2027]["provisional"] is False and years[2027]["holidays"] == 3
    month = ok(office["wenshu"].get("/calendar/months/2027-01"))
    assert month["provisional"] is False
    assert [(d["date"], d["reason"]) for d in month["days"][:4]] == [
        ("2027-01-01", "national_holiday"),
        ("2027-01-02", "national_holiday"),
        ("2027-01-03", "national_holiday"),
        ("2027-01-04", "workday"),
    ]
    # a new document follows the published year
    clock(shanghai(2026, 12, 31, 10))
    _, [later] = new_document(office, "关于元旦后开展检查的通知", "综合处")
    assert at(later["due_at"]) == shanghai(2027, 1, 7) and later["due_provisional"] is False


def test_a_month_shows_why_each_day_is_or_is_not_worked(calendar_office: Office):
    month = ok(calendar_office["wenshu"].get("/calendar/months/2026-10"))
    days = {d["date"]: d for d in month["days"]}
    assert len(days) == 31 and month["provisional"] is False
    assert (days["2026-10-01"]["working"], days["2026-10-01"]["reason"]) == (
        False,
        "national_holiday",
    )
    assert (days["2026-10-10"]["working"], days["2026-10-10"]["reason"]) == (True, "makeup_workday")
    assert (days["2026-10-17"]["working"], days["2026-10-17"]["reason"]) == (False, "weekend")
    assert (days["2026-10-12"]["working"], days["2026-10-12"]["reason"]) == (True, "workday")
    assert days["2026-10-12"]["weekday"] == 1
    assert month["working_days"] == sum(1 for d in month["days"] if d["working"])
    expect_error(calendar_office["wenshu"].get("/calendar/months/2026-13"), 422, "invalid_month")


# -- local days off down the tenant tree -------------------------------------------------------------


def local_office(gw: Gateway, code: str, admin: User) -> Office:
    """A registry and a division with a registrar and a handler in an existing tenant."""
    root = next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)
    office = Office(gw=gw, code=code, tenant={}, admin=admin, root_id=str(root["id"]))
    for name in ("文书处", "综合处"):
        office.units[name] = str(create_unit(admin, unique(name), "division", office.root_id)["id"])
    for key, unit, role in (("wenshu", "文书处", "registrar"), ("zh_ban", "综合处", "handler")):
        username = unique(key)
        made = create_user(admin, username, f"{code}{key}", office.units[unit], [role])
        office.people[key] = Person(
            id=str(made["id"]),
            username=username,
            full_name=made["full_name"],
            unit_id=office.units[unit],
            roles=[role],
            user=gw.login(code, username, address=fresh_address()),
        )
    return office


def test_a_local_day_off_moves_deadlines_in_one_city_and_its_county_not_its_sibling(
    gw: Gateway,
    tenants: Tenants,
    platform_admin: User,
    clock: SetClock,
    routing_events: RoutingEvents,
):
    county_code = unique("qdn-kl")
    county = ok(onboard(platform_admin, county_code, "凯里市", "gz-qdn"), 201)
    county_admin = gw.login(county_code, f"{county_code}-admin", address=fresh_address())
    qdn_admin, gy_admin = tenants.admins["gz-qdn"], tenants.admins["gz-gy"]
    qdn = local_office(gw, "gz-qdn", qdn_admin)
    gy = local_office(gw, "gz-gy", gy_admin)
    kl = local_office(gw, county_code, county_admin)
    qdn_id = tenants.records["gz-qdn"]["id"]

    clock(shanghai(2026, 12, 7, 10))  # Monday: due at the end of Thu 10 Dec everywhere
    tasks = {}
    for name, where in (("qdn", qdn), ("gy", gy), ("kl", kl)):
        _, [tasks[name]] = new_document(where, f"{name}: 关于民族节日期间工作安排的通知", "综合处")
        assert at(tasks[name]["due_at"]) == shanghai(2026, 12, 11)

    # 黔东南州 gives 9 Dec off (苗年); its county inherits it, 贵阳市 does not
    added = ok(
        qdn_admin.post(
            "/calendar/overrides", json={"date": "2026-12-09", "kind": "day_off", "note": "苗年"}
        ),
        201,
    )
    assert added["tenant_id"] == qdn_id and added["recomputed_tasks"] == 2
    assert task(qdn, "zh_ban", tasks["qdn"]["id"])["due_at"].startswith("2026-12-11T16:00")
    assert task(kl, "zh_ban", tasks["kl"]["id"])["due_at"].startswith("2026-12-11T16:00")
    assert at(task(gy, "zh_ban", tasks["gy"]["id"])["due_at"]) == shanghai(2026, 12, 11)
    [event] = routing_events.wait("calendar.override_added", id=added["id"])
    assert event["tenant_id"] == qdn_id and event["data"]["date"] == "2026-12-09"

    # a new county document is computed with the inherited day off
    _, [fresh] = new_document(kl, "关于节后工作的通知", "综合处")
    assert at(fresh["due_at"]) == shanghai(2026, 12, 12)

    # the month as each tenant's calendar has it
    county_month = ok(county_admin.get("/calendar/months/2026-12"))
    day = county_month["days"][8]
    assert (day["date"], day["working"], day["reason"]) == ("2026-12-09", False, "local_day_off")
    assert (day["note"], day["source_tenant_id"]) == ("苗年", qdn_id)
    assert ok(qdn_admin.get("/calendar/months/2026-12", params={"tenant_id": county["id"]}))[
        "days"
    ][8]["reason"] == ("local_day_off")
    assert ok(gy_admin.get("/calendar/months/2026-12"))["days"][8]["reason"] == "workday"
    inherited = ok(county_admin.get("/calendar/overrides"))
    assert [(o["id"], o["inherited"]) for o in inherited] == [(added["id"], True)]

    # another tenant's calendar and overrides are not anybody else's to see or change
    expect_error(
        gy_admin.get("/calendar/months/2026-12", params={"tenant_id": qdn_id}),
        404,
        "tenant_not_found",
    )
    expect_error(
        gy_admin.post(
            "/calendar/overrides",
            json={"tenant_id": qdn_id, "date": "2026-12-10", "kind": "day_off", "note": "x"},
        ),
        404,
        "tenant_not_found",
    )
    expect_error(
        county_admin.http.delete(f"/calendar/overrides/{added['id']}"), 404, "override_not_found"
    )
    assert [o["id"] for o in ok(qdn_admin.get("/calendar/overrides"))] == [added["id"]]
    expect_error(
        qdn_admin.post(
            "/calendar/overrides",
            json={"date": "2026-12-09", "kind": "working_day", "note": "重复"},
        ),
        409,
        "override_exists",
    )

    # removing it moves the deadlines back (the new county document's too)
    removed = ok(qdn_admin.http.delete(f"/calendar/overrides/{added['id']}"))
    assert removed["recomputed_tasks"] == 3
    assert at(task(qdn, "zh_ban", tasks["qdn"]["id"])["due_at"]) == shanghai(2026, 12, 11)
    assert at(task(kl, "zh_ban", fresh["id"])["due_at"]) == shanghai(2026, 12, 11)
    assert ok(qdn_admin.get("/calendar/overrides")) == []


# -- step time limits --------------------------------------------------------------------------------


def test_a_template_owner_sets_the_time_limit_of_a_step(calendar_office: Office, clock: SetClock):
    office = calendar_office
    admin = office.admin
    default = ok(admin.get(f"/templates/{DEFAULT_TEMPLATE_ID}"))
    limits = {s["key"]: s["time_limit_days"] for s in default["steps"]}
    assert limits["division_sign"] == limits["propose"] == limits["division_review"] == 3

    # the platform's default is the platform's to change
    expect_error(
        admin.patch(f"/templates/{DEFAULT_TEMPLATE_ID}/steps/propose", json={"time_limit_days": 5}),
        403,
        "not_template_owner",
    )
    mine = DEFAULT_INCOMING.model_dump(mode="json") | {"code": unique("t-"), "name": "综合处收文"}
    created = ok(admin.post("/templates", json=mine), 201)
    ok(
        admin.post(
            f"/templates/{created['id']}/assign", json={"unit_ids": [office.units["综合处"]]}
        )
    )
    for bad in (0, -1):
        expect_error(
            admin.patch(f"/templates/{created['id']}/steps/propose", json={"time_limit_days": bad}),
            422,
            "bad_time_limit",
        )
    expect_error(
        office["zh_chu"].user.patch(
            f"/templates/{created['id']}/steps/propose", json={"time_limit_days": 5}
        ),
        403,
        "tenant_admin_required",
    )
    expect_error(
        admin.patch(f"/templates/{created['id']}/steps/nowhere", json={"time_limit_days": 5}),
        404,
        "step_not_found",
    )
    versions = [t for t in ok(admin.get("/templates")) if t["code"] == mine["code"]]
    assert [t["version"] for t in versions] == [1]  # nothing written

    v2 = ok(admin.patch(f"/templates/{created['id']}/steps/propose", json={"time_limit_days": 5}))
    assert v2["version"] == 2 and v2["assigned_unit_ids"] == [office.units["综合处"]]
    assert {s["key"]: s["time_limit_days"] for s in v2["steps"]}["propose"] == 5
    expect_error(
        admin.patch(f"/templates/{created['id']}/steps/propose", json={"time_limit_days": 4}),
        409,
        "template_not_latest",
    )
    v3 = ok(
        admin.patch(f"/templates/{v2['id']}/steps/division_review", json={"time_limit_days": 2})
    )
    assert {s["key"]: s["time_limit_days"] for s in v3["steps"]}["division_review"] == 2

    clock(shanghai(2026, 11, 23, 10))  # Monday
    _, [sign] = new_document(office, "关于调整办理时限的测试通知", "综合处")
    [propose] = act(office["zh_ban"], sign["id"], action="sign")["next_tasks"]
    assert at(propose["due_at"]) == shanghai(2026, 12, 1)  # 5 working days: Tue … next Mon
    [review] = act(office["zh_ban"], propose["id"], action="propose", opinion="拟办")["next_tasks"]
    assert at(review["due_at"]) == shanghai(2026, 11, 26)  # 2 working days
    # a division without a template of its own keeps the 3-working-day rule
    _, [other] = new_document(office, "关于默认时限的测试通知", "电子政务处")
    [other_propose] = act(office["dz_ban1"], other["id"], action="sign")["next_tasks"]
    assert at(other_propose["due_at"]) == shanghai(2026, 11, 27)


# -- bad input -----------------------------------------------------------------------------------------


def test_calendar_refusals_write_nothing(
    calendar_office: Office, platform_admin: User, routing_admin_db: Engine, rpc: SyncRpc
):
    def state() -> tuple[Any, ...]:
        with routing_admin_db.connect() as conn:
            return (
                conn.execute(
                    text("SELECT year, published_at FROM calendar_years ORDER BY year")
                ).all(),
                conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one(),
                conn.execute(text("SELECT version FROM calendar_state")).scalar_one(),
            )

    before = state()
    put = platform_admin.http.put
    expect_error(
        put("/calendar/years/2028", json={"holidays": ["2028-01-01", "2029-01-01"]}),
        422,
        "date_outside_year",
    )
    expect_error(
        put("/calendar/years/2028", json={"holidays": ["2028-02-13"], "workdays": ["2028-02-13"]}),
        422,
        "day_both_holiday_and_workday",
    )
    expect_error(
        put("/calendar/years/2028", json={"workdays": ["2028-02-14"]}), 422, "workday_not_weekend"
    )
    expect_error(
        calendar_office.admin.http.put("/calendar/years/2028", json={}), 403, "role_required"
    )
    expect_error(
        calendar_office.admin.post(
            "/calendar/overrides", json={"date": "2026-12-09", "kind": "holiday", "note": "x"}
        ),
        422,
        "invalid_input",
    )
    assert state() == before
    years = {y["year"]: y for y in ok(calendar_office["wenshu"].get("/calendar/years"))}
    assert 2028 not in years or years[2028]["provisional"] is True

    # the test clock is a test stack's only
    assert rpc.call("routing", "get_clock")["frozen"] is False
