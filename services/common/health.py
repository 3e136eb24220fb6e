"""The ``health`` answer every service gives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def health_report(service: str, session: Session) -> dict[str, Any]:
    """Check the service's own database and report the migration it is at."""
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"service": service, "status": "ok", "database": "ok", "schema_revision": revision}
