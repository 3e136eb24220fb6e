"""Prometheus in the tests: a scrape of a process's ``/metrics`` parsed with
``prometheus_client.parser``; the PromQL expressions of deploy/ — every query of a Grafana
dashboard panel (and of its template variables) and every alert rule — and the metric
names each one reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules"

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str) -> tuple[Samples, dict[str, str]]:
    """Samples by name, and each family's type by its name."""
    body = httpx.get(url, timeout=10, trust_env=False).text
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(body):
        types[family.name] = family.type
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples, types


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The value of the first sample of ``name`` with these labels (None: none)."""
    for have, v in samples.get(name, []):
        if all(have.get(k) == want for k, want in labels.items()):
            return v
    return None


_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
    "inf",
    "nan",
    "Inf",
    "NaN",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: identifiers that are not functions,
    keywords, label names (matchers, grouping) or Grafana variables."""
    s = _STRING.sub('""', expr)
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges and subqueries
    s = _GROUPING.sub(" ", s)
    s = re.sub(r"\boffset\s+\S+", " ", s)
    names: set[str] = set()
    for match in _NAME.finditer(s):
        word, start = match.group(), match.start()
        before = s[start - 1] if start else ""
        if before == "$" or before.isdigit() or before == ".":  # a variable, 1e3, 0.5
            continue
        if s[match.end() :].lstrip().startswith("("):  # a function or an aggregation
            continue
        if word in _KEYWORDS:
            continue
        names.add(word)
    return names


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside collapsed rows too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _variable_query(query: Any) -> str | None:
    text = query.get("query") if isinstance(query, dict) else query
    if not isinstance(text, str) or not text:
        return None
    m = re.fullmatch(r"\s*label_values\((.*),\s*[A-Za-z_]\w*\s*\)\s*", text)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", text)
    return m.group(1) if m else text


def dashboard_exprs() -> list[tuple[str, str]]:
    """(where, expr) for every panel target and query variable of every dashboard."""
    out: list[tuple[str, str]] = []
    for name, dashboard in load_dashboards().items():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                if target.get("expr"):
                    out.append((f"{name}: {panel.get('title')}", target["expr"]))
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                expr = _variable_query(variable.get("query"))
                if expr:
                    out.append((f"{name}: ${variable['name']}", expr))
    return out


def load_rules() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(RULES.glob("*.yml"))}


def rule_exprs() -> list[tuple[str, str]]:
    """(where, expr) for every alert and recording rule."""
    return [
        (f"{name}: {rule.get('alert') or rule.get('record')}", rule["expr"])
        for name, doc in load_rules().items()
        for group in doc["groups"]
        for rule in group["rules"]
    ]
