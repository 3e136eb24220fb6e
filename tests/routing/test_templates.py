"""Process templates as data: the platform default, a tenant's own versions, assigning
them to divisions, and a division's documents following its template."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.routing.schemas import DEFAULT_INCOMING
from services.routing.templates import DEFAULT_TEMPLATE_ID
from tests.support.people import Org
from tests.support.routing import act, distribute, register
from tests.support.stacks import SyncRpc


def _quick_template() -> dict[str, Any]:
    """The default without the division review, and no urging at signing."""
    data = DEFAULT_INCOMING.model_dump(mode="json")
    data.update(code="quick-incoming", name="简易收文")
    data["steps"] = [s for s in data["steps"] if s["key"] != "division_review"]
    for step in data["steps"]:
        if step["key"] == "division_sign":
            step["allow_urge"] = False
        if step["key"] == "propose":
            step["actions"] = {"propose": "leader_instruction", "return": "division_sign"}
        if step["key"] == "leader_instruction":
            step["actions"] = {"instruct": "handle", "return": "propose"}
    return data


def test_every_tenant_sees_the_platform_default(rpc: SyncRpc, org: Org):
    assert org.registrar
    templates = rpc.call("routing", "list_templates", context=org.registrar.ctx())
    [default] = [t for t in templates if t["tenant_id"] is None and t["kind"] == "incoming"]
    [outgoing] = [t for t in templates if t["tenant_id"] is None and t["kind"] == "outgoing"]
    assert (outgoing["code"], [s["key"] for s in outgoing["steps"]]) == (
        "outgoing-default",
        ["draft", "check", "countersign", "issue", "number", "seal", "dispatch", "archive"],
    )
    assert (default["id"], default["code"], default["version"]) == (
        str(DEFAULT_TEMPLATE_ID),
        "incoming-default",
        1,
    )
    fetched = rpc.call(
        "routing", "get_template", context=org.registrar.ctx(), template_id=default["id"]
    )
    assert [s["key"] for s in fetched["steps"]] == [s.key for s in DEFAULT_INCOMING.steps]


def test_only_a_tenant_admin_creates_and_assigns_templates(rpc: SyncRpc, org: Org):
    assert org.registrar
    with pytest.raises(Forbidden) as err:
        rpc.call(
            "routing", "create_template", context=org.registrar.ctx(), template=_quick_template()
        )
    assert err.value.code == "tenant_admin_required"
    with pytest.raises(Forbidden):
        rpc.call(
            "routing",
            "assign_template",
            context=org.registrar.ctx(),
            template_id=str(DEFAULT_TEMPLATE_ID),
            unit_ids=[org.registry_id],
        )


def test_a_template_that_cannot_run_is_refused(rpc: SyncRpc, org: Org):
    broken = _quick_template()
    broken["steps"][1]["actions"] = {"sign": "nowhere"}
    for template in (broken, {**_quick_template(), "steps": []}, {"code": "x"}):
        with pytest.raises(InvalidInput) as err:
            rpc.call("routing", "create_template", context=org.admin, template=template)
        assert err.value.code == "bad_template"


def test_a_division_follows_the_template_assigned_to_it(rpc: SyncRpc, org: Org, other_org: Org):
    assert org.registrar
    quick, standard = org.division(), org.division()
    v1 = rpc.call("routing", "create_template", context=org.admin, template=_quick_template())
    v2 = rpc.call("routing", "create_template", context=org.admin, template=_quick_template())
    assert (v1["code"], v1["version"], v2["version"]) == ("quick-incoming", 1, 2)
    assert v2["tenant_id"] == org.tenant_id and v2["assigned_unit_ids"] == []

    assigned = rpc.call(
        "routing", "assign_template", context=org.admin, template_id=v2["id"], unit_ids=[quick.id]
    )
    assert assigned["assigned_unit_ids"] == [quick.id]
    with pytest.raises(NotFound) as err:
        rpc.call(
            "routing",
            "assign_template",
            context=org.admin,
            template_id=v2["id"],
            unit_ids=[str(uuid.uuid4())],
        )
    assert err.value.code == "unit_not_found"

    # another tenant neither sees nor uses it
    assert other_org.registrar
    with pytest.raises(NotFound) as err:
        rpc.call("routing", "get_template", context=other_org.admin, template_id=v2["id"])
    assert err.value.code == "template_not_found"
    theirs = rpc.call("routing", "list_templates", context=other_org.registrar.ctx())
    assert v2["id"] not in [t["id"] for t in theirs]

    document_id = register(rpc, org)
    sign_quick, sign_standard = distribute(rpc, org, document_id, quick, standard)["tasks"]
    # the quick template does not let the signing be urged
    with pytest.raises(InvalidInput) as err:
        rpc.call("routing", "urge", context=org.registrar.ctx(), task_id=sign_quick["id"])
    assert err.value.code == "urge_not_allowed"
    # and goes from the proposal straight to handling when no leader is chosen
    [propose] = act(rpc, quick.handler, sign_quick["id"], action="sign")["next_tasks"]
    [handle] = act(rpc, quick.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]
    assert handle["step"] == "handle"
    # a division without an assignment keeps the platform default
    [propose] = act(rpc, standard.handler, sign_standard["id"], action="sign")["next_tasks"]
    [review] = act(rpc, standard.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]
    assert review["step"] == "division_review"
