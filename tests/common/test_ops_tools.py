"""Operators' tools for parked events and set-aside outbox rows, as an operator uses
them: the gateway's ``ops`` endpoints with a token of the ``ops`` role, and the
command-line tool ``python -m services.common.ops`` against the running services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.stack import Stack
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD

PASSWORD = "ops-tools-pass-9"


def _login(api: httpx.Client, tenant: str | None, username: str, password: str) -> str:
    r = api.post("/auth/login", json={"tenant": tenant, "username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def tokens(stack: Stack) -> Iterator[dict[str, str]]:
    """Tokens of an operator (role ops) and of a registrar of a new tenant."""
    code = f"ops{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=stack.gateway_url + "/api/v1", timeout=15) as api:
        admin_password = stack.env.get("PLATFORM_ADMIN_PASSWORD") or LOCAL_PLATFORM_ADMIN_PASSWORD
        platform = _login(api, None, "admin", admin_password)
        body = {
            "code": code,
            "name": "运维测试",
            "admin": {"username": f"{code}-admin", "full_name": "管理员", "password": PASSWORD},
        }
        r = api.post("/tenants", json=body, headers={"authorization": f"Bearer {platform}"})
        assert r.status_code == 201, r.text
        admin = {"authorization": f"Bearer {_login(api, code, f'{code}-admin', PASSWORD)}"}
        top = api.post("/org-units", json={"name": "办公厅", "kind": "unit"}, headers=admin)
        assert top.status_code == 201, top.text
        unit = api.post(
            "/org-units",
            json={"name": "运维处", "kind": "division", "parent_id": top.json()["id"]},
            headers=admin,
        )
        assert unit.status_code == 201, unit.text
        made = {}
        for name, roles in (("ops", ["ops"]), ("reg", ["registrar"])):
            r = api.post(
                "/users",
                json={
                    "username": f"{code}-{name}",
                    "full_name": f"测试{name}",
                    "password": PASSWORD,
                    "org_unit_id": unit.json()["id"],
                    "roles": roles,
                },
                headers=admin,
            )
            assert r.status_code == 201, r.text
            made[name] = _login(api, code, f"{code}-{name}", PASSWORD)
        yield made


def _get(stack: Stack, token: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(
        stack.gateway_url + "/api/v1" + path, headers={"authorization": f"Bearer {token}"}, **kw
    )


def _post(stack: Stack, token: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(
        stack.gateway_url + "/api/v1" + path,
        json=body,
        headers={"authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize(
    "service", ["identity", "documents", "routing", "notify", "ledger", "metrics"]
)
def test_an_operator_lists_each_services_parked_events_and_set_aside_rows(
    stack: Stack, tokens: dict[str, str], service: str
):
    failed = _get(stack, tokens["ops"], f"/ops/{service}/failed-events")
    assert failed.status_code == 200, failed.text
    assert isinstance(failed.json(), list)
    aside = _get(stack, tokens["ops"], f"/ops/{service}/outbox/set-aside")
    assert aside.status_code == 200 and isinstance(aside.json(), list)


def test_replay_through_the_gateway_needs_a_selection_and_answers_what_it_did(
    stack: Stack, tokens: dict[str, str]
):
    empty = _post(stack, tokens["ops"], "/ops/documents/failed-events/replay", {})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_input"
    none = _post(
        stack, tokens["ops"], "/ops/documents/failed-events/replay", {"ids": [str(uuid.uuid4())]}
    )
    assert none.status_code == 200 and none.json() == {
        "service": "documents",
        "replayed": 0,
        "ids": [],
    }
    rows = _post(stack, tokens["ops"], "/ops/ledger/outbox/replay", {"consumer": "x"})
    assert rows.status_code == 422


def test_only_operators_see_parked_events(stack: Stack, tokens: dict[str, str]):
    refused = _get(stack, tokens["reg"], "/ops/documents/failed-events")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_required"
    unknown = _get(stack, tokens["ops"], "/ops/nosuch/failed-events")
    assert unknown.status_code == 422


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.env}
    return subprocess.run(
        [sys.executable, "-m", "services.common.ops", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_tool_explains_its_verbs_and_answers(stack: Stack):
    helped = _cli(stack, "--help")
    assert helped.returncode == 0
    for verb in ("failed", "replay", "outbox", "release"):
        assert verb in helped.stdout
    replay_help = _cli(stack, "replay", "--help")
    assert "--consumer" in replay_help.stdout and "--all" in replay_help.stdout
    listed = _cli(stack, "failed", "documents")
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)
    nothing = _cli(stack, "replay", "documents")
    assert nothing.returncode == 2 and "say what to replay" in nothing.stderr
    aside = _cli(stack, "outbox", "ledger")
    assert aside.returncode == 0 and isinstance(json.loads(aside.stdout), list)
