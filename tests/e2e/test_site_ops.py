"""服务站点运维 through the gateway: each city's ops report the month that ended; a
second report only as an explicit correction (kept in history); the province's ops see
every city, the missing ones and the summary; the XLSX opened cell by cell."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest

from services.metrics.arithmetic import SHANGHAI, shift
from tests.support.gateway import (
    Gateway,
    User,
    create_user,
    error_code,
    fresh_address,
    ok,
    onboard,
    wait_until,
)
from tests.support.stacks import unique


def this_month() -> str:
    now = dt.datetime.now(SHANGHAI)
    return f"{now.year:04d}-{now.month:02d}"


LAST = shift(this_month(), -1)


@dataclass
class Ops:
    province: User
    cities: dict[str, User]  # name → the city's ops
    handler: User
    tenant_ids: dict[str, str]


def _root(admin: User) -> str:
    return str(next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)["id"])


@pytest.fixture(scope="module")
def ops(gw: Gateway, platform_admin: User) -> Ops:
    code = unique("yw")
    ids = {"运维省": ok(onboard(platform_admin, code, "运维省", None), 201)["id"]}
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    create_user(admin, "ops", "省运维", _root(admin), ["ops"])
    create_user(admin, "hh", "承办人", _root(admin), ["handler"])
    cities: dict[str, User] = {}
    for suffix, name in (("a", "甲市"), ("b", "乙州"), ("c", "贵安新区")):
        ids[name] = ok(onboard(platform_admin, f"{code}-{suffix}", name, code), 201)["id"]
        city_admin = gw.login(f"{code}-{suffix}", f"{code}-{suffix}-admin", address=fresh_address())
        create_user(city_admin, "ops", f"{name}运维", _root(city_admin), ["ops"])
        cities[name] = gw.login(f"{code}-{suffix}", "ops", address=fresh_address())
    province = gw.login(code, "ops", address=fresh_address())
    wait_until(
        lambda: province.get("/metrics/site-reports", params={"month": LAST}).status_code == 200
        and len(province.get("/metrics/site-reports", params={"month": LAST}).json()["lines"]) == 3,
        30,
        "metrics to know the tenants",
    )
    return Ops(province, cities, gw.login(code, "hh", address=fresh_address()), ids)


def report(**fields: Any) -> dict[str, Any]:
    return {
        "month": LAST,
        "availability": 99.95,
        "incidents": 2,
        "tickets_opened": 40,
        "tickets_closed": 38,
        "mean_response_minutes": 12.5,
        **fields,
    }


def board(user: User) -> dict[str, Any]:
    return dict(ok(user.get("/metrics/site-reports", params={"month": LAST})))


def test_report_then_refused_twice_then_corrected_with_history(ops: Ops) -> None:
    city = ops.cities["甲市"]
    first = ok(city.post("/metrics/site-reports", json=report(note="一切正常")), 201)
    assert first["version"] == 1 and first["tenant_name"] == "甲市"
    again = city.post("/metrics/site-reports", json=report(incidents=9))
    assert again.status_code == 409 and error_code(again) == "site_report_exists"
    unreasoned = city.post("/metrics/site-reports", json=report(incidents=9, correction=True))
    assert unreasoned.status_code == 422 and error_code(unreasoned) == "correction_reason_required"
    # nothing of the refused ones was written
    line = next(x for x in board(city)["lines"] if x["tenant_name"] == "甲市")
    assert line["report"]["incidents"] == 2 and line["report"]["version"] == 1

    fixed = ok(
        city.post(
            "/metrics/site-reports",
            json=report(
                incidents=3, availability=99.5, correction=True, correction_reason="漏报一次故障"
            ),
        ),
        201,
    )
    assert fixed["version"] == 2 and fixed["correction_reason"] == "漏报一次故障"
    history = ok(
        ops.province.get(
            "/metrics/site-reports/history",
            params={"month": LAST, "tenant_id": ops.tenant_ids["甲市"]},
        )
    )
    assert [(v["version"], v["incidents"], v["availability"]) for v in history["versions"]] == [
        (1, 2, 99.95),
        (2, 3, 99.5),
    ]
    assert history["versions"][0]["note"] == "一切正常"
    # another city's ops cannot read it
    other = ops.cities["乙州"].get(
        "/metrics/site-reports/history", params={"month": LAST, "tenant_id": ops.tenant_ids["甲市"]}
    )
    assert other.status_code == 404 and error_code(other) == "site_report_not_found"


def test_bad_reports(ops: Ops) -> None:
    city = ops.cities["乙州"]
    for month in (this_month(), shift(this_month(), 1)):
        response = city.post("/metrics/site-reports", json=report(month=month))
        assert response.status_code == 422 and error_code(response) == "month_not_ended"
    response = city.post(
        "/metrics/site-reports", json=report(correction=True, correction_reason="更正")
    )
    assert response.status_code == 409 and error_code(response) == "nothing_to_correct"
    response = city.post("/metrics/site-reports", json=report(availability=100.5))
    assert response.status_code == 422
    response = ops.handler.post("/metrics/site-reports", json=report())
    assert response.status_code == 403 and error_code(response) == "role_required"
    response = ops.handler.get("/metrics/site-reports", params={"month": LAST})
    assert response.status_code == 403 and error_code(response) == "site_reports_forbidden"
    assert not board(city)["lines"][0]["reported"]


def test_the_province_sees_every_city_the_missing_and_the_summary(ops: Ops) -> None:
    ok(
        ops.cities["贵安新区"].post(
            "/metrics/site-reports",
            json=report(
                availability=99.0,
                incidents=1,
                tickets_opened=10,
                tickets_closed=10,
                mean_response_minutes=20.0,
            ),
        ),
        201,
    )
    wait_until(lambda: board(ops.province)["summary"]["reported"] >= 1, 10, "the reports")
    out = board(ops.province)
    assert out["scope_name"] == "运维省"
    names = [line["tenant_name"] for line in out["lines"]]
    assert sorted(names) == ["乙州", "甲市", "贵安新区"]
    reported = {x["tenant_name"] for x in out["lines"] if x["reported"]}
    assert "贵安新区" in reported and "乙州" in out["missing"]
    # the city's ops see their own city only
    mine = board(ops.cities["乙州"])
    assert [line["tenant_name"] for line in mine["lines"]] == ["乙州"]


def test_the_xlsx_cell_by_cell(ops: Ops) -> None:
    # 甲市 reported and corrected (previous test), 贵安新区 reported, 乙州 missing
    out = board(ops.province)
    if not next(x for x in out["lines"] if x["tenant_name"] == "甲市")["reported"]:
        pytest.skip("needs the reports of the tests above")
    response = ops.province.get("/metrics/site-reports.xlsx", params={"month": LAST})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "市州",
        "状态",
        "站点可用率",
        "故障数",
        "工单受理数",
        "工单办结数",
        "平均响应时间(分钟)",
        "版本",
        "更正原因",
        "备注",
    ]
    by_city = {r[0]: r for r in rows[1:]}
    assert by_city["甲市"] == ["甲市", "已更正", 0.995, 3, 40, 38, 12.5, 2, "漏报一次故障", None]
    assert by_city["乙州"] == ["乙州", "未报送", None, None, None, None, None, None, None, None]
    assert by_city["贵安新区"] == ["贵安新区", "已报送", 0.99, 1, 10, 10, 20.0, 1, None, None]
    # availability averaged over the two that reported: (99.5 + 99.0) / 2 = 99.25
    assert rows[-1] == ["合计", "已报送 2，未报送 1", 0.9925, 4, 50, 48, 16.3, None, None, None]
    assert sheet["C2"].number_format == "0.00%"
    assert len(rows) == 5
