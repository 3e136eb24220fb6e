"""The platform administrator onboards the province and its cities (租户开通)."""

from __future__ import annotations

import jwt

from tests.support.gateway import PASSWORD, Gateway, Tenants, User, expect_error, ok, onboard
from tests.support.stacks import unique


def test_the_platform_admin_signs_in_without_a_tenant(platform_admin: User):
    me = platform_admin.me()
    assert me["username"] == "admin"
    assert me["roles"] == ["platform_admin"]
    assert me["tenant_id"] is None and me["tenant_code"] is None
    claims = jwt.decode(platform_admin.access_token, options={"verify_signature": False})
    assert claims["tid"] is None and claims["roles"] == ["platform_admin"]


def test_province_and_cities_are_onboarded_as_a_tree(tenants: Tenants, platform_admin: User):
    gz, gy, qdn = (tenants.records[c] for c in ("gz", "gz-gy", "gz-qdn"))
    assert (gz["name"], gz["parent_id"], gz["path"]) == ("贵州省", None, "gz")
    assert (gy["name"], gy["parent_id"], gy["path"]) == ("贵阳市", gz["id"], "gz/gz-gy")
    assert (qdn["name"], qdn["parent_id"], qdn["path"]) == ("黔东南州", gz["id"], "gz/gz-qdn")

    listed = {t["code"]: t for t in ok(platform_admin.get("/tenants"))}
    assert {"gz", "gz-gy", "gz-qdn"} <= set(listed)
    assert ok(platform_admin.get(f"/tenants/{gy['id']}")) == gy


def test_each_tenant_admin_signs_into_their_own_tenant(tenants: Tenants):
    for code, admin in tenants.admins.items():
        me = admin.me()
        assert me["tenant_code"] == code
        assert me["tenant_id"] == tenants.records[code]["id"]
        assert me["roles"] == ["tenant_admin"]
        assert me["username"] == f"{code}-admin"
        # the tenant starts with one root unit named after it
        units = ok(admin.get("/org-units"))
        assert units[0]["name"] == tenants.records[code]["name"] and units[0]["parent_id"] is None


def test_the_province_sees_its_cities_but_a_city_sees_only_itself(tenants: Tenants):
    province_sees = {t["code"] for t in ok(tenants.admins["gz"].get("/tenants"))}
    assert {"gz", "gz-gy", "gz-qdn"} <= province_sees
    assert {t["code"] for t in ok(tenants.admins["gz-gy"].get("/tenants"))} == {"gz-gy"}
    gy_admin = tenants.admins["gz-gy"]
    gz_record = tenants.records["gz"]
    own = ok(gy_admin.get(f"/tenants/{tenants.records['gz-gy']['id']}"))
    assert own["code"] == "gz-gy"
    expect_error(gy_admin.get(f"/tenants/{gz_record['id']}"), 404, "tenant_not_found")
    expect_error(
        gy_admin.get(f"/tenants/{tenants.records['gz-qdn']['id']}"), 404, "tenant_not_found"
    )
    seen = ok(tenants.admins["gz"].get(f"/tenants/{tenants.records['gz-qdn']['id']}"))
    assert seen["code"] == "gz-qdn"


def test_only_the_platform_admin_onboards(tenants: Tenants, platform_admin: User):
    code = unique("t")
    response = onboard(tenants.admins["gz"], code, "某县", "gz")
    expect_error(response, 403, "role_required")
    codes = {t["code"] for t in ok(platform_admin.get("/tenants"))}
    assert code not in codes


def test_onboarding_refusals_write_nothing(tenants: Tenants, platform_admin: User, gw: Gateway):
    before = ok(platform_admin.get("/tenants"))
    expect_error(onboard(platform_admin, "gz-gy", "贵阳市", "gz"), 409, "tenant_code_taken")
    expect_error(
        onboard(platform_admin, "gz-ls", "六盘水市", "nowhere"), 404, "parent_tenant_not_found"
    )
    expect_error(onboard(platform_admin, "GZ_BAD", "坏代码", "gz"), 422, "invalid_input")
    expect_error(onboard(platform_admin, "gz-x1", "县" * 101, "gz"), 422, "invalid_input")
    response = platform_admin.post(
        "/tenants",
        json={
            "code": "gz-x2",
            "name": "某县",
            "parent_code": "gz",
            "admin": {"username": "x2-admin", "full_name": "管理员", "password": PASSWORD},
            "quota": 10,
        },
    )
    expect_error(response, 422, "invalid_input")
    assert ok(platform_admin.get("/tenants")) == before
