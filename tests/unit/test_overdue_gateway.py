"""The gateway's calendar, step time limit and overdue report routes without a broker:
what each sends to routing, who may call them, the report streamed as XLSX / CSV with
its Content-Disposition, and their OpenAPI documentation."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from gateway.app import create_app
from services.common.settings import Settings
from services.routing.schemas import DEFAULT_INCOMING, OverdueReport
from tests.support.gateway_app import ISSUER, Harness, error_of
from tests.support.reports import sample_report

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TENANT_ID = str(uuid.uuid4())


@pytest.fixture()
def harness() -> Harness:
    return Harness()


@pytest.fixture()
def client(harness: Harness) -> Iterator[TestClient]:
    app = create_app(
        Settings(jwt_issuer=ISSUER, rpc_timeout=5),
        configure_logs=False,
        state_factory=harness.state,
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def as_(harness: Harness, *roles: str, tenant: str | None = TENANT_ID) -> dict[str, str]:
    return harness.token(roles=list(roles), tid=tenant)


def routing_calls(harness: Harness) -> list[tuple[str, dict[str, Any]]]:
    return [(m, kw) for s, m, kw, _ in harness.rpc.calls if s == "routing"]


def test_publishing_a_year_is_the_platform_administrators(harness: Harness, client: TestClient):
    body = {"holidays": ["2027-01-01"], "workdays": ["2027-02-14"], "note": "通知"}
    denied = client.put(
        "/api/v1/calendar/years/2027", json=body, headers=as_(harness, "tenant_admin")
    )
    assert denied.status_code == 403 and error_of(denied)["code"] == "role_required"
    assert routing_calls(harness) == []
    harness.rpc.script[("routing", "publish_year")] = lambda year, schedule: {
        "year": year,
        "provisional": False,
        "holidays": schedule["holidays"],
        "workdays": schedule["workdays"],
        "recomputed_tasks": 3,
        "moved_tasks": 2,
    }
    response = client.put(
        "/api/v1/calendar/years/2027",
        json=body,
        headers=as_(harness, "platform_admin", tenant=None),
    )
    assert response.status_code == 200, response.text
    assert response.json()["recomputed_tasks"] == 3
    assert routing_calls(harness) == [("publish_year", {"year": 2027, "schedule": body})]
    bad = client.put(
        "/api/v1/calendar/years/2027",
        json={"holidays": ["2027-02-30"]},
        headers=as_(harness, "platform_admin", tenant=None),
    )
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_input"
    assert (
        client.put(
            "/api/v1/calendar/years/1800",
            json={},
            headers=as_(harness, "platform_admin", tenant=None),
        ).status_code
        == 422
    )


def test_calendar_reads_and_overrides_go_to_routing(harness: Harness, client: TestClient):
    harness.rpc.script[("routing", "calendar_month")] = {
        "month": "2026-10",
        "tenant_id": TENANT_ID,
        "provisional": False,
        "working_days": 0,
        "days": [],
    }
    other = str(uuid.uuid4())
    headers = as_(harness, "registrar")
    assert client.get("/api/v1/calendar/months/2026-10", headers=headers).status_code == 200
    assert (
        client.get(
            "/api/v1/calendar/months/2026-10", params={"tenant_id": other}, headers=headers
        ).status_code
        == 200
    )
    override = {"date": "2026-12-09", "kind": "day_off", "note": "苗年"}
    assert (
        client.post("/api/v1/calendar/overrides", json=override, headers=headers).status_code == 403
    )
    harness.rpc.script[("routing", "add_override")] = lambda override: {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT_ID,
        "date": override["date"],
        "kind": override["kind"],
        "note": override["note"],
        "created_at": "2026-11-21T08:00:00Z",
        "recomputed_tasks": 1,
        "moved_tasks": 1,
    }
    added = client.post(
        "/api/v1/calendar/overrides", json=override, headers=as_(harness, "tenant_admin")
    )
    assert added.status_code == 201, added.text
    assert routing_calls(harness) == [
        ("calendar_month", {"month": "2026-10"}),
        ("calendar_month", {"month": "2026-10", "tenant_id": other}),
        ("add_override", {"override": {**override, "tenant_id": None}}),
    ]


def test_a_step_time_limit_goes_to_routing_as_is(harness: Harness, client: TestClient):
    template_id = str(uuid.uuid4())
    harness.rpc.script[("routing", "set_step_time_limit")] = DEFAULT_INCOMING.model_dump(
        mode="json"
    ) | {"id": template_id, "tenant_id": TENANT_ID, "version": 2, "assigned_unit_ids": []}
    response = client.patch(
        f"/api/v1/templates/{template_id}/steps/propose",
        json={"time_limit_days": 0},
        headers=as_(harness, "tenant_admin"),
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    assert routing_calls(harness) == [
        (
            "set_step_time_limit",
            {"template_id": template_id, "step_key": "propose", "limit": {"time_limit_days": 0}},
        )
    ]
    wrong = client.patch(
        f"/api/v1/templates/{template_id}/steps/propose",
        json={"time_limit_days": "soon"},
        headers=as_(harness, "tenant_admin"),
    )
    assert wrong.status_code == 422 and error_of(wrong)["code"] == "invalid_input"


def test_the_report_is_streamed_as_a_workbook_or_csv(harness: Harness, client: TestClient):
    report = sample_report()
    harness.rpc.script[("routing", "overdue_report")] = report.model_dump(mode="json")
    headers = as_(harness, "registrar")
    denied = client.get(
        "/api/v1/reports/overdue", params={"month": "2026-10"}, headers=as_(harness, "handler")
    )
    assert denied.status_code == 403 and routing_calls(harness) == []

    as_json = client.get("/api/v1/reports/overdue", params={"month": "2026-10"}, headers=headers)
    assert OverdueReport.model_validate(as_json.json()) == report

    xlsx = client.get(
        "/api/v1/reports/overdue", params={"month": "2026-10", "format": "xlsx"}, headers=headers
    )
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == (
        'attachment; filename="overdue-2026-10.xlsx"; '
        "filename*=UTF-8''%E8%B6%85%E6%9C%9F%E6%96%87%E4%BB%B6%E7%BB%9F%E8%AE%A1-2026-10.xlsx"
    )
    assert int(xlsx.headers["content-length"]) == len(xlsx.content)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book["超期明细"].cell(row=3, column=8).value == dt.datetime(2026, 10, 12, 10, 30)

    as_csv = client.get(
        "/api/v1/reports/overdue", params={"month": "2026-10", "format": "csv"}, headers=headers
    )
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf\xe5\xba\x8f\xe5\x8f\xb7")  # BOM, 序号
    assert [kw for m, kw in routing_calls(harness)] == [{"month": "2026-10"}] * 3

    division = client.get(
        "/api/v1/reports/overdue/division",
        params={"months": 40},
        headers=as_(harness, "division_head"),
    )
    assert division.status_code == 422


def test_the_new_routes_are_documented_with_examples(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert {"calendar", "reports"} <= {t["name"] for t in spec["tags"]}
    paths = [
        "/api/v1/calendar/years",
        "/api/v1/calendar/years/{year}",
        "/api/v1/calendar/months/{month}",
        "/api/v1/calendar/overrides",
        "/api/v1/calendar/overrides/{override_id}",
        "/api/v1/templates/{template_id}/steps/{step_key}",
        "/api/v1/reports/overdue",
        "/api/v1/reports/overdue/division",
    ]
    for path in paths:
        for method, operation in spec["paths"][path].items():
            assert operation.get("summary") and operation.get("tags"), (method, path)
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert body["application/json"].get("examples"), (method, path)
    report = spec["paths"]["/api/v1/reports/overdue"]["get"]
    assert "Share of documents overdue" in report["description"]
    assert set(report["responses"]["200"]["content"]) >= {
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
    }
