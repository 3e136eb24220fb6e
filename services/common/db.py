"""SQLAlchemy 2 session DependencyProvider for nameko, with cooperative psycopg2,
row-level-security settings per transaction and the outbox relay.

nameko-sqlalchemy does not support SQLAlchemy 2, hence this small provider.

Row-level security: every tenant table has a policy keyed on the transaction-
local settings ``app.tenant_id`` and ``app.bypass_rls``. The provider sets them
at the start of every transaction from the caller's context (or from
:func:`scope_session`), so a query that forgets its tenant filter still sees
nothing of another tenant. Services connect as a non-superuser role so that the
policies apply to them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from services.common.context import CallContext
from services.common.settings import get_settings

log = logging.getLogger(__name__)

_green = False


def make_green() -> None:
    """Make psycopg2 cooperative under eventlet (once per process)."""
    global _green
    if not _green:
        from eventlet.support import psycopg2_patcher

        psycopg2_patcher.make_psycopg_green()
        _green = True


def apply_rls_settings(connection: Connection, tenant_id: Any, bypass: bool) -> None:
    connection.execute(
        text(
            "SELECT set_config('app.tenant_id', :tid, true),"
            " set_config('app.bypass_rls', :bypass, true)"
        ),
        {"tid": str(tenant_id) if tenant_id else "", "bypass": "on" if bypass else "off"},
    )


def _after_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    ctx: CallContext | None = session.info.get("ctx")
    tenant_id = session.info.get("tenant_id") or (ctx.tenant_id if ctx else None)
    apply_rls_settings(connection, tenant_id, bool(session.info.get("bypass_rls")))


def scope_session(
    session: Session, *, tenant_id: uuid.UUID | None = None, bypass_rls: bool = False
) -> None:
    """Choose which tenant's rows this session sees (or all, with ``bypass_rls``:
    only for platform-level work such as onboarding tenants, login look-ups and
    timers). Takes effect at once, also inside an open transaction."""
    session.info["tenant_id"] = tenant_id
    session.info["bypass_rls"] = bypass_rls
    if session.in_transaction():
        apply_rls_settings(session.connection(), tenant_id, bypass_rls)


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    settings = get_settings()
    return create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "after_begin", _after_begin)
    return factory


RELAY_BATCH_TIMEOUT = 30.0  # seconds for one relayed batch before its connection is dropped
PRUNE_EVERY = 3600.0  # seconds between removals of old published outbox rows
GAUGES_EVERY = 15.0  # seconds between refreshes of the parked-event gauges
RELAY_HOLD_MAX = 30.0  # seconds a bulk writer may keep the relay waiting (hold_relay)


class DatabaseSession(DependencyProvider):
    """Gives each worker its own :class:`Session` bound to the service's database.

    The worker commits what it decided; whatever is left uncommitted when the
    worker ends is rolled back. Events added with
    :func:`services.common.events.emit` are published by the outbox relay that
    this provider runs: at once after the commit, and by a poll loop that
    retries until the broker has committed them (so a crash between commit and publish
    loses nothing).
    """

    def __init__(
        self,
        service_name: str,
        relay_outbox: bool = True,
        expanders: Mapping[str, Any] | None = None,
    ) -> None:
        self.service_name = service_name
        self.relay_outbox = relay_outbox
        self.expanders = dict(expanders or {})  # deferred outbox rows (events.defer)
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        self.sessions: dict[Any, Session] = {}
        self._wake = Event()
        self._relay_thread: Any = None
        self._stopping = False
        self._holds = 0  # bulk writers running (see hold_relay)

    # -- lifecycle -------------------------------------------------------------
    def setup(self) -> None:
        make_green()
        settings = get_settings()
        self.engine = make_engine(settings.app_database_url(self.service_name))
        self.factory = make_sessionmaker(self.engine)
        event.listen(self.factory, "after_commit", self._after_commit)

    def start(self) -> None:
        if self.relay_outbox:
            self._relay_thread = self.container.spawn_managed_thread(
                self._relay_loop, identifier=f"{self.service_name}.outbox_relay"
            )

    def stop(self) -> None:
        self._stopping = True
        self._nudge()
        if self._relay_thread is not None:
            self._relay_thread.kill()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    # -- per worker --------------------------------------------------------------
    def get_dependency(self, worker_ctx: Any) -> Session:
        assert self.factory is not None
        session = self.factory()
        session.info["ctx"] = CallContext.from_context_data(worker_ctx.context_data or {})
        session.info["hold_relay"] = self.hold_relay
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx: Any) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            try:
                session.close()
            except Exception as exc:  # the connection died (database away): drop it, keep
                # serving — an exception here would stop the whole service container
                log.warning("closing a session failed: %s", exc.__class__.__name__)
                with contextlib.suppress(Exception):
                    session.invalidate()

    # -- outbox relay --------------------------------------------------------------
    def _after_commit(self, session: Session) -> None:
        if session.info.pop("outbox_pending", False):
            self._nudge()

    @contextlib.contextmanager
    def hold_relay(self) -> Iterator[None]:
        """Keep this process's relay from starting a batch while a bulk writer (the
        overdue scanner's pass) runs: publishing its events, and the consumers taking
        them, would compete with it for the CPU. The relay resumes when the last hold
        ends, and publishes what was written meanwhile (it also resumes when a hold
        outlives ``RELAY_HOLD_MAX``, so a stuck writer cannot stop the relay)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if self._holds == 0:
                self._nudge()

    def _nudge(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def _relay_loop(self) -> None:
        from services.common.consumers import refresh_gauges
        from services.common.events import (
            EventPublisher,
            prune_processed,
            prune_published,
            relay_pending,
        )

        assert self.factory is not None
        settings = get_settings()
        publisher = EventPublisher(settings.amqp_uri, self.service_name)
        keep = dt.timedelta(days=settings.outbox_retention_days)
        remember = dt.timedelta(days=settings.processed_events_retention_days)
        next_prune = time.monotonic() + PRUNE_EVERY / 10  # soon after start, then hourly
        next_gauges = time.monotonic()
        try:
            while not self._stopping:
                try:
                    with eventlet.Timeout(1.0, False):
                        self._wake.wait()
                    if self._wake.ready():
                        self._wake.reset()
                    held_since = time.monotonic()
                    while self._holds and time.monotonic() - held_since < RELAY_HOLD_MAX:
                        eventlet.sleep(0.05)
                    while True:
                        with eventlet.Timeout(RELAY_BATCH_TIMEOUT):  # a broker gone silent
                            if relay_pending(self.factory, publisher, self.expanders) == 0:
                                break
                    if time.monotonic() >= next_prune:
                        next_prune = time.monotonic() + PRUNE_EVERY
                        while prune_published(self.factory, keep) > 0:
                            eventlet.sleep(0)  # let workers run between batches
                        while prune_processed(self.factory, remember) > 0:
                            eventlet.sleep(0)
                    if time.monotonic() >= next_gauges:
                        next_gauges = time.monotonic() + GAUGES_EVERY
                        refresh_gauges(self.factory, self.service_name)
                except (Exception, eventlet.Timeout):  # keep relaying whatever went wrong once
                    log.exception("outbox relay pass failed; retrying")
                    eventlet.sleep(1.0)
        finally:
            publisher.close()
