"""The one place where the routing service reads the current time.

Every "now" of the service (task creation, distribution, deadlines, overdue
marks, reminders, lists, reports, calendar changes) goes through :func:`now`.

Normally it is the real time. When ``GONGWEN_ENV=test`` the service honours an
instant the tests set (:func:`set_test_instant`, RPC ``set_test_clock``): it is
kept in the one-row ``test_clock`` table of routing's database, so every routing
instance of a test stack sees the same instant, and tests move time across a
deadline without sleeping. Outside test stacks the table is never read and
setting it is refused (``Forbidden("test_clock_disabled")``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from services.common.errors import Forbidden
from services.common.settings import get_settings
from services.common.vocabulary import utcnow
from services.routing import queries


def real_now() -> dt.datetime:
    """The wall-clock instant, in UTC (aware)."""
    return utcnow()


def test_clock_enabled() -> bool:
    return get_settings().gongwen_env == "test"


test_clock_enabled.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def now(session: Session) -> dt.datetime:
    """The current instant, in UTC (aware): the test instant if one is set (test stacks only)."""
    if test_clock_enabled():
        frozen = queries.test_clock(session)
        if frozen is not None:
            return frozen.astimezone(dt.UTC)
    return real_now()


def set_test_instant(session: Session, instant: dt.datetime | None) -> dt.datetime:
    """Freeze the service's clock at ``instant`` (None: back to real time); commits.

    Refused unless the service runs with ``GONGWEN_ENV=test``.
    """
    if not test_clock_enabled():
        raise Forbidden("test_clock_disabled", "the test clock exists only in test stacks")
    queries.set_test_clock(session, instant, real_now())
    session.commit()
    return now(session)
