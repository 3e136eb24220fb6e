"""The one place where notify's notices and scheduled messages read the current time.

Normally the real time. In a test stack (``GONGWEN_ENV=test``) an instant the tests set
(RPC ``set_test_clock``) is kept in notify's one-row ``test_clock`` table, so that every
notify instance sees it: tests move past a reply deadline, or past the time after
which an unread notice is texted, without sleeping. Elsewhere the table is never read
and setting it is refused (``Forbidden("test_clock_disabled")``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.db import scope_session
from services.common.errors import Forbidden
from services.common.settings import get_settings
from services.common.vocabulary import utcnow
from services.notify.models import TestClock


def test_clock_enabled() -> bool:
    return get_settings().gongwen_env == "test"


test_clock_enabled.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def now(session: Session) -> dt.datetime:
    """The current instant, in UTC: the test instant if one is set (test stacks only)."""
    if test_clock_enabled():
        instant = session.scalar(select(TestClock.instant).where(TestClock.id == 1))
        if instant is not None:
            return instant
    return utcnow()


def set_test_instant(session: Session, instant: dt.datetime | None) -> dt.datetime:
    """Freeze the clock at ``instant`` (None: the real time again)."""
    if not test_clock_enabled():
        raise Forbidden("test_clock_disabled", "the test clock is only for test stacks")
    scope_session(session, bypass_rls=True)
    session.execute(
        pg_insert(TestClock)
        .values(id=1, instant=instant)
        .on_conflict_do_update(index_elements=["id"], set_={"instant": instant})
    )
    session.commit()
    return instant or utcnow()
