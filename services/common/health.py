"""Entrypoints every service has: ``health`` (database and schema check) and
``ping`` (no I/O; the trivial RPC of the benchmarks)."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import EXPECTED_ERRORS
from services.common.inputs import parse


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

    # -- operators: parked events and set-aside outbox rows (services.common.ops) -------------------

    def _ops_session(self) -> Session:
        from services.common.db import scope_session
        from services.common.ops import require_ops

        require_ops(self.db.info.get("ctx") or CallContext())
        scope_session(self.db, bypass_rls=True)
        return self.db

    def _refresh_gauges(self) -> None:
        """Bring the parked / set-aside gauges up to date with what an operator sees."""
        from sqlalchemy.orm import sessionmaker

        from services.common.consumers import refresh_gauges

        refresh_gauges(sessionmaker(bind=self.db.get_bind()), self.name)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def ops_failed_events(self, query: Any = None) -> list[dict[str, Any]]:
        """Events this service's consumers parked (ops)."""
        from services.common import ops

        session = self._ops_session()
        q = parse(ops.FailedEventQuery, query)
        rows = [row.model_dump(mode="json") for row in ops.list_failed(session, q)]
        self._refresh_gauges()
        return rows

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def ops_replay_failed(self, selection: Any = None) -> dict[str, Any]:
        """Send parked events back to their consumers (ops); each is applied once."""
        from services.common import ops
        from services.common.settings import get_settings

        session = self._ops_session()
        chosen = parse(ops.ReplaySelection, selection)
        out = ops.replay_failed(session, self.name, get_settings().amqp_uri, chosen)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def ops_set_aside(self, query: Any = None) -> list[dict[str, Any]]:
        """Outbox rows this service's relay set aside (ops)."""
        from services.common import ops

        session = self._ops_session()
        q = parse(ops.SetAsideQuery, query)
        rows = [row.model_dump(mode="json") for row in ops.list_set_aside(session, q)]
        self._refresh_gauges()
        return rows

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def ops_replay_set_aside(self, selection: Any = None) -> dict[str, Any]:
        """Give set-aside outbox rows back to the relay (ops)."""
        from services.common import ops

        session = self._ops_session()
        chosen = parse(ops.ReplaySelection, selection)
        return ops.release_set_aside(session, self.name, chosen).model_dump(mode="json")
