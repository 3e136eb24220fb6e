"""nameko entrypoints of the documents service (document records, scans, processing slips, opinions, instructions, forwarding, archive (公文))."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.health import health_report
from services.common.observability import Observability


class DocumentsService:
    name = "documents"

    db: Session = DatabaseSession("documents")  # type: ignore[assignment]
    obs = Observability()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def health(self) -> dict[str, Any]:
        """Liveness and database check."""
        return health_report(self.name, self.db)


SERVICE = DocumentsService
