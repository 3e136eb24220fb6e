"""Process templates as data: the platform default, what makes a template unusable,
and the due date each step gets (pure; no broker, no database)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI
from services.routing.deadlines import deadline_for, tenant_calendar
from services.routing.schemas import DEFAULT_INCOMING, TemplateDef
from services.routing.templates import DEFAULT_TEMPLATE_ID, Flow, validate_template

MIGRATION = (
    Path(__file__).resolve().parents[2] / "services/routing/migrations/versions/0002_workflow.py"
)


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("routing_0002", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_seeds_exactly_the_default_template():
    module = _migration()
    assert TemplateDef.model_validate(module.DEFAULT_INCOMING) == DEFAULT_INCOMING
    assert module.DEFAULT_TEMPLATE_ID == DEFAULT_TEMPLATE_ID


def test_the_default_template_follows_the_agreed_route():
    flow = Flow.of(DEFAULT_INCOMING)
    route = {s.key: dict(s.actions) for s in DEFAULT_INCOMING.steps}
    assert route == {
        "registry_distribute": {"distribute": "division_sign"},
        "division_sign": {"sign": "propose", "return": "registry_distribute"},
        "propose": {"propose": "division_review", "return": "division_sign"},
        "division_review": {"approve": "leader_instruction", "return": "propose"},
        "leader_instruction": {"instruct": "handle", "return": "division_review"},
        "handle": {"handle": "registry_complete"},
        "registry_complete": {"complete": None, "return": "handle"},
        "registry_archive": {"archive": None},
    }
    assert flow.distribution_target == "division_sign"
    assert flow.archive_step is not None and flow.archive_step.key == "registry_archive"
    assert flow.is_leader_step("leader_instruction") and not flow.is_leader_step("handle")
    assert flow.is_registry_step("registry_complete") and not flow.is_registry_step("propose")


def _template(**changes: Any) -> dict[str, Any]:
    data = DEFAULT_INCOMING.model_dump(mode="json")
    data.update(changes)
    return data


def _with_step(which: str, **changes: Any) -> dict[str, Any]:
    data = _template()
    for step in data["steps"]:
        if step["key"] == which:
            step.update(changes)
    return data


@pytest.mark.parametrize(
    "data",
    [
        _template(first_step="nowhere"),
        _with_step("propose", actions={"propose": "nowhere"}),
        _with_step("propose", actions={"propose": "division_review", "fly": "handle"}),
        _with_step("propose", roles=["wizard"]),
        _with_step("handle", actions={"handle": "registry_complete", "return": "propose"}),
        _with_step("propose", key="division_sign"),
        _template(first_step="division_sign"),
        _with_step("handle", actions={"distribute": "propose"}),
    ],
    ids=[
        "missing first step",
        "unknown target",
        "unknown action",
        "unknown role",
        "return not allowed",
        "duplicate key",
        "incoming must start by distributing",
        "distributing in the middle",
    ],
)
def test_a_template_that_cannot_run_is_refused(data: dict[str, Any]):
    with pytest.raises(InvalidInput) as err:
        validate_template(TemplateDef.model_validate(data))
    assert err.value.code == "bad_template"


def test_a_shorter_template_without_review_is_fine():
    data = _template(code="no-review")
    data["steps"] = [s for s in data["steps"] if s["key"] not in ("division_review",)]
    for step in data["steps"]:
        if step["key"] == "propose":
            step["actions"] = {"propose": "leader_instruction", "return": "division_sign"}
        if step["key"] == "leader_instruction":
            step["actions"] = {"instruct": "handle", "return": "propose"}
    validate_template(TemplateDef.model_validate(data))


def _at(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, hour, tzinfo=SHANGHAI)


def test_a_division_has_three_working_days_after_the_distribution_day():
    flow = Flow.of(DEFAULT_INCOMING)
    calendar = tenant_calendar(None)
    due = deadline_for(flow, "division_sign", _at(2026, 9, 30), calendar)
    assert due is not None
    # 1–7 Oct are holidays, Sat 10 Oct is a make-up working day (DESIGN 4.3)
    assert due.due_date == dt.date(2026, 10, 10)
    assert due.due_at == dt.datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)


def test_the_handler_and_review_steps_have_their_template_time_limit():
    flow = Flow.of(DEFAULT_INCOMING)
    calendar = tenant_calendar(None)
    due = deadline_for(flow, "propose", _at(2026, 11, 20), calendar)  # a Friday
    assert due is not None and due.due_date == dt.date(2026, 11, 25)
    assert deadline_for(flow, "registry_complete", _at(2026, 11, 20), calendar) is None
