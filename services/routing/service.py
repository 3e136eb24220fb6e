"""nameko entrypoints of the routing service (process templates, workflow instances, tasks (待办), working-day calendars, deadlines)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.health import CommonEntrypoints
from services.common.observability import Observability


class RoutingService(CommonEntrypoints):
    name = "routing"

    db: Session = DatabaseSession("routing")  # type: ignore[assignment]
    obs = Observability()


SERVICE = RoutingService
