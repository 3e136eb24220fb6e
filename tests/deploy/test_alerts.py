"""Prometheus' alert rules (deploy/prometheus/rules): the alerts the issue asks for exist,
each with a severity and a Chinese summary for the operator on duty, and promtool finds
them valid; every alert has a unit test in deploy/prometheus/tests, which `make
alert-rules` runs with `promtool test rules` in `make test`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.support.prometheus import DEPLOY, load_rules

RULES = DEPLOY / "prometheus" / "rules"
TESTS = DEPLOY / "prometheus" / "tests"


def alerts() -> dict[str, dict[str, object]]:
    return {
        rule["alert"]: rule
        for doc in load_rules().values()
        for group in doc["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: `make alert-rules` installs it (Debian: prometheus)")
    return found


def test_the_alerts_of_the_issue_are_there() -> None:
    assert set(alerts()) >= {
        "GongwenServiceDown",
        "GongwenGatewayErrorRate",
        "GongwenServiceErrorRate",
        "GongwenRpcLatencyP99",
        "GongwenOutboxBacklogGrowing",
        "GongwenParkedEvents",
        "GongwenOverdueSpike",
        "GongwenNationalCalendarUnpublished",
    }


def test_every_alert_has_a_severity_and_a_chinese_summary() -> None:
    for name, rule in alerts().items():
        labels = rule["labels"]
        annotations = rule["annotations"]
        assert isinstance(labels, dict) and labels["severity"] in {"warning", "critical"}, name
        assert isinstance(annotations, dict), name
        assert re.search(r"[\u4e00-\u9fff]", annotations["summary"]), name
        assert annotations["description"], name


def test_every_alert_is_unit_tested() -> None:
    tested = set()
    for path in TESTS.glob("*.test.yml"):
        tested |= set(re.findall(r"alertname:\s*(\w+)", path.read_text()))
    assert set(alerts()) <= tested, f"no promtool test: {set(alerts()) - tested}"


def test_promtool_checks_the_rules() -> None:
    files = sorted(str(p) for p in RULES.glob("*.yml"))
    out = subprocess.run(
        [promtool(), "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
