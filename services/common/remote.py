"""Calling another service from a nameko worker (through an RpcProxy).

Each call is bounded by the RPC timeout; "not found" comes back as ``None``;
the other service's typed errors come back as the same typed errors; a service
that is not there or does not answer is ``ServiceUnavailable`` /
``ServiceTimeout`` with the codes ``<service>_unavailable`` / ``<service>_timeout``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService

from services.common.errors import (
    ERROR_CLASSES,
    NotFound,
    ServiceTimeout,
    ServiceUnavailable,
    error_from_remote,
)
from services.common.settings import get_settings


def call(service: str, method: Callable[..., Any], **kwargs: Any) -> Any:
    """Call an RPC proxy method; ``None`` when the other side says "not found"."""
    timeout = get_settings().rpc_timeout
    try:
        with eventlet.Timeout(timeout):
            return method(**kwargs)
    except eventlet.Timeout:
        raise ServiceTimeout(f"{service}_timeout", f"{service} did not answer in time") from None
    except (UnknownService, MethodNotFound) as exc:
        raise ServiceUnavailable(f"{service}_unavailable", f"{service}: {exc}") from None
    except RemoteError as exc:
        if exc.exc_type in ERROR_CLASSES:
            code, _, message = str(exc.value).partition(": ")
            error = error_from_remote({"exc_type": exc.exc_type, "exc_args": [code, message]})
            if isinstance(error, NotFound):
                return None
            raise error from None
        raise
