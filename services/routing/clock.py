"""The one place where the routing service reads the current time.

Every "now" of the service (task creation, deadlines, overdue flags, urges,
reads) goes through :func:`now`, so a later change (a fake clock for tests or
for a replay) has one function to replace.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current instant, in UTC (aware)."""
    return dt.datetime.now(dt.UTC)
