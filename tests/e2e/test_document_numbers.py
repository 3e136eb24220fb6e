"""Document numbers of outgoing documents (发文字号) through the gateway: a unit's series,
numbers as GB/T 9704 writes them, gap-free under 100 concurrent numberings, reserved
and voided numbers accounted for, and the refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.gateway import Gateway, Office, User, expect_error, incoming_office, ok

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Office:
    built = incoming_office(gw, platform_admin)
    built.add_unit("机关事务局", "unit")
    built.add_person("jg_wenshu", "机关文书", "机关事务局", ["registrar"])
    return built


def test_a_series_numbers_without_gaps_and_accounts_for_every_number(office: Office):
    admin, registrar = office.admin, office["wenshu"]
    year = dt.datetime.now(SHANGHAI).year
    for bad in ("黔府办函〔2026〕", "黔府办函第", "黔府办函号", "黔府办函1", "黔府 办函"):
        body = {"unit_id": office.root_id, "prefix": bad}
        expect_error(admin.post("/number-series", json=body), 422, "bad_series_prefix")
    expect_error(
        office["dz_ban1"].post(
            "/number-series", json={"unit_id": office.root_id, "prefix": "黔府办函"}
        ),
        403,
        "role_required",
    )
    series = ok(
        admin.post(
            "/number-series",
            json={"unit_id": office.root_id, "prefix": "黔府办函", "name": "办公厅函"},
        ),
        201,
    )
    assert series["next_number"] == f"黔府办函〔{year}〕1号" and series["last_n"] == 0
    expect_error(
        admin.post("/number-series", json={"unit_id": office.root_id, "prefix": "黔府办函"}),
        409,
        "series_exists",
    )
    path = f"/number-series/{series['id']}/reserve"
    first = ok(registrar.post(path, json={"purpose": "关于春运工作的紧急通知（纸质）"}), 201)
    assert (first["number"], first["n"], first["state"]) == (
        f"黔府办函〔{year}〕1号",
        1,
        "reserved",
    )

    # 100 registrars' clicks at once: 2…101, none twice, none missing
    def reserve(n: int) -> int:
        response = registrar.post(path, json={"purpose": f"纸质文件{n}"})
        assert response.status_code == 201, response.text
        return int(response.json()["n"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        given = list(pool.map(reserve, range(100)))
    assert sorted(given) == list(range(2, 102))

    # voided with a reason; never given again
    voided = ok(
        registrar.post(f"/document-numbers/{first['id']}/void", json={"reason": "文件撤销"})
    )
    assert voided["state"] == "voided" and voided["void_reason"] == "文件撤销"
    expect_error(
        registrar.post(f"/document-numbers/{first['id']}/void", json={"reason": "再次作废"}),
        409,
        "number_voided",
    )
    assert (
        registrar.post(f"/document-numbers/{first['id']}/void", json={"reason": ""}).status_code
        == 422
    )
    after = ok(registrar.post(path, json={"purpose": "下一件"}), 201)
    assert after["n"] == 102

    # the year accounted for: 1…102, each with what became of it
    year_view = ok(registrar.get(f"/number-series/{series['id']}/numbers"))
    assert [n["n"] for n in year_view["numbers"]] == list(range(1, 103))
    assert year_view["counts"] == {"assigned": 0, "reserved": 101, "voided": 1}
    assert year_view["last_n"] == 102
    assert year_view["series"]["next_number"] == f"黔府办函〔{year}〕103号"
    listed = {s["prefix"]: s for s in ok(registrar.get("/number-series"))}
    assert listed["黔府办函"]["last_n"] == 102


def test_a_registry_numbers_only_in_its_own_units_series(office: Office):
    admin, registrar = office.admin, office["wenshu"]
    other = ok(
        admin.post(
            "/number-series", json={"unit_id": office.units["机关事务局"], "prefix": "黔机事发"}
        ),
        201,
    )
    expect_error(
        registrar.post(f"/number-series/{other['id']}/reserve", json={"purpose": "x"}),
        403,
        "not_own_series",
    )
    assert ok(registrar.get(f"/number-series/{other['id']}/numbers"))["numbers"] == []
    # the registry of a sub-unit (机关事务局) numbers in its own unit's series, not the root's
    root_series = {s["prefix"]: s for s in ok(registrar.get("/number-series"))}["黔府办函"]
    expect_error(
        office["jg_wenshu"].post(
            f"/number-series/{root_series['id']}/reserve", json={"purpose": "x"}
        ),
        403,
        "not_own_series",
    )
    mine = ok(
        office["jg_wenshu"].post(f"/number-series/{other['id']}/reserve", json={"purpose": "y"}),
        201,
    )
    assert mine["number"].startswith("黔机事发〔") and mine["n"] == 1
    # a series belongs to a 单位, not a division
    expect_error(
        admin.post("/number-series", json={"unit_id": office.units["文书处"], "prefix": "黔文书"}),
        422,
        "not_a_unit",
    )
    # and a registrar cannot make a series of another unit
    expect_error(
        registrar.post(
            "/number-series", json={"unit_id": office.units["机关事务局"], "prefix": "黔机事函"}
        ),
        403,
        "not_own_series",
    )
