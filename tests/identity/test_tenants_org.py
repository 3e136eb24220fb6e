"""Onboarding tenants and building, moving and reading the org tree, through RabbitMQ."""

from __future__ import annotations

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.support.identity import (
    PASSWORD,
    Actor,
    Identity,
    Province,
    expect_error,
    make_user,
    sign_in_as,
)


def _tenant(code: str, name: str, parent: str | None) -> dict:
    return {
        "code": code,
        "name": name,
        "parent_code": parent,
        "admin": {"username": f"{code}-admin", "full_name": "管理员", "password": PASSWORD},
    }


# -- tenants ---------------------------------------------------------------------------------------


def test_onboarding_builds_the_tenant_tree(admin: Actor, province: Province):
    gz, gy, qdn = (province.tenants[c] for c in ("gz", "gz-gy", "gz-qdn"))
    assert (gz["path"], gz["parent_id"]) == ("gz", None)
    assert (gy["path"], gy["parent_id"]) == ("gz/gz-gy", gz["id"])
    assert (qdn["path"], qdn["parent_id"]) == ("gz/gz-qdn", gz["id"])
    listed = {t["code"]: t for t in admin.call("list_tenants")}
    assert {"gz", "gz-gy", "gz-qdn"} <= set(listed)
    assert admin.call("get_tenant", tenant_id=gy["id"]) == gy


def test_a_tenant_admin_starts_in_a_root_unit_named_after_the_tenant(province: Province):
    gy_admin = province.admins["gz-gy"]
    (root,) = gy_admin.call("list_org_units")
    assert (root["name"], root["kind"], root["parent_id"], root["depth"]) == (
        "贵阳市",
        "unit",
        None,
        0,
    )
    assert root["path"] == f"/{root['id']}/" and gy_admin.ctx["org_unit_id"] == root["id"]


def test_a_county_under_a_city_and_no_deeper(admin: Actor, identity: Identity, province: Province):
    county = admin.call("create_tenant", tenant=_tenant("gz-gy-xf", "息烽县", "gz-gy"))
    assert county["path"] == "gz/gz-gy/gz-gy-xf"
    assert county["parent_id"] == province.tenants["gz-gy"]["id"]
    expect_error(
        InvalidInput,
        "tenant_too_deep",
        admin.call,
        "create_tenant",
        tenant=_tenant("gz-gy-xf-a", "太深", "gz-gy-xf"),
    )
    # The city sees itself and its county; the province sees all three levels.
    gy_codes = [t["code"] for t in province.admins["gz-gy"].call("list_tenants")]
    assert gy_codes == ["gz-gy", "gz-gy-xf"]
    gz_codes = {t["code"] for t in province.admins["gz"].call("list_tenants")}
    assert {"gz", "gz-gy", "gz-gy-xf", "gz-qdn"} <= gz_codes
    identity.login("gz-gy-xf-admin", PASSWORD, "gz-gy-xf")


def test_onboarding_refusals(admin: Actor, province: Province):
    expect_error(
        Conflict, "tenant_code_taken", admin.call, "create_tenant", tenant=_tenant("gz", "x", None)
    )
    expect_error(
        NotFound,
        "parent_tenant_not_found",
        admin.call,
        "create_tenant",
        tenant=_tenant("zz-a", "x", "zz"),
    )
    expect_error(
        Forbidden,
        "platform_admin_required",
        province.admins["gz"].call,
        "create_tenant",
        tenant=_tenant("gz-zy", "遵义市", "gz"),
    )
    bad = _tenant("ok-code", "名" * 101, None)
    expect_error(InvalidInput, "invalid_input", admin.call, "create_tenant", tenant=bad)
    expect_error(
        InvalidInput,
        "invalid_input",
        admin.call,
        "create_tenant",
        tenant={**_tenant("ok-code", "名", None), "extra": 1},
    )
    assert "ok-code" not in {t["code"] for t in admin.call("list_tenants")}


def test_other_tenants_are_not_found(province: Province):
    gy = province.admins["gz-gy"]
    for code in ("gz", "gz-qdn"):  # the parent province and a sibling city
        expect_error(
            NotFound,
            "tenant_not_found",
            gy.call,
            "get_tenant",
            tenant_id=province.tenants[code]["id"],
        )
    assert gy.call("get_tenant", tenant_id=province.tenants["gz-gy"]["id"])["code"] == "gz-gy"


# -- org tree --------------------------------------------------------------------------------------


def _unit(actor: Actor, name: str, kind: str, parent_id: str | None) -> dict:
    return actor.call("create_org_unit", unit={"name": name, "kind": kind, "parent_id": parent_id})


def test_build_move_and_read_the_org_tree(identity: Identity, province: Province):
    qdn = province.admins["gz-qdn"]
    root = qdn.ctx["org_unit_id"]
    office = _unit(qdn, "州政府办公室", "unit", root)
    registry = _unit(qdn, "文书科", "division", office["id"])
    first = _unit(qdn, "收文组", "section", registry["id"])
    egov = _unit(qdn, "电子政务科", "division", office["id"])
    finance = _unit(qdn, "州财政局", "unit", root)
    assert first["path"] == f"/{root}/{office['id']}/{registry['id']}/{first['id']}/"
    assert first["depth"] == 3

    subtree = qdn.call("list_org_units", root_id=office["id"])
    assert [u["id"] for u in subtree][0] == office["id"]
    assert {u["id"] for u in subtree} == {office["id"], registry["id"], first["id"], egov["id"]}
    assert [u["path"] for u in subtree] == sorted(u["path"] for u in subtree)

    # Move the registry division (with its section) to the finance bureau.
    moved = qdn.call(
        "update_org_unit", unit_id=registry["id"], changes={"parent_id": finance["id"]}
    )
    assert moved["parent_id"] == finance["id"] and moved["depth"] == 2
    section = qdn.call("get_org_unit", unit_id=first["id"])
    assert section["path"] == f"/{root}/{finance['id']}/{registry['id']}/{first['id']}/"
    assert section["depth"] == 3
    assert {u["id"] for u in qdn.call("list_org_units", root_id=office["id"])} == {
        office["id"],
        egov["id"],
    }
    assert {u["id"] for u in qdn.call("list_org_units", root_id=finance["id"])} == {
        finance["id"],
        registry["id"],
        first["id"],
    }

    # Rename.
    renamed = qdn.call("update_org_unit", unit_id=egov["id"], changes={"name": "数据管理科"})
    assert renamed["name"] == "数据管理科" and renamed["path"] == egov["path"]

    # Any signed-in user of the tenant may read the tree.
    handler = make_user(qdn, ["handler"], org_unit_id=egov["id"])
    reader = sign_in_as(identity, handler, "gz-qdn")
    assert len(reader.call("list_org_units")) == len(qdn.call("list_org_units"))
    expect_error(
        Forbidden,
        "tenant_admin_required",
        reader.call,
        "create_org_unit",
        unit={"name": "越权", "kind": "division", "parent_id": office["id"]},
    )


def test_cycles_and_kind_rules_are_refused(province: Province):
    gy = province.admins["gz-gy"]
    root = gy.ctx["org_unit_id"]
    bureau = _unit(gy, "市大数据局", "unit", root)
    division = _unit(gy, "综合处", "division", bureau["id"])
    section = _unit(gy, "综合科", "section", division["id"])
    for target in (bureau["id"], section["id"]):
        expect_error(
            InvalidInput,
            "org_cycle",
            gy.call,
            "update_org_unit",
            unit_id=bureau["id"],
            changes={"parent_id": target},
        )
    expect_error(
        InvalidInput,
        "org_kind_not_allowed",
        gy.call,
        "update_org_unit",
        unit_id=section["id"],
        changes={"parent_id": bureau["id"]},
    )
    expect_error(InvalidInput, "org_kind_not_allowed", _unit, gy, "处", "division", None)
    expect_error(InvalidInput, "org_kind_not_allowed", _unit, gy, "科", "section", bureau["id"])
    expect_error(InvalidInput, "org_kind_not_allowed", _unit, gy, "单位", "unit", division["id"])
    # Nothing moved.
    assert gy.call("get_org_unit", unit_id=bureau["id"])["path"] == bureau["path"]


def test_sibling_names_are_unique(province: Province):
    gy = province.admins["gz-gy"]
    root = gy.ctx["org_unit_id"]
    first = _unit(gy, "市政府办公厅", "unit", root)
    expect_error(Conflict, "org_unit_name_taken", _unit, gy, "市政府办公厅", "unit", root)
    other = _unit(gy, "市发改委", "unit", root)
    expect_error(
        Conflict,
        "org_unit_name_taken",
        gy.call,
        "update_org_unit",
        unit_id=other["id"],
        changes={"name": "市政府办公厅"},
    )
    # The same name under another parent is fine.
    _unit(gy, "办公室", "division", first["id"])
    _unit(gy, "办公室", "division", other["id"])


def test_parents_must_be_in_the_tenant(province: Province):
    gy, qdn = province.admins["gz-gy"], province.admins["gz-qdn"]
    foreign_root = qdn.ctx["org_unit_id"]
    expect_error(NotFound, "parent_not_found", _unit, gy, "外部", "unit", foreign_root)
    unit = _unit(gy, "市档案馆", "unit", gy.ctx["org_unit_id"])
    expect_error(
        NotFound,
        "parent_not_found",
        gy.call,
        "update_org_unit",
        unit_id=unit["id"],
        changes={"parent_id": foreign_root},
    )
    expect_error(NotFound, "org_unit_not_found", gy.call, "get_org_unit", unit_id=foreign_root)
    expect_error(NotFound, "org_unit_not_found", gy.call, "list_org_units", root_id=foreign_root)
    expect_error(InvalidInput, "invalid_id", gy.call, "get_org_unit", unit_id="not-an-id")


def test_org_unit_input_is_validated(province: Province):
    gy = province.admins["gz-gy"]
    before = len(gy.call("list_org_units"))
    for unit in (
        {"name": "长" * 101, "kind": "unit", "parent_id": gy.ctx["org_unit_id"]},
        {"name": "x", "kind": "bureau", "parent_id": gy.ctx["org_unit_id"]},
        {"name": "x", "kind": "unit", "parent_id": gy.ctx["org_unit_id"], "colour": "red"},
    ):
        expect_error(InvalidInput, "invalid_input", gy.call, "create_org_unit", unit=unit)
    assert len(gy.call("list_org_units")) == before


def test_a_unit_is_deactivated_only_when_nothing_active_is_in_it(province: Province):
    qdn = province.admins["gz-qdn"]
    root = qdn.ctx["org_unit_id"]
    bureau = _unit(qdn, "州档案局", "unit", root)
    division = _unit(qdn, "档案利用科", "division", bureau["id"])
    clerk = make_user(qdn, ["handler"], org_unit_id=division["id"])
    expect_error(
        Conflict,
        "org_unit_in_use",
        qdn.call,
        "update_org_unit",
        unit_id=bureau["id"],
        changes={"active": False},
    )
    expect_error(
        Conflict,
        "org_unit_in_use",
        qdn.call,
        "update_org_unit",
        unit_id=division["id"],
        changes={"active": False},
    )
    qdn.call("deactivate_user", user_id=clerk["id"])
    closed = qdn.call("update_org_unit", unit_id=division["id"], changes={"active": False})
    assert closed["active"] is False
    assert (
        qdn.call("update_org_unit", unit_id=bureau["id"], changes={"active": False})["active"]
        is False
    )
    # reactivated from the top down: not under an inactive parent
    expect_error(
        Conflict,
        "parent_inactive",
        qdn.call,
        "update_org_unit",
        unit_id=division["id"],
        changes={"active": True},
    )
    assert (
        qdn.call("update_org_unit", unit_id=bureau["id"], changes={"active": True})["active"]
        is True
    )
    listed = {u["id"]: u["active"] for u in qdn.call("list_org_units", root_id=bureau["id"])}
    assert listed == {bureau["id"]: True, division["id"]: False}
