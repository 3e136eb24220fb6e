"""Tenant isolation: one tenant's people never see or touch another tenant's records."""

from __future__ import annotations

from tests.support.gateway import Org, Tenants, expect_error, ok


def test_another_tenants_records_do_not_exist_for_a_city(org: Org, tenants: Tenants):
    gy = tenants.admins["gz-gy"]
    user_id = org.user_id("wenshu1")
    unit_id = org.unit_id("文书处")
    expect_error(gy.get(f"/users/{user_id}"), 404, "user_not_found")
    expect_error(gy.get(f"/org-units/{unit_id}"), 404, "org_unit_not_found")
    expect_error(gy.get(f"/org-units/{unit_id}/subtree"), 404, "org_unit_not_found")
    expect_error(gy.get("/org-units", params={"root_id": unit_id}), 404, "org_unit_not_found")
    expect_error(gy.get("/users", params={"org_unit_id": unit_id}), 404, "org_unit_not_found")
    expect_error(gy.get(f"/tenants/{tenants.records['gz-qdn']['id']}"), 404, "tenant_not_found")
    # searching by name finds only the city's own people
    assert ok(gy.get("/users", params={"q": "张文书"}))["total"] == 0
    own_units = ok(gy.get("/org-units"))
    assert [u["name"] for u in own_units] == ["贵阳市"]


def test_a_city_cannot_change_another_tenants_records(org: Org, tenants: Tenants):
    gy = tenants.admins["gz-gy"]
    user_id = org.user_id("chuzhang1")
    unit_id = org.unit_id("电子政务处")
    gy_root = ok(gy.get("/org-units"))[0]["id"]
    expect_error(gy.patch(f"/users/{user_id}", json={"full_name": "篡改"}), 404, "user_not_found")
    expect_error(gy.post(f"/users/{user_id}/deactivate"), 404, "user_not_found")
    expect_error(
        gy.patch(f"/org-units/{unit_id}", json={"name": "篡改处"}), 404, "org_unit_not_found"
    )
    # nor move its own unit under the province's, nor place a user there
    expect_error(
        gy.patch(f"/org-units/{gy_root}", json={"parent_id": unit_id}), 404, "parent_not_found"
    )
    response = gy.post(
        "/users",
        json={
            "username": "spy1",
            "full_name": "卧底",
            "password": "Gongwen-2026-test",
            "org_unit_id": unit_id,
            "roles": ["handler"],
        },
    )
    expect_error(response, 404, "org_unit_not_found")

    user = ok(org.admin.get(f"/users/{user_id}"))
    assert user["full_name"] == "王处长" and user["active"] is True
    assert ok(org.admin.get(f"/org-units/{unit_id}"))["name"] == "电子政务处"
    assert ok(gy.get("/users", params={"q": "spy1"}))["total"] == 0


def test_the_platform_admin_does_not_read_a_tenants_directory(org: Org, platform_admin):
    # the platform administrator onboards tenants; a tenant's people are its own business
    expect_error(platform_admin.get(f"/users/{org.user_id('wenshu1')}"), 403, "tenant_required")
