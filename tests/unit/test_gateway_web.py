"""The gateway serves the web workbench and the API docs from local files only."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from gateway.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture()
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "swagger-ui").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>公文</title><div id=app></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "swagger-ui" / "swagger-ui-bundle.js").write_text("/* swagger */")
    (dist / "swagger-ui" / "swagger-ui.css").write_text("/* css */")
    monkeypatch.setenv("GONGWEN_WEB_DIST", str(dist))
    return dist


def client() -> TestClient:
    return TestClient(create_app(configure_logs=False))


def test_every_operation_has_its_function_name_as_operation_id():
    spec = create_app(configure_logs=False).openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert spec["paths"]["/api/v1/auth/login"]["post"]["operationId"] == "login"
    assert spec["paths"]["/api/v1/tasks/todo"]["get"]["operationId"] == "list_todo"


def test_every_schema_keeps_its_own_name_in_the_openapi():
    """Two services' models of one name would be renamed ``services__x__schemas__Name``
    and the web's generated types would lose the short name."""
    spec = create_app(configure_logs=False).openapi()
    names = list(spec["components"]["schemas"])
    assert [n for n in names if "__" in n] == []
    assert "NoticeReceiptOut" in names and "ReceiptOut" in names


def test_the_app_is_served_with_history_fallback(built: Path):
    web = client()
    for path in ("/", "/todo", "/documents/3fa85f64/tasks/1"):
        page = web.get(path)
        assert page.status_code == 200 and "<div id=app>" in page.text, path
    asset = web.get("/assets/index-abc123.js")
    assert asset.text == "console.log(1)" and "immutable" in asset.headers["cache-control"]
    assert web.get("/assets/missing.js").status_code == 404
    assert web.get("/../../etc/passwd").status_code in (404, 200)
    assert "root:" not in web.get("/%2e%2e/%2e%2e/etc/passwd").text


def test_api_paths_are_never_shadowed_by_the_app(built: Path):
    web = client()
    missing = web.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["code"]
    assert web.post("/no-such-page").status_code in (404, 405)
    assert web.post("/api/v1/no-such-thing").status_code == 404
    assert web.get("/openapi.json").json()["info"]["title"] == "Gongwen API"
    assert web.get("/healthz").json() == {"status": "alive"}
    assert web.get("/redoc").status_code == 404


def test_docs_load_swagger_ui_from_the_gateway_not_a_cdn(built: Path):
    docs = client().get("/docs")
    assert docs.status_code == 200
    assert (
        "/swagger-ui/swagger-ui-bundle.js" in docs.text
        and "/swagger-ui/swagger-ui.css" in docs.text
    )
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert client().get("/swagger-ui/swagger-ui.css").text == "/* css */"


def test_without_a_build_the_root_says_how_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GONGWEN_WEB_DIST", str(tmp_path / "nothing"))
    web = client()
    assert "make web" in web.get("/").text
    assert web.get("/docs").status_code == 200 and "make web" in web.get("/docs").text
