"""Pure rules of identity: tenant tree, org tree, role grants, delegation windows."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.common.errors import Forbidden, InvalidInput
from services.identity.rules import (
    check_child_kind,
    check_delegation_window,
    check_grantable,
    check_move,
    check_org_depth,
    delegation_valid_at,
    is_leader,
    like_pattern,
    org_depth,
    org_path,
    tenant_path,
    tenant_within,
)

NOW = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)


# -- tenants ------------------------------------------------------------------------------------


def test_tenant_paths_are_codes_from_the_province_down():
    assert tenant_path(None, "gz") == ("gz", 1)
    assert tenant_path("gz", "gz-gy") == ("gz/gz-gy", 2)
    assert tenant_path("gz/gz-gy", "gz-gy-xf") == ("gz/gz-gy/gz-gy-xf", 3)


def test_a_fourth_tenant_level_is_refused():
    with pytest.raises(InvalidInput) as err:
        tenant_path("gz/gz-gy/gz-gy-xf", "gz-gy-xf-a")
    assert err.value.code == "tenant_too_deep"


def test_tenant_within_matches_whole_codes_only():
    assert tenant_within("gz/gz-gy", "gz")
    assert tenant_within("gz", "gz")
    assert not tenant_within("gzx/gzx-a", "gz")
    assert not tenant_within("gz", "gz/gz-gy")


# -- org tree ---------------------------------------------------------------------------------------

A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))


def test_org_paths_and_depths():
    root = org_path(None, A)
    assert root == f"/{A}/" and org_depth(root) == 0
    child = org_path(root, B)
    assert child == f"/{A}/{B}/" and org_depth(child) == 1


def test_moving_a_unit_under_itself_or_a_descendant_is_a_cycle():
    unit = org_path(org_path(None, A), B)
    below = org_path(unit, C)
    for target in (unit, below):
        with pytest.raises(InvalidInput) as err:
            check_move(unit, target)
        assert err.value.code == "org_cycle"
    check_move(below, unit)  # moving a child up is fine
    check_move(unit, org_path(None, C))


@pytest.mark.parametrize(
    ("parent", "child", "ok"),
    [
        (None, "unit", True),
        (None, "division", False),
        ("unit", "unit", True),
        ("unit", "division", True),
        ("unit", "section", False),
        ("division", "section", True),
        ("division", "division", False),
        ("section", "section", True),
        ("section", "unit", False),
    ],
)
def test_child_kinds(parent, child, ok):
    if ok:
        check_child_kind(parent, child)
    else:
        with pytest.raises(InvalidInput) as err:
            check_child_kind(parent, child)
        assert err.value.code == "org_kind_not_allowed"


def test_org_depth_is_bounded():
    path = "/" + "".join(f"{uuid.uuid4()}/" for _ in range(13))
    check_org_depth(path)
    with pytest.raises(InvalidInput) as err:
        check_org_depth(path, subtree_height=1)
    assert err.value.code == "org_too_deep"


# -- roles --------------------------------------------------------------------------------------------


def test_a_tenant_admin_grants_tenant_roles_deduplicated():
    assert check_grantable({"tenant_admin"}, ["handler", "registrar", "handler"]) == [
        "handler",
        "registrar",
    ]


@pytest.mark.parametrize(
    ("caller", "requested"),
    [
        ({"tenant_admin"}, ["platform_admin"]),
        ({"tenant_admin"}, ["handler", "platform_admin"]),
        ({"division_head"}, ["handler"]),
        ({"platform_admin"}, ["tenant_admin"]),
        (set(), ["secretary"]),
    ],
)
def test_roles_not_grantable(caller, requested):
    with pytest.raises(Forbidden) as err:
        check_grantable(caller, requested)
    assert err.value.code == "role_not_grantable"


def test_leaders_are_office_and_government_leaders():
    assert is_leader(["office_leader"]) and is_leader({"gov_leader", "handler"})
    assert not is_leader(["division_head", "secretary"])


# -- delegations ---------------------------------------------------------------------------------------


def test_a_window_of_a_week_is_accepted_and_normalised_to_utc():
    beijing = dt.timezone(dt.timedelta(hours=8))
    starts = dt.datetime(2026, 9, 30, 9, 0, tzinfo=beijing)
    starts_utc, ends_utc = check_delegation_window(starts, starts + dt.timedelta(days=7), NOW)
    assert starts_utc == dt.datetime(2026, 9, 30, 1, 0, tzinfo=dt.UTC)
    assert ends_utc.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (NOW, NOW),  # empty
        (NOW, NOW - dt.timedelta(hours=1)),  # backwards
        (NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=1)),  # already over
        (NOW, NOW + dt.timedelta(days=367)),  # longer than 366 days
    ],
)
def test_bad_windows(starts, ends):
    with pytest.raises(InvalidInput) as err:
        check_delegation_window(starts, ends, NOW)
    assert err.value.code == "bad_delegation_window"


def test_366_days_is_the_longest_window():
    check_delegation_window(NOW, NOW + dt.timedelta(days=366), NOW)


def test_naive_datetimes_are_refused():
    with pytest.raises(InvalidInput) as err:
        check_delegation_window(dt.datetime(2026, 10, 1), NOW + dt.timedelta(days=2), NOW)
    assert err.value.code == "naive_datetime"


def test_validity_of_a_delegation_in_time():
    starts, ends = NOW, NOW + dt.timedelta(days=2)
    assert delegation_valid_at(starts, ends, None, NOW)
    assert not delegation_valid_at(starts, ends, None, ends)
    assert not delegation_valid_at(starts, ends, None, NOW - dt.timedelta(seconds=1))
    revoked = NOW + dt.timedelta(days=1)
    assert delegation_valid_at(starts, ends, revoked, NOW + dt.timedelta(hours=1))
    assert not delegation_valid_at(starts, ends, revoked, revoked)


def test_search_fragments_are_matched_literally():
    assert like_pattern("张") == "%张%"
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
