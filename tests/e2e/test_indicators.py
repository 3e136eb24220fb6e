"""运维指标数据 — 应用情况 through the gateway: a province of its own with two
departments and two cities; the indicators computed by metrics from identity's,
documents' and routing's events (sign-ins, accounts, 收文登记, to-dos), ranked, with a
12-month trend, who sees what, bad input, and the XLSX opened cell by cell."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest

from services.metrics.arithmetic import SHANGHAI, shift
from tests.support.gateway import (
    Gateway,
    Person,
    User,
    create_unit,
    create_user,
    error_code,
    fresh_address,
    ok,
    onboard,
    register,
    wait_until,
)
from tests.support.stacks import unique


def this_month() -> str:
    now = dt.datetime.now(SHANGHAI)
    return f"{now.year:04d}-{now.month:02d}"


@dataclass
class Province:
    code: str
    cities: dict[str, str]  # name → code
    admin: User
    ops: User
    city_ops: User
    handler: User
    units: dict[str, str] = field(default_factory=dict)  # name → id
    tenant_ids: dict[str, str] = field(default_factory=dict)  # name → id


def _root(admin: User) -> str:
    return str(next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)["id"])


@pytest.fixture(scope="module")
def province(gw: Gateway, platform_admin: User) -> Province:
    code = unique("zb")
    p = ok(onboard(platform_admin, code, "指标省", None), 201)
    c1 = ok(onboard(platform_admin, f"{code}-a", "甲市", code), 201)
    c2 = ok(onboard(platform_admin, f"{code}-b", "乙州", code), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    root = _root(admin)
    d1 = str(create_unit(admin, "省教育厅", "unit", root)["id"])
    office = str(create_unit(admin, "办公室", "division", d1)["id"])
    d2 = str(create_unit(admin, "省交通厅", "unit", root)["id"])
    create_user(admin, "ops", "省运维", root, ["ops"])
    create_user(admin, "reg", "教育厅文书", office, ["registrar"])
    create_user(admin, "h1", "教育厅承办", d1, ["handler"])
    create_user(admin, "h2", "交通厅承办", d2, ["handler"])
    c1_admin = gw.login(f"{code}-a", f"{code}-a-admin", address=fresh_address())
    c1_root = _root(c1_admin)
    bureau = str(create_unit(c1_admin, "市教育局", "unit", c1_root)["id"])
    create_user(c1_admin, "cops", "甲市运维", c1_root, ["ops"])
    create_user(c1_admin, "cu", "市教育局职员", bureau, ["handler"])
    gw.login(f"{code}-b", f"{code}-b-admin", address=fresh_address())
    ops = gw.login(code, "ops", address=fresh_address())
    city_ops = gw.login(f"{code}-a", "cops", address=fresh_address())
    reg = gw.login(code, "reg", address=fresh_address())
    registrar = Person(
        id=str(reg.me()["id"]),
        username="reg",
        full_name="教育厅文书",
        unit_id=office,
        roles=["registrar"],
        user=reg,
    )
    register(registrar, "关于开展教育督导的通知")
    handler = gw.login(code, "h1", address=fresh_address())
    # h1 signed in: count them as active from here on (5 of the province's 9 … see below)
    return Province(
        code=code,
        cities={"甲市": f"{code}-a", "乙州": f"{code}-b"},
        admin=admin,
        ops=ops,
        city_ops=city_ops,
        handler=handler,
        units={"省教育厅": d1, "省交通厅": d2, "市教育局": bureau},
        tenant_ids={"指标省": p["id"], "甲市": c1["id"], "乙州": c2["id"]},
    )


def table(user: User, level: str, month: str | None = None) -> dict[str, Any]:
    return dict(
        ok(user.get("/metrics/indicators", params={"month": month or this_month(), "level": level}))
    )


def settled(user: User, level: str, check: Any) -> dict[str, Any]:
    """The table once the events have reached metrics (it consumes them asynchronously)."""

    def ready() -> dict[str, Any] | None:
        out = table(user, level)
        return out if check(out) else None

    return dict(wait_until(ready, 30, f"the {level} indicators"))


def by_name(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in out["rows"]}


def test_departments_ranked_by_login_rate(province: Province) -> None:
    out = settled(
        province.ops,
        "department",
        lambda o: by_name(o).get("省教育厅", {}).get("documents_received") == 1
        and by_name(o)["省教育厅"]["active_users"] == 2,
    )
    assert out["level_label"] == "省直部门" and out["scope_name"] == "指标省"
    rows = by_name(out)
    assert list(rows) == ["省教育厅", "省交通厅"]
    edu = rows["省教育厅"]
    # the registrar (in 办公室 below it) and the handler, both signed in
    assert (edu["registered_users"], edu["active_users"], edu["login_rate_label"]) == (
        2,
        2,
        "100.00%",
    )
    assert edu["rank"] == 1 and edu["documents_received"] == 1 and edu["items_started"] == 1
    assert (edu["documents_sent"], edu["documents_processed"], edu["documents_overdue"]) == (
        0,
        0,
        0,
    )
    assert edu["overdue_share"] == 0.0 and edu["overdue_share_label"] == "0.00%"
    traffic = rows["省交通厅"]
    assert (traffic["registered_users"], traffic["active_users"]) == (1, 0)
    assert traffic["login_rate"] == 0.0 and traffic["login_rate_label"] == "0.00%"
    assert traffic["rank"] == 2 and traffic["overdue_share"] is None
    assert traffic["overdue_share_label"] == "—"
    # the whole province: 9 accounts (3 admins, 2 ops, registrar, 3 handlers);
    # signed in: 3 admins, 2 ops, the registrar, h1 → 7 of 9
    total = out["total"]
    assert (total["registered_users"], total["active_users"]) == (9, 7)
    assert total["login_rate_label"] == "77.78%"


def test_cities_and_units(province: Province) -> None:
    out = settled(
        province.ops, "city", lambda o: len(o["rows"]) == 2 and o["total"]["active_users"] == 7
    )
    rows = by_name(out)
    # 乙州: its administrator, signed in; 甲市: administrator and ops signed in, cu not
    assert (
        rows["乙州"]["registered_users"],
        rows["乙州"]["login_rate_label"],
        rows["乙州"]["rank"],
    ) == (1, "100.00%", 1)
    assert (rows["甲市"]["registered_users"], rows["甲市"]["active_users"]) == (3, 2)
    assert rows["甲市"]["login_rate_label"] == "66.67%" and rows["甲市"]["rank"] == 2
    assert [r["name"] for r in out["rows"]] == ["乙州", "甲市"]

    units = by_name(table(province.ops, "unit"))
    assert set(units) == {"省教育厅", "省交通厅", "市教育局"}
    assert units["市教育局"]["city"] == "甲市" and units["省教育厅"]["city"] == "指标省"
    assert units["市教育局"]["login_rate_label"] == "0.00%"
    assert units["省交通厅"]["rank"] == units["市教育局"]["rank"] == 2


def test_a_city_ops_sees_their_city_only(province: Province) -> None:
    out = settled(
        province.city_ops, "city", lambda o: o["rows"] and o["rows"][0]["active_users"] == 2
    )
    assert out["scope_name"] == "甲市"
    assert [r["name"] for r in out["rows"]] == ["甲市"]
    assert [r["name"] for r in table(province.city_ops, "unit")["rows"]] == ["市教育局"]
    assert out["total"]["registered_users"] == 3


def test_who_may_not_and_bad_months(province: Province) -> None:
    month = this_month()
    response = province.handler.get("/metrics/indicators", params={"month": month})
    assert response.status_code == 403 and error_code(response) == "indicators_forbidden"
    future = shift(month, 1)
    response = province.ops.get("/metrics/indicators", params={"month": future})
    assert response.status_code == 422 and error_code(response) == "month_in_future"
    response = province.ops.get("/metrics/indicators", params={"month": "2026-13"})
    assert response.status_code == 422
    response = province.ops.get(
        "/metrics/indicators/trend",
        params={"month": month, "level": "department", "key": province.tenant_ids["甲市"]},
    )
    assert response.status_code == 404 and error_code(response) == "indicator_key_not_found"


def test_a_past_month_and_the_trend(province: Province) -> None:
    settled(province.ops, "department", lambda o: by_name(o)["省教育厅"]["active_users"] == 2)
    month = this_month()
    before = by_name(table(province.ops, "department", shift(month, -1)))
    assert before["省教育厅"]["registered_users"] == 0 and before["省教育厅"]["login_rate"] is None
    assert before["省教育厅"]["login_rate_label"] == "—"
    trend = ok(
        province.ops.get(
            "/metrics/indicators/trend",
            params={"month": month, "level": "department", "key": province.units["省教育厅"]},
        )
    )
    assert trend["name"] == "省教育厅"
    assert [p["month"] for p in trend["points"]] == [shift(month, -k) for k in range(11, -1, -1)]
    assert [p["registered_users"] for p in trend["points"]] == [0] * 11 + [2]
    assert trend["points"][-1]["login_rate_label"] == "100.00%"
    assert trend["points"][-1]["documents_received"] == 1
    city = ok(
        province.ops.get(
            "/metrics/indicators/trend",
            params={"month": month, "level": "city", "key": province.tenant_ids["甲市"]},
        )
    )
    assert city["points"][-1]["login_rate_label"] == "66.67%"


def test_the_xlsx_cell_by_cell(province: Province) -> None:
    settled(province.ops, "city", lambda o: o["total"]["active_users"] == 7)
    month = this_month()
    response = province.ops.get(
        "/metrics/indicators.xlsx", params={"month": month, "level": "city"}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "排名",
        "市州",
        "用户数量",
        "登录用户数",
        "登录率",
        "收文数",
        "发文数",
        "办结数",
        "事务发起数",
        "超期公文数",
        "超期率",
    ]
    assert rows[1] == [1, "乙州", 1, 1, 1.0, 0, 0, 0, 0, 0, None]
    assert rows[2] == [2, "甲市", 3, 2, 0.6667, 0, 0, 0, 0, 0, None]
    assert rows[3] == ["合计", "指标省", 9, 7, 0.7778, 1, 0, 0, 1, 0, 0.0]
    assert len(rows) == 4
    assert sheet["E2"].number_format == "0.00%" and sheet["K4"].number_format == "0.00%"
    assert sheet.title == f"{month} 市州"

    units = province.ops.get("/metrics/indicators.xlsx", params={"month": month, "level": "unit"})
    sheet = openpyxl.load_workbook(io.BytesIO(units.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["排名", "单位", "所属"]
    assert rows[1] == [1, "省教育厅", "指标省", 2, 2, 1.0, 1, 0, 0, 1, 0, 0.0]
    assert sorted(r[1] for r in rows[2:4]) == ["市教育局", "省交通厅"]
    assert rows[4][:2] == ["合计", "指标省"] and len(rows) == 5
