"""Tables of the ledger service: supplier work ledger (专项工作台账) and daily work ledger (每日台账).

Its features arrive in later issues; for now it owns the outbox of its events.
"""

from sqlalchemy.orm import DeclarativeBase

from services.common.events import outbox_tables
from services.common.orm import service_registry


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
