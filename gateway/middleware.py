"""The outermost layer of every HTTP request (pure ASGI, no per-request task).

In order: request id (the client's ``X-Request-ID`` if sane, else a new one;
set for logs and RPC context, returned in the response header), rate limit per
client address for ``/api/`` paths (429 ``rate_limited``), a cap on the size of
request bodies (413 ``payload_too_large``), and — around the
whole request — in-flight/latency/count metrics by route template, one access
log line, and a last-resort 500 ``internal_error`` for anything unexpected.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import error_response, internal_error_response
from gateway.logs import REQUEST_ID, REQUEST_ID_HEADER, new_request_id, sanitize_request_id
from gateway.metrics import HTTP_IN_FLIGHT, HTTP_LATENCY, HTTP_REQUESTS, RATE_LIMITED

log = logging.getLogger("gateway.access")
error_log = logging.getLogger("gateway.errors")

RATE_LIMITED_PREFIX = "/api/"
UNMATCHED = "<unmatched>"
#: Largest request body read (the API takes small JSON documents; the routes of
#: :data:`STREAMED_BODY_ROUTES` take uploads and have limits of their own).
MAX_BODY_BYTES = 1024 * 1024
#: (method, path) of the routes that stream large bodies (scans) and enforce their
#: own per-file limit (``MAX_UPLOAD_BYTES``): :data:`MAX_BODY_BYTES` does not apply.
STREAMED_BODY_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"^/api/v1/documents/[^/]+/files/?$")),
)


def streams_body(scope: Scope) -> bool:
    method, path = scope.get("method"), scope.get("path", "")
    return any(method == m and pattern.match(path) for m, pattern in STREAMED_BODY_ROUTES)


def _too_large() -> HTTPException:
    return HTTPException(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) a body growing past ``limit`` (chunked uploads)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large()  # FastAPI re-raises it; the error handler answers 413
        return message

    return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            try:
                return bytes(value).decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
                return None
    return None


def _match_template(routes: Any, scope: Scope) -> str | None:
    for candidate in routes or ():
        nested = getattr(candidate, "original_router", None)  # a router included by FastAPI
        if nested is not None:
            found = _match_template(getattr(nested, "routes", ()), scope)
            if found:
                return found
            continue
        match, _ = candidate.matches(dict(scope))
        if match is not Match.NONE and isinstance(getattr(candidate, "path", None), str):
            return str(candidate.path)
    return None


def _route_template(scope: Scope) -> str:
    """The route's path template (``/api/v1/users/{user_id}``): a bounded metrics label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Not routed (refused before routing, e.g. rate limited): match it here.
    router = getattr(scope.get("app"), "router", None)
    return _match_template(getattr(router, "routes", ()), scope) or UNMATCHED


class GatewayMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = sanitize_request_id(_header(scope, b"x-request-id")) or new_request_id()
        token = REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        response_started = False
        status = 500
        HTTP_IN_FLIGHT.inc()

        async def send_with_request_id(message: Message) -> None:
            nonlocal response_started, status
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            path: str = scope.get("path", "")
            if path.startswith(RATE_LIMITED_PREFIX) and not await self._allowed(
                scope, receive, send_with_request_id
            ):
                return
            if streams_body(scope):
                await self.app(scope, receive, send_with_request_id)
                return
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                exc = _too_large()
                response = error_response(413, "payload_too_large", str(exc.detail))
                await response(scope, receive, send_with_request_id)
                return
            await self.app(scope, _limited_receive(receive, MAX_BODY_BYTES), send_with_request_id)
        except Exception:
            error_log.exception(
                "unhandled error in %s %s",
                scope.get("method"),
                scope.get("path"),
                extra={"status": 500, "error_code": "internal_error"},
            )
            if response_started:
                raise  # too late for an error body; let the server drop the connection
            await internal_error_response()(scope, receive, send_with_request_id)
        finally:
            HTTP_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", ""))
            route = _route_template(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                scope.get("path"),
                status,
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            REQUEST_ID.reset(token)

    async def _allowed(self, scope: Scope, receive: Receive, send: Send) -> bool:
        app: Any = scope.get("app")
        state = getattr(getattr(app, "state", None), "gateway", None)
        limiter = getattr(state, "limiter", None)
        if limiter is None:
            return True
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        decision = await limiter.hit(address)
        if decision.allowed:
            return True
        RATE_LIMITED.inc()
        response = error_response(
            429,
            "rate_limited",
            f"more than {decision.limit} requests per minute from {address}; retry later",
            headers={
                "Retry-After": str(decision.retry_after),
                "X-RateLimit-Limit": str(decision.limit),
                "X-RateLimit-Remaining": "0",
            },
        )
        await response(scope, receive, send)
        return False
