"""nameko entrypoints of the routing service (process templates, workflow instances, tasks (待办), working-day calendars, deadlines)."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.health import health_report
from services.common.observability import Observability


class RoutingService:
    name = "routing"

    db: Session = DatabaseSession("routing")  # type: ignore[assignment]
    obs = Observability()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def health(self) -> dict[str, Any]:
        """Liveness and database check."""
        return health_report(self.name, self.db)


SERVICE = RoutingService
