"""nameko entrypoints of the notify service (in-app inbox, SMS, e-mail, urges (催办) and notices with receipts (回执))."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.health import CommonEntrypoints
from services.common.observability import Observability


class NotifyService(CommonEntrypoints):
    name = "notify"

    db: Session = DatabaseSession("notify")  # type: ignore[assignment]
    obs = Observability()


SERVICE = NotifyService
