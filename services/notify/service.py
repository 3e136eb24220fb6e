"""nameko entrypoints of the notify service (in-app inbox, SMS, e-mail, urges (催办) and notices with receipts (回执))."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.health import health_report
from services.common.observability import Observability


class NotifyService:
    name = "notify"

    db: Session = DatabaseSession("notify")  # type: ignore[assignment]
    obs = Observability()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def health(self) -> dict[str, Any]:
        """Liveness and database check."""
        return health_report(self.name, self.db)


SERVICE = NotifyService
