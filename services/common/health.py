"""Entrypoints every service has: ``health`` (database and schema check) and
``ping`` (no I/O; the trivial RPC of the benchmarks)."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy import text
from sqlalchemy.orm import Session


def health_report(service: str, session: Session) -> dict[str, Any]:
    """Check the service's own database and report the migration it is at."""
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"service": service, "status": "ok", "database": "ok", "schema_revision": revision}


class CommonEntrypoints:
    """Mixed into every nameko service class (which provides ``name`` and ``db``)."""

    name: str
    db: Session

    @rpc
    def health(self) -> dict[str, Any]:
        """Liveness and database check."""
        return health_report(self.name, self.db)

    @rpc
    def ping(self) -> str:
        """Answer at once, touching nothing."""
        return "pong"
