"""The database is away: an RPC answers 503 ``database_unavailable``, not a crash.

A service whose PostgreSQL cannot be reached (refused, dropped, shutting down,
no connection free in the pool) fails inside SQLAlchemy or psycopg2 with an
``OperationalError``-kind exception. Sent as it is, the caller would see an
unexpected remote error (500 ``internal_error``). :func:`answer_database_outages_as_503`
makes every nameko ``@rpc`` entrypoint of the process answer such a failure as
the typed :class:`~services.common.errors.ServiceUnavailable` with the code
``database_unavailable`` instead; the gateway maps it to 503 with the usual error
body. Event handlers are left alone (their consumer retries a transient failure,
see :mod:`services.common.consumers`).

Only connection failures count: a deadlock, a serialisation failure or a statement
timeout (also ``OperationalError`` in psycopg2) stays what it is.
"""

from __future__ import annotations

import logging
from typing import Any

from services.common.errors import ServiceUnavailable

log = logging.getLogger(__name__)

#: SQLSTATEs of a server that is shutting down or not taking connections
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "database_unavailable", "the service's database cannot be reached; retry shortly"
    )


def _is_connection_failure(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return False
        exc = exc.orig if exc.orig is not None else exc
    elif isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # pool, connect
        return True
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - every service has it
        return False
    if isinstance(exc, psycopg2.InterfaceError):  # the connection is closed
        return True
    if isinstance(exc, psycopg2.OperationalError):
        code = getattr(exc, "pgcode", None)
        # no SQLSTATE: the client could not connect, or lost the connection
        return code is None or code.startswith("08") or code in _UNAVAILABLE_SQLSTATES
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) says the database cannot be reached."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if _is_connection_failure(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def as_typed_error(exc_info: Any) -> Any:
    """``exc_info`` with a database outage replaced by ``database_unavailable``."""
    if not exc_info or exc_info[1] is None or not is_database_unavailable(exc_info[1]):
        return exc_info
    error = database_unavailable()
    error.__cause__ = exc_info[1]
    log.warning("database unavailable: %s", exc_info[1].__class__.__name__)
    return (type(error), error, exc_info[2])


def answer_database_outages_as_503() -> None:
    """Every nameko ``@rpc`` of this process answers a database outage as the typed
    ``ServiceUnavailable("database_unavailable")`` (idempotent)."""
    from nameko.rpc import Rpc

    if getattr(Rpc.handle_result, "_database_outages_typed", False):
        return
    original = Rpc.handle_result

    def handle_result(self: Rpc, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        return original(self, message, worker_ctx, result, as_typed_error(exc_info))

    handle_result._database_outages_typed = True  # type: ignore[attr-defined]
    Rpc.handle_result = handle_result  # type: ignore[method-assign]
