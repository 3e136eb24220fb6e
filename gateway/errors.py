"""One error body for every failure: ``{"error": {"code", "message", "details"?}}``.

Typed errors of :mod:`services.common.errors` map by their ``http_status`` and
``code``; request validation gives 422 ``invalid_input``; HTTP-level errors of
the router (unknown route, wrong method) get a code from their status; anything
unexpected is 500 ``internal_error`` and is logged with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from services.common.errors import GongwenError, RemoteError, ServiceUnavailable

log = logging.getLogger("gateway.errors")


class PayloadTooLarge(GongwenError):
    """413: a body or an uploaded file over its limit (raised by the gateway only)."""

    http_status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(GongwenError):
    """415: a body in a format the route does not take (raised by the gateway only)."""

    http_status = 415
    default_code = "unsupported_media_type"


class RequestTimeout(GongwenError):
    """408: the client sent its request too slowly (raised by the gateway only)."""

    http_status = 408
    default_code = "request_timeout"


class ServiceBusy(ServiceUnavailable):
    """503 with ``Retry-After``: every slot of a bounded resource is taken right now."""

    def __init__(self, code: str | None = None, message: str = "", *, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description="where the problem is, e.g. ['body', 'name']")
    msg: str
    type: str


class ErrorInfo(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. not_found")
    message: str = Field(description="human-readable explanation")
    details: list[ErrorDetail] | None = Field(
        default=None, description="one entry per invalid field (validation errors only)"
    )


class ErrorBody(BaseModel):
    error: ErrorInfo

    model_config = {
        "json_schema_extra": {
            "examples": [{"error": {"code": "not_found", "message": "user not found"}}]
        }
    }


#: Codes of the errors the router itself raises, by HTTP status.
HTTP_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
    504: "service_timeout",
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = list(details)
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def response_for_error(exc: GongwenError) -> JSONResponse:
    """The HTTP answer for a typed error (from a service or from the gateway)."""
    headers: dict[str, str] = {}
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    elif exc.http_status == 429:
        headers["Retry-After"] = "60"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return error_response(exc.http_status, exc.code, exc.message, headers=headers or None)


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic errors without the offending input (it may be a password)."""
    out: list[dict[str, Any]] = []
    for err in errors:
        loc = [part if isinstance(part, int) else str(part) for part in err.get("loc", ())]
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


def validation_message(details: Sequence[dict[str, Any]]) -> str:
    if not details:
        return "the request is invalid"
    first = details[0]
    if first["type"] == "json_invalid":
        return "the request body is not valid JSON"
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"the request is invalid: {where}: {first['msg']}{more}"


async def _gongwen_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GongwenError)
    if exc.http_status >= 500:
        log.warning(
            "%s %s failed: %s",
            request.method,
            request.url.path,
            exc,
            extra={"status": exc.http_status, "error_code": exc.code},
        )
    return response_for_error(exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors())
    return error_response(422, "invalid_input", validation_message(details), details=details)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # The gateway raises no 400 itself: this is FastAPI failing to read the body
        # (e.g. bytes that are not UTF-8). Same answer as any other malformed body.
        details = [{"loc": ["body"], "msg": str(exc.detail), "type": "body_unreadable"}]
        return error_response(
            422, "invalid_input", "the request body could not be read", details=details
        )
    code = HTTP_STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else code
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such resource: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _remote_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RemoteError)
    log.error(
        "%s %s: service failed unexpectedly: %s",
        request.method,
        request.url.path,
        exc,
        extra={"status": 500, "error_code": "internal_error"},
    )
    return internal_error_response()


def internal_error_response() -> JSONResponse:
    return error_response(500, "internal_error", "internal error; quote the request id to support")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GongwenError, _gongwen_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RemoteError, _remote_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the error body for these statuses."""
    descriptions = {
        400: "bad request",
        401: "not authenticated: not_authenticated, invalid_token, token_expired",
        403: "forbidden: role_required, …",
        404: "not found (also for another tenant's resource)",
        408: "upload_timeout: the upload was sent too slowly (idle timeout or deadline)",
        409: "conflict, e.g. duplicate name",
        413: "payload_too_large / file_too_large: over the size limit",
        415: "unsupported_media_type: the body is not in a format the route takes",
        422: "invalid_input: the body, a query parameter or a path id is invalid",
        429: "rate_limited (per address) or login throttled",
        503: "broker_unavailable (the message broker cannot be reached), database_unavailable"
        " (a service's database cannot be reached), storage_unavailable, uploads_busy (every"
        " upload slot taken; see Retry-After)",
        504: "service_timeout: the service did not answer in time",
    }
    return {s: {"model": ErrorBody, "description": descriptions.get(s, "error")} for s in statuses}
