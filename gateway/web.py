"""The web workbench (工作台) and the API docs, served by the gateway from local files.

* ``/`` and every other path that is not the API's (``/api/``, ``/docs``,
  ``/openapi.json``, ``/healthz``, ``/readyz``, ``/metrics``) serves the built web
  app in ``web/dist``: a file that exists there is sent as it is (``/assets/…`` with
  a long cache life: their names carry a content hash), any other path gets
  ``index.html`` (the app's router is in history mode). Without a build, ``/`` says
  how to make one.
* ``/docs`` is Swagger UI with its script and style from ``web/dist/swagger-ui/``
  (copied there from npm's ``swagger-ui-dist`` by the web build): government
  networks are closed, nothing may come from a CDN. ReDoc is not offered.

Only GET and HEAD are answered here: a POST to an unknown path stays a 404 (not a
405 of this catch-all route).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

#: The built web app (``make web``); ``GONGWEN_WEB_DIST`` points elsewhere.
DEFAULT_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
#: Paths the web app never answers (the API's own, and its operations endpoints).
RESERVED_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")
SWAGGER_DIR = "swagger-ui"

NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>公文 工作台</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.6">
<h1>工作台尚未构建</h1>
<p>The web workbench has not been built yet. In the checkout run</p>
<pre>make web</pre>
<p>(or <code>make run</code>, which builds it when its sources changed), then reload this page.
The API is at <a href="/api/v1">/api/v1</a>, its documentation at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def web_dist() -> Path:
    return Path(os.environ.get("GONGWEN_WEB_DIST") or DEFAULT_DIST)


def reserved(path: str) -> bool:
    return path == "/api" or any(
        path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/")
        for prefix in RESERVED_PREFIXES
    )


class WebRoute(Route):
    """A catch-all GET route that leaves reserved paths and other methods alone."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return Match.NONE, {}
        if reserved(scope.get("path", "")):
            return Match.NONE, {}
        return super().matches(scope)


def _file_in(dist: Path, relative: str) -> Path | None:
    """``dist/relative`` if it is a file inside ``dist`` (no way out with ``..``)."""
    if not relative:
        return None
    try:
        candidate = (dist / relative).resolve()
        candidate.relative_to(dist.resolve())
    except (ValueError, OSError):
        return None
    return candidate if candidate.is_file() else None


def install_web(app: FastAPI, dist: Path | None = None) -> None:
    """Add ``/docs`` (local Swagger UI) and the web app's catch-all route to ``app``;
    call it after every API router is included."""

    def current_dist() -> Path:
        return dist if dist is not None else web_dist()

    async def swagger_ui(request: Request) -> Response:
        assets = current_dist() / SWAGGER_DIR
        if not (assets / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(
                NOT_BUILT.replace("工作台尚未构建", "API 文档资源尚未构建")
                + "<!-- Swagger UI's files come with the web build -->"
            )
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Gongwen API — 接口文档",
            swagger_js_url=f"/{SWAGGER_DIR}/swagger-ui-bundle.js",
            swagger_css_url=f"/{SWAGGER_DIR}/swagger-ui.css",
            swagger_favicon_url="/favicon.svg",
        )

    async def web_app(request: Request) -> Response:
        root = current_dist()
        relative = request.path_params.get("path", "")
        found = _file_in(root, relative)
        if found is not None:
            cache = (
                "public, max-age=31536000, immutable"
                if relative.startswith("assets/")
                else "no-cache"
            )
            return FileResponse(found, headers={"Cache-Control": cache})
        index = root / "index.html"
        last = relative.rsplit("/", 1)[-1]
        if "." in last:  # a missing file (script, image …), not a page of the app
            raise HTTPException(404, "Not Found")
        if not index.is_file():
            return HTMLResponse(NOT_BUILT)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.router.routes.append(WebRoute("/{path:path}", web_app, methods=["GET", "HEAD"]))
