"""A tenant administrator builds the org tree (单位 → 处室 → 科室) and manages people."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import (
    PASSWORD,
    Gateway,
    Org,
    Tenants,
    User,
    create_unit,
    create_user,
    expect_error,
    fresh_address,
    ok,
)
from tests.support.stacks import unique


def names(units: list[dict[str, Any]]) -> list[str]:
    return [u["name"] for u in units]


def search(user: User, **params: Any) -> dict[str, Any]:
    return dict(ok(user.get("/users", params=params)))


def test_units_divisions_and_sections_form_the_tree(org: Org):
    office, wenshu, shouwen = (org.units[n] for n in ("省政府办公厅", "文书处", "收文科"))
    assert (office["kind"], office["parent_id"], office["depth"]) == ("unit", org.root["id"], 1)
    assert (wenshu["kind"], wenshu["parent_id"], wenshu["depth"]) == ("division", office["id"], 2)
    assert (shouwen["kind"], shouwen["parent_id"], shouwen["depth"]) == ("section", wenshu["id"], 3)
    assert shouwen["path"].startswith(wenshu["path"]) and wenshu["path"].startswith(office["path"])

    whole = ok(org.admin.get("/org-units"))
    assert {"贵州省", *org.units} <= set(names(whole))
    assert ok(org.admin.get(f"/org-units/{office['id']}")) == office


def test_a_subtree_lists_a_unit_and_everything_below_it(org: Org):
    office = org.unit_id("省政府办公厅")
    subtree = ok(org.admin.get(f"/org-units/{office}/subtree"))
    # (other tests may add units under the office; nothing outside it may appear)
    assert {"省政府办公厅", "文书处", "收文科", "电子政务处", "网络科", "秘书处"} <= set(
        names(subtree)
    )
    assert not {"贵州省", "省发展改革委", "综合处"} & set(names(subtree))
    office_path = org.units["省政府办公厅"]["path"]
    assert all(u["path"].startswith(office_path) for u in subtree)
    assert ok(org.admin.get("/org-units", params={"root_id": office})) == subtree
    division = ok(org.admin.get(f"/org-units/{org.unit_id('电子政务处')}/subtree"))
    assert set(names(division)) == {"电子政务处", "网络科"}
    # any signed-in user of the tenant reads the directory
    handler = org.admin.gateway.login("gz", "chengban1")
    assert ok(handler.get(f"/org-units/{office}/subtree")) == subtree


def test_wrong_kinds_cycles_and_foreign_parents_are_refused_and_change_nothing(
    org: Org, tenants: Tenants
):
    admin = org.admin
    before = ok(admin.get("/org-units"))
    # a section cannot sit directly under a unit; a unit not under a division
    response = admin.post(
        "/org-units",
        json={"name": "某科", "kind": "section", "parent_id": org.unit_id("省政府办公厅")},
    )
    expect_error(response, 422, "org_kind_not_allowed")
    response = admin.post(
        "/org-units", json={"name": "某单位", "kind": "unit", "parent_id": org.unit_id("文书处")}
    )
    expect_error(response, 422, "org_kind_not_allowed")
    # moving a division under its own section would make a cycle
    division = org.unit_id("电子政务处")
    response = admin.patch(f"/org-units/{division}", json={"parent_id": org.unit_id("网络科")})
    expect_error(response, 422, "org_cycle")
    response = admin.patch(f"/org-units/{division}", json={"parent_id": division})
    expect_error(response, 422, "org_cycle")
    # a parent in another tenant does not exist for this one
    foreign_root = ok(tenants.admins["gz-gy"].get("/org-units"))[0]["id"]
    response = admin.post(
        "/org-units", json={"name": "跨租户处", "kind": "division", "parent_id": foreign_root}
    )
    expect_error(response, 404, "parent_not_found")
    # over-long names, unknown fields, bad kinds
    office = org.unit_id("省政府办公厅")
    for body in (
        {"name": "处" * 101, "kind": "division", "parent_id": office},
        {"name": "   ", "kind": "division", "parent_id": office},
        {"name": "某处", "kind": "division", "parent_id": office, "tenant_id": foreign_root},
        {"name": "某处", "kind": "bureau", "parent_id": office},
    ):
        expect_error(admin.post("/org-units", json=body), 422, "invalid_input")
    # a sibling with the same name
    expect_error(
        admin.post("/org-units", json={"name": "文书处", "kind": "division", "parent_id": office}),
        409,
        "org_unit_name_taken",
    )
    assert ok(admin.get("/org-units")) == before


def test_units_are_renamed_and_moved_with_their_subtree(org: Org):
    admin = org.admin
    temp = create_unit(admin, unique("临时处"), "division", org.unit_id("省政府办公厅"))
    child = create_unit(admin, "临时科", "section", temp["id"])
    target = org.unit_id("省发展改革委")
    moved = ok(
        admin.patch(f"/org-units/{temp['id']}", json={"parent_id": target, "name": "规划处"})
    )
    assert moved["parent_id"] == target and moved["name"] == "规划处"
    child_now = ok(admin.get(f"/org-units/{child['id']}"))
    assert child_now["path"].startswith(moved["path"]) and child_now["depth"] == moved["depth"] + 1
    assert "规划处" in names(ok(admin.get(f"/org-units/{target}/subtree")))
    assert "规划处" not in names(ok(admin.get(f"/org-units/{org.unit_id('省政府办公厅')}/subtree")))


def test_staff_are_created_with_roles_in_their_units(org: Org):
    wenshu = org.users["wenshu1"]
    assert wenshu["full_name"] == "张文书" and wenshu["roles"] == ["registrar"]
    assert wenshu["org_unit_id"] == org.unit_id("收文科") and wenshu["active"] is True
    assert "password" not in wenshu and "password_hash" not in wenshu
    assert ok(org.admin.get(f"/users/{wenshu['id']}")) == wenshu
    me = org.admin.gateway.login("gz", "wenshu1").me()
    assert me["org_unit_name"] == "收文科" and me["tenant_name"] == "贵州省"


def test_people_are_found_by_chinese_name_unit_subtree_and_role(org: Org):
    admin = org.admin
    found = search(admin, q="张")
    assert "张文书" in [u["full_name"] for u in found["items"]]
    assert all("张" in u["full_name"] or "张" in u["username"] for u in found["items"])
    assert [u["username"] for u in search(admin, q="秘书")["items"]] == ["mishu1", "mishu2"]

    office = org.unit_id("省政府办公厅")
    in_office = {u["username"] for u in search(admin, org_unit_id=office)["items"]}
    assert {"wenshu1", "chengban1", "chuzhang1", "tingzhang1", "mishu1"} <= in_office
    directly = {
        u["username"] for u in search(admin, org_unit_id=office, include_subtree="false")["items"]
    }
    assert directly == {"tingzhang1", "shengzhang1"}
    assert [u["username"] for u in search(admin, role="secretary")["items"]] == ["mishu1", "mishu2"]
    page = search(admin, org_unit_id=office, limit=2, offset=0)
    assert len(page["items"]) == 2 and page["total"] >= 7 and page["limit"] == 2
    # a handler looks people up too (to route documents to them)
    handler = admin.gateway.login("gz", "chengban1")
    assert [u["full_name"] for u in search(handler, q="赵厅")["items"]] == ["赵厅长"]


def test_a_user_is_moved_and_given_other_roles(org: Org):
    admin = org.admin
    username = unique("move")
    user = create_user(admin, username, "陈调动", org.unit_id("收文科"), ["registrar"])
    target = org.unit_id("综合处")
    moved = ok(
        admin.patch(f"/users/{user['id']}", json={"org_unit_id": target, "roles": ["handler"]})
    )
    assert moved["org_unit_id"] == target and moved["roles"] == ["handler"]
    there = search(admin, org_unit_id=target, q="陈调动")["items"]
    assert [u["id"] for u in there] == [user["id"]]
    assert search(admin, org_unit_id=org.unit_id("文书处"), q="陈调动")["total"] == 0
    me = admin.gateway.login("gz", username).me()
    assert me["org_unit_id"] == target and me["roles"] == ["handler"]


def test_a_deactivated_user_cannot_sign_in(org: Org, gw: Gateway):
    admin = org.admin
    username = unique("gone")
    user = create_user(admin, username, "吴离职", org.unit_id("网络科"), ["handler"])
    address = fresh_address()
    session = gw.login("gz", username, address=address)
    deactivated = ok(admin.post(f"/users/{user['id']}/deactivate"))
    assert deactivated["active"] is False

    anonymous = gw.client(address=address)
    response = anonymous.post(
        "/auth/login", json={"tenant": "gz", "username": username, "password": PASSWORD}
    )
    expect_error(response, 401, "invalid_credentials")
    # their sessions are over: the refresh token no longer works
    response = anonymous.post("/auth/refresh", json={"refresh_token": session.refresh_token})
    expect_error(response, 401, "invalid_refresh_token")
    # gone from the default search, found among the inactive
    assert search(admin, q="吴离职")["total"] == 0
    assert [u["id"] for u in search(admin, q="吴离职", active="false")["items"]] == [user["id"]]


def test_user_refusals_are_specific_and_write_nothing(org: Org):
    admin = org.admin
    unit = org.unit_id("收文科")
    total_before = search(admin, limit=1)["total"]

    def attempt(status: int, code: str, **overrides: Any) -> None:
        body = {
            "username": unique("bad"),
            "full_name": "错误用户",
            "password": PASSWORD,
            "org_unit_id": unit,
            "roles": ["handler"],
            **overrides,
        }
        expect_error(admin.post("/users", json=body), status, code)

    attempt(409, "username_taken", username="wenshu1")
    attempt(403, "role_not_grantable", roles=["platform_admin"])
    attempt(422, "invalid_input", roles=["emperor"])
    attempt(422, "invalid_input", roles=[])
    attempt(422, "invalid_input", full_name="名" * 101)
    attempt(422, "invalid_input", username="has space")
    attempt(422, "invalid_input", password="short")
    attempt(422, "invalid_input", is_superuser=True)
    attempt(404, "org_unit_not_found", org_unit_id="00000000-0000-4000-8000-000000000000")
    # a user who is not the tenant administrator cannot create users
    registrar = admin.gateway.login("gz", "wenshu1")
    body = {
        "username": unique("x"),
        "full_name": "越权",
        "password": PASSWORD,
        "org_unit_id": unit,
        "roles": ["handler"],
    }
    expect_error(registrar.post("/users", json=body), 403, "role_required")
    expect_error(
        registrar.patch(f"/users/{org.user_id('wenshu1')}", json={"roles": ["tenant_admin"]}),
        403,
        "role_required",
    )
    assert search(admin, limit=1)["total"] == total_before
    assert ok(admin.get(f"/users/{org.user_id('wenshu1')}"))["roles"] == ["registrar"]
