"""nameko entrypoints of the documents service (document records, scans, processing slips, opinions, instructions, forwarding, archive (公文))."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.health import CommonEntrypoints
from services.common.observability import Observability


class DocumentsService(CommonEntrypoints):
    name = "documents"

    db: Session = DatabaseSession("documents")  # type: ignore[assignment]
    obs = Observability()


SERVICE = DocumentsService
