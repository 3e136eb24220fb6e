"""Users: create, search (Chinese names), move, change roles, deactivate; through RabbitMQ."""

from __future__ import annotations

import jwt

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from tests.support.identity import (
    PASSWORD,
    Actor,
    Identity,
    Province,
    expect_error,
    make_user,
    sign_in_as,
)
from tests.support.stacks import unique


def _unit(actor: Actor, name: str, kind: str, parent_id: str) -> dict:
    return actor.call("create_org_unit", unit={"name": name, "kind": kind, "parent_id": parent_id})


def _usernames(page: dict) -> set[str]:
    return {u["username"] for u in page["items"]}


def test_create_and_search_users_by_name_unit_role_and_state(
    identity: Identity, province: Province
):
    gz = province.admins["gz"]
    office = _unit(gz, unique("省政府办公厅"), "unit", gz.ctx["org_unit_id"])
    registry = _unit(gz, "文书处", "division", office["id"])
    section = _unit(gz, "收发科", "section", registry["id"])
    egov = _unit(gz, "电子政务处", "division", office["id"])
    zhang = make_user(gz, ["registrar"], full_name="张文书", org_unit_id=registry["id"])
    li = make_user(gz, ["handler"], full_name="李收发", org_unit_id=section["id"])
    wang = make_user(gz, ["handler", "division_head"], full_name="王处长", org_unit_id=egov["id"])
    assert zhang["roles"] == ["registrar"] and zhang["active"] is True
    assert zhang["tenant_id"] == province.tenants["gz"]["id"]

    reader = sign_in_as(identity, li, "gz")  # any user of the tenant may search
    search = lambda **q: reader.call("search_users", query=q)  # noqa: E731

    assert zhang["username"] in _usernames(search(q="文书"))
    assert zhang["username"] in _usernames(search(q="张"))
    assert _usernames(search(q="处长", org_unit_id=office["id"])) == {wang["username"]}
    assert _usernames(search(q=zhang["username"].upper())) == {zhang["username"]}
    assert _usernames(search(org_unit_id=registry["id"])) == {zhang["username"], li["username"]}
    assert _usernames(search(org_unit_id=registry["id"], include_subtree=False)) == {
        zhang["username"]
    }
    assert _usernames(search(org_unit_id=office["id"], role="handler")) == {
        li["username"],
        wang["username"],
    }
    page = search(org_unit_id=office["id"], limit=2, offset=0)
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    assert search(q="无此人") == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert search(q="%")["total"] == 0  # LIKE wildcards are matched literally

    assert reader.call("get_user", user_id=wang["id"])["full_name"] == "王处长"
    expect_error(
        InvalidInput, "invalid_input", reader.call, "search_users", query={"q": "x", "sort": "name"}
    )


def test_usernames_are_unique_per_tenant(province: Province):
    gz, gy = province.admins["gz"], province.admins["gz-gy"]
    name = unique("dup")
    make_user(gz, ["handler"], username=name)
    expect_error(Conflict, "username_taken", make_user, gz, ["handler"], username=name)
    assert make_user(gy, ["handler"], username=name)["username"] == name  # another tenant


def test_roles_that_cannot_be_granted(identity: Identity, province: Province):
    gz = province.admins["gz"]
    expect_error(Forbidden, "role_not_grantable", make_user, gz, ["handler", "platform_admin"])
    head = sign_in_as(identity, make_user(gz, ["division_head"]), "gz")
    expect_error(Forbidden, "role_not_grantable", make_user, head, ["handler"])
    handler = make_user(gz, ["handler"])
    expect_error(
        Forbidden,
        "role_not_grantable",
        head.call,
        "update_user",
        user_id=handler["id"],
        changes={"roles": ["division_head"]},
    )
    expect_error(
        Forbidden,
        "tenant_admin_required",
        head.call,
        "update_user",
        user_id=handler["id"],
        changes={"full_name": "改名"},
    )
    expect_error(
        Forbidden,
        "role_not_grantable",
        gz.call,
        "update_user",
        user_id=handler["id"],
        changes={"roles": ["platform_admin"]},
    )


def test_move_a_user_and_change_their_roles(identity: Identity, province: Province):
    gz = province.admins["gz"]
    division = _unit(gz, unique("督查处"), "division", gz.ctx["org_unit_id"])
    user = make_user(gz, ["handler"], full_name="赵承办")
    session = sign_in_as(identity, user, "gz")
    changed = gz.call(
        "update_user",
        user_id=user["id"],
        changes={"org_unit_id": division["id"], "roles": ["handler", "division_head"]},
    )
    assert changed["org_unit_id"] == division["id"]
    assert changed["roles"] == ["division_head", "handler"]
    # The next access token (after a refresh) carries the new unit and roles.
    tokens = identity.call("refresh", refresh_token=session.tokens["refresh_token"])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["ou"] == division["id"] and claims["roles"] == ["division_head", "handler"]
    assert (
        gz.call("update_user", user_id=user["id"], changes={"phone": "0851-1234567"})["phone"]
        == "0851-1234567"
    )
    expect_error(
        NotFound,
        "org_unit_not_found",
        gz.call,
        "update_user",
        user_id=user["id"],
        changes={"org_unit_id": province.admins["gz-gy"].ctx["org_unit_id"]},
    )


def test_deactivated_users_can_neither_sign_in_nor_refresh(identity: Identity, province: Province):
    gz = province.admins["gz"]
    user = make_user(gz, ["handler"], full_name="钱离职")
    session = sign_in_as(identity, user, "gz")
    out = gz.call("deactivate_user", user_id=user["id"])
    assert out["active"] is False
    expect_error(
        Unauthenticated,
        "invalid_refresh_token",
        identity.call,
        "refresh",
        refresh_token=session.tokens["refresh_token"],
    )
    expect_error(
        Unauthenticated, "invalid_credentials", identity.login, user["username"], PASSWORD, "gz"
    )
    search = lambda **q: gz.call("search_users", query=q)  # noqa: E731
    assert user["username"] not in _usernames(search(q="钱离职"))
    assert _usernames(search(q="钱离职", active=False)) == {user["username"]}
    assert _usernames(search(q="钱离职", active=None)) == {user["username"]}
    expect_error(Conflict, "cannot_deactivate_self", gz.call, "deactivate_user", user_id=gz.user_id)


def test_a_tenant_admin_keeps_their_own_admin_role(province: Province):
    gy = province.admins["gz-gy"]
    expect_error(
        Conflict,
        "cannot_demote_self",
        gy.call,
        "update_user",
        user_id=gy.user_id,
        changes={"roles": ["handler"]},
    )


def test_other_tenants_users_and_units_are_not_found(province: Province):
    gz, gy = province.admins["gz"], province.admins["gz-gy"]
    stranger = make_user(gz, ["handler"], full_name="孙外省")
    expect_error(NotFound, "user_not_found", gy.call, "get_user", user_id=stranger["id"])
    expect_error(
        NotFound,
        "user_not_found",
        gy.call,
        "update_user",
        user_id=stranger["id"],
        changes={"full_name": "x"},
    )
    expect_error(NotFound, "user_not_found", gy.call, "deactivate_user", user_id=stranger["id"])
    assert gy.call("search_users", query={"q": "孙外省"})["total"] == 0
    expect_error(
        NotFound,
        "org_unit_not_found",
        make_user,
        gy,
        ["handler"],
        org_unit_id=gz.ctx["org_unit_id"],
    )
    expect_error(
        NotFound,
        "org_unit_not_found",
        gy.call,
        "search_users",
        query={"org_unit_id": gz.ctx["org_unit_id"]},
    )


def test_bad_user_input_is_refused_and_writes_nothing(province: Province):
    gz = province.admins["gz"]
    base = {
        "username": unique("bad"),
        "full_name": "周输入",
        "password": PASSWORD,
        "org_unit_id": gz.ctx["org_unit_id"],
        "roles": ["handler"],
    }
    audit_before = gz.call("list_audit", limit=1)["total"]
    for bad in (
        {**base, "is_admin": True},  # unknown field
        {**base, "full_name": "周" * 101},  # over-long name
        {**base, "username": "x" * 65},
        {**base, "password": "short"},
        {**base, "roles": []},
        {**base, "roles": ["emperor"]},
        {**base, "email": "not-an-address"},
    ):
        expect_error(InvalidInput, "invalid_input", gz.call, "create_user", user=bad)
    expect_error(InvalidInput, "invalid_input", gz.call, "create_user", user="not an object")
    assert gz.call("search_users", query={"q": base["username"], "active": None})["total"] == 0
    assert gz.call("list_audit", limit=1)["total"] == audit_before
