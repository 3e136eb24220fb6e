"""Tables of the notify service: in-app inbox, SMS, e-mail, urges (催办) and notices with receipts (回执).

Its features arrive in later issues; for now it owns the outbox of its events.
"""

from sqlalchemy.orm import DeclarativeBase

from services.common.events import outbox_tables


class Base(DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
