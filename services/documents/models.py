"""Tables of the documents service: document records, scans, processing slips, opinions, instructions, forwarding, archive (公文).

Its features arrive in later issues; for now it owns the outbox of its events.
"""

from sqlalchemy.orm import DeclarativeBase

from services.common.events import outbox_tables


class Base(DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
