"""Tables of the metrics service: monthly operations indicators (运维指标数据) and Prometheus business gauges.

Its features arrive in later issues; for now it owns the outbox of its events.
"""

from sqlalchemy.orm import DeclarativeBase

from services.common.events import outbox_tables
from services.common.orm import service_registry


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
