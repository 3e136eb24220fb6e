"""Waiting for what follows asynchronously (events between services, a restarting
service): one :func:`eventually` for every test suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from services.common.errors import GongwenError


def eventually(
    probe: Callable[[], Any], timeout: float = 15.0, what: str = "it", *, interval: float = 0.1
) -> Any:
    """Retry ``probe`` until it returns something truthy; a failed assertion, a typed
    error of a service (one that is (re)starting does not answer yet) or an HTTP error
    counts as "not yet". After ``timeout`` seconds fail with the last result or error."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        error: BaseException | None = None
        try:
            last = probe()
            if last:
                return last
        except (AssertionError, GongwenError, httpx.HTTPError) as exc:
            last, error = exc, exc
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what}; last: {last!r}"
            ) from error
        time.sleep(interval)
