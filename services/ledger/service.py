"""nameko entrypoints of the ledger service (supplier work ledger (专项工作台账) and daily work ledger (每日台账))."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.health import health_report
from services.common.observability import Observability


class LedgerService:
    name = "ledger"

    db: Session = DatabaseSession("ledger")  # type: ignore[assignment]
    obs = Observability()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def health(self) -> dict[str, Any]:
        """Liveness and database check."""
        return health_report(self.name, self.db)


SERVICE = LedgerService
