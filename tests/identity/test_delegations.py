"""Delegations (授权): a leader lets a secretary act on their behalf for a time window."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.support.identity import Actor, Identity, Province, expect_error, make_user, sign_in_as

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _window(days: float = 7, start_in_hours: float = -1) -> dict[str, str]:
    starts = dt.datetime.now(BEIJING) + dt.timedelta(hours=start_in_hours)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(days=days)).isoformat(),
    }


@pytest.fixture(scope="module")
def office(identity: Identity, province: Province) -> dict[str, Actor]:
    gz = province.admins["gz"]
    people = {
        "leader": ["office_leader"],
        "gov_leader": ["gov_leader"],
        "secretary": ["secretary"],
        "handler": ["handler"],
    }
    return {
        key: sign_in_as(identity, make_user(gz, roles, full_name=f"{key}甲"), "gz")
        for key, roles in people.items()
    }


def test_grant_list_check_and_revoke(office: dict[str, Actor], province: Province):
    leader, secretary = office["leader"], office["secretary"]
    granted = leader.call(
        "create_delegation",
        delegation={"secretary_id": secretary.user_id, **_window(), "note": "出差期间代批"},
    )
    assert granted["active"] is True and granted["revoked_at"] is None
    assert (granted["leader_id"], granted["secretary_id"]) == (leader.user_id, secretary.user_id)
    assert granted["scope"] == "instructions" and granted["note"] == "出差期间代批"

    assert granted["id"] in {d["id"] for d in leader.call("list_delegations", as_role="leader")}
    assert leader.call("list_delegations", as_role="secretary") == []
    received = secretary.call("list_delegations", as_role="secretary")
    assert granted["id"] in {d["id"] for d in received}
    assert granted["id"] in {d["id"] for d in secretary.call("list_delegations")}
    me = secretary.call("me")
    assert granted["id"] in {d["id"] for d in me["delegations_received"]}

    # What the documents service asks before a proxy instruction (代领导批示).
    found = secretary.call(
        "check_delegation", leader_id=leader.user_id, secretary_id=secretary.user_id
    )
    assert found["id"] == granted["id"]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    assert (
        secretary.call(
            "check_delegation", leader_id=leader.user_id, secretary_id=secretary.user_id, at=later
        )
        is None
    )
    assert (
        secretary.call(
            "check_delegation",
            leader_id=office["gov_leader"].user_id,
            secretary_id=secretary.user_id,
        )
        is None
    )

    expect_error(
        Forbidden,
        "not_delegation_owner",
        office["gov_leader"].call,
        "revoke_delegation",
        delegation_id=granted["id"],
    )
    revoked = leader.call("revoke_delegation", delegation_id=granted["id"])
    assert revoked["active"] is False and revoked["revoked_at"]
    expect_error(
        Conflict, "already_revoked", leader.call, "revoke_delegation", delegation_id=granted["id"]
    )
    assert (
        secretary.call("check_delegation", leader_id=leader.user_id, secretary_id=secretary.user_id)
        is None
    )
    assert secretary.call("me")["delegations_received"] == []
    # Another tenant does not even see it.
    expect_error(
        NotFound,
        "delegation_not_found",
        province.admins["gz-gy"].call,
        "revoke_delegation",
        delegation_id=granted["id"],
    )


def test_a_tenant_admin_may_revoke_any_delegation(office: dict[str, Actor], province: Province):
    granted = office["gov_leader"].call(
        "create_delegation", delegation={"secretary_id": office["secretary"].user_id, **_window()}
    )
    revoked = province.admins["gz"].call("revoke_delegation", delegation_id=granted["id"])
    assert revoked["revoked_at"] is not None


def test_who_may_delegate_to_whom(office: dict[str, Actor], province: Province):
    leader = office["leader"]
    expect_error(
        Forbidden,
        "leader_role_required",
        office["handler"].call,
        "create_delegation",
        delegation={"secretary_id": office["secretary"].user_id, **_window()},
    )
    expect_error(
        InvalidInput,
        "not_a_secretary",
        leader.call,
        "create_delegation",
        delegation={"secretary_id": office["handler"].user_id, **_window()},
    )
    foreign_secretary = make_user(province.admins["gz-gy"], ["secretary"])
    expect_error(
        NotFound,
        "user_not_found",
        leader.call,
        "create_delegation",
        delegation={"secretary_id": foreign_secretary["id"], **_window()},
    )


@pytest.mark.parametrize(
    "window",
    [
        _window(days=-1),  # ends before it starts
        _window(days=400),  # longer than 366 days
        _window(days=1, start_in_hours=-72),  # already over
    ],
)
def test_bad_windows_are_refused(office: dict[str, Actor], window):
    expect_error(
        InvalidInput,
        "bad_delegation_window",
        office["leader"].call,
        "create_delegation",
        delegation={"secretary_id": office["secretary"].user_id, **window},
    )


def test_naive_datetimes_are_refused(office: dict[str, Actor]):
    expect_error(
        InvalidInput,
        "naive_datetime",
        office["leader"].call,
        "create_delegation",
        delegation={
            "secretary_id": office["secretary"].user_id,
            "starts_at": "2030-01-01T08:00:00",
            "ends_at": "2030-01-05T08:00:00",
        },
    )
