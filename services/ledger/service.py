"""nameko entrypoints of the ledger service (supplier work ledger (专项工作台账) and daily work ledger (每日台账))."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.health import CommonEntrypoints
from services.common.observability import Observability


class LedgerService(CommonEntrypoints):
    name = "ledger"

    db: Session = DatabaseSession("ledger")  # type: ignore[assignment]
    obs = Observability()


SERVICE = LedgerService
