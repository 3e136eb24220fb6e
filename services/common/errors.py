"""Typed errors: one class per failure a caller must tell apart.

Each carries a stable machine-readable ``code`` and a human ``message``. They
travel over nameko RPC as ``exc_type`` (the class name) with ``exc_args``
``[code, message]``; the gateway maps the class name to an HTTP status once.
"""

from __future__ import annotations

from typing import Any


class GongwenError(Exception):
    """Base of every error a caller is meant to see."""

    http_status = 400
    default_code = "bad_request"

    def __init__(self, code: str | None = None, message: str = "") -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        super().__init__(self.code, self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(GongwenError):
    http_status = 422
    default_code = "invalid_input"


class Unauthenticated(GongwenError):
    http_status = 401
    default_code = "unauthenticated"


class Forbidden(GongwenError):
    http_status = 403
    default_code = "forbidden"


class NotFound(GongwenError):
    http_status = 404
    default_code = "not_found"


class Conflict(GongwenError):
    http_status = 409
    default_code = "conflict"


class TooManyRequests(GongwenError):
    http_status = 429
    default_code = "too_many_requests"


class ServiceUnavailable(GongwenError):
    """The broker cannot be reached (gateway side)."""

    http_status = 503
    default_code = "service_unavailable"


class ServiceTimeout(GongwenError):
    """A service did not answer within the call timeout (gateway side)."""

    http_status = 504
    default_code = "service_timeout"


ERROR_CLASSES: dict[str, type[GongwenError]] = {
    cls.__name__: cls
    for cls in (
        GongwenError,
        InvalidInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        TooManyRequests,
        ServiceUnavailable,
        ServiceTimeout,
    )
}

#: What a nameko @rpc entrypoint lists as expected (not logged as a crash).
EXPECTED_ERRORS = tuple(ERROR_CLASSES.values())


class RemoteError(Exception):
    """A service failed in a way it did not expect (a bug): the gateway gives 500."""

    def __init__(self, exc_type: str, value: str) -> None:
        self.exc_type = exc_type
        self.value = value
        super().__init__(f"{exc_type}: {value}")


def error_from_remote(payload: dict[str, Any]) -> Exception:
    """Rebuild an error from nameko's serialised form ``{exc_type, exc_args, value}``."""
    exc_type = str(payload.get("exc_type", "Exception"))
    cls = ERROR_CLASSES.get(exc_type)
    args = payload.get("exc_args") or []
    if cls is not None and len(args) >= 1:
        code = str(args[0])
        message = str(args[1]) if len(args) > 1 else ""
        return cls(code, message)
    if exc_type == "MethodNotFound":
        return NotFound("method_not_found", str(payload.get("value", "")))
    if exc_type == "IncorrectSignature":
        return InvalidInput("bad_rpc_signature", str(payload.get("value", "")))
    return RemoteError(exc_type, str(payload.get("value", "")))
