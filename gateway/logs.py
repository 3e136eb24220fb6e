"""JSON logs on stdout carrying the request id of the request being served.

The shared :class:`~services.common.observability.JsonFormatter` reads the id
from the log record; here a filter puts it there from a context variable, which
(unlike the thread-local of ``set_request_id``) is per asyncio task, so
concurrent requests never see each other's id.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from services.common.context import REQUEST_ID_MAX
from services.common.observability import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gateway_request_id", default=None
)

REQUEST_ID_HEADER = "X-Request-ID"
#: a client's request id is kept when it is 1-100 (what the trails store) letters, digits
#: and ``. _ : -``, starting with a letter or digit; anything else is replaced
_SANE_REQUEST_ID = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._:\-]{{0,{REQUEST_ID_MAX - 1}}}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sanitize_request_id(raw: str | None) -> str | None:
    """The client's request id if it is safe to log and forward, else ``None``.

    Sane: 1-100 characters (what the trails store) of letters, digits and ``. _ : -``,
    starting with a letter or digit (no spaces, quotes, control characters or header
    tricks). An id that is not is replaced by a new one (the response's
    ``X-Request-ID`` says which), never refused: a tracing header must not fail a
    request.
    """
    if raw is None:
        return None
    candidate = raw.strip()
    if _SANE_REQUEST_ID.match(candidate):
        return candidate
    return None


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request id of the current task (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Root logger → one JSON object per line on stdout, with the request id."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter("gateway"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn configures its own plain-text handlers before importing the app.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for noisy in ("aio_pika", "pamqp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # aiormq logs every refused connection at ERROR; the gateway reports a broker
    # outage itself (one warning per 503 answered), so its own lines are enough.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
