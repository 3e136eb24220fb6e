"""Tables of the routing service: process templates, workflow instances, tasks (待办), working-day calendars, deadlines.

Its features arrive in later issues; for now it owns the outbox of its events.
"""

from sqlalchemy.orm import DeclarativeBase

from services.common.events import outbox_tables


class Base(DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
