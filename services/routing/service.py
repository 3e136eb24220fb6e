"""nameko entrypoints of the routing service: process templates, workflow instances,
tasks (待办), deadlines, urges (催办), circulation (传阅), the to-do / done / to-read
lists, the working-day calendars, the reminder / overdue scanner (a timer) and the
overdue reports.

Entrypoints are thin: they validate the arguments against the contract
(schemas.py), call the use cases in :mod:`services.routing.operations` and
:mod:`services.routing.catalog` with the caller's context (from the nameko call
context, never from an argument) and return JSON-ready dicts.
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from sqlalchemy.orm import Session

from services.common.consumers import consumer
from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS, InvalidInput
from services.common.events import EventEnvelope
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id, parse_ids, parse_instant
from services.common.observability import Observability
from services.documents import events as documents_events
from services.identity import events as identity_events
from services.routing import calendars, catalog, operations, reporting, scanner
from services.routing.config import routing_settings
from services.routing.remote import RemoteDirectory, RemoteDocuments
from services.routing.schemas import (
    Circulate,
    Distribute,
    ListQuery,
    OverrideCreate,
    Reassign,
    StepTimeLimit,
    TaskAction,
    TemplateDef,
    Urge,
    YearPublish,
)

JSON = dict[str, Any]
log = logging.getLogger(__name__)


class RoutingService(CommonEntrypoints):
    name = "routing"

    db: Session = DatabaseSession(  # type: ignore[assignment]
        "routing", expanders={scanner.EXPANDER: scanner.expand_task_events}
    )
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    identity = RpcProxy("identity")
    documents = RpcProxy("documents")

    @property
    def directory(self) -> RemoteDirectory:
        return RemoteDirectory(self.identity)

    # -- events ------------------------------------------------------------------------------------

    @consumer("documents", documents_events.DocumentRegistered)
    def on_document_registered(self, envelope: EventEnvelope) -> None:
        """A registered document gets its registry's 分办 task (idempotent). Failures
        are retried or parked (services.common.consumers)."""
        operations.on_document_registered(self.db, envelope)

    @consumer("documents", documents_events.DocumentForwarded)
    def on_document_forwarded(self, envelope: EventEnvelope) -> None:
        """转办: cancel the document's open tasks here (its route stops circulating)."""
        operations.on_document_forwarded(self.db, envelope)

    @consumer("documents", documents_events.OutgoingDrafted)
    def on_outgoing_drafted(self, envelope: EventEnvelope) -> None:
        """拟稿: open the outgoing document's route with the drafter's 拟稿 task."""
        operations.on_outgoing_drafted(self.db, envelope)

    @consumer("documents", documents_events.OutgoingUpdated)
    def on_outgoing_updated(self, envelope: EventEnvelope) -> None:
        operations.on_outgoing_updated(self.db, envelope)

    @consumer("identity", identity_events.TenantCreated)
    def on_tenant_created(self, envelope: EventEnvelope) -> None:
        """Keep routing's projection of the tenant tree (calendars inherit down it)."""
        calendars.on_tenant_created(self.db, envelope)

    # -- reminders and overdue marks -----------------------------------------------------------------

    @timer(interval=routing_settings().scan_interval, eager=True)
    def scan_timer(self) -> None:
        """One pass of the reminder / overdue scanner (every instance; each task once)."""
        try:
            counts = scanner.scan(self.db)
        except Exception:  # the next tick tries again
            log.exception("scanner pass failed")
            return
        if counts.overdue or counts.reminded:
            log.info("scanner: %d overdue, %d reminded", counts.overdue, counts.reminded)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def scan_now(self) -> JSON:
        """Run one scanner pass now (operators, tests); answers what it did."""
        return scanner.scan_now(self.db, self.ctx).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_test_clock(self, now: Any = None) -> JSON:
        """Freeze routing's clock at ``now`` (None: real time). Test stacks only."""
        instant = parse_instant(now, "now") if now is not None else None
        return scanner.set_test_clock(self.db, self.ctx, instant).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_clock(self) -> JSON:
        return scanner.get_clock(self.db, self.ctx).model_dump(mode="json")

    # -- calendars ---------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def publish_year(self, year: Any, schedule: Any) -> JSON:
        req = parse(YearPublish, schedule)
        out = calendars.publish_year(self.db, self.ctx, _year(year), req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_years(self) -> list[JSON]:
        return [y.model_dump(mode="json") for y in calendars.list_years(self.db, self.ctx)]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_year(self, year: Any) -> JSON:
        return calendars.get_year(self.db, self.ctx, _year(year)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def calendar_month(self, month: Any, tenant_id: Any = None) -> JSON:
        tid = parse_id(tenant_id, "tenant_id") if tenant_id is not None else None
        out = calendars.month(self.db, self.ctx, self.directory, month, tid)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_overrides(self, tenant_id: Any = None) -> list[JSON]:
        tid = parse_id(tenant_id, "tenant_id") if tenant_id is not None else None
        rows = calendars.list_overrides(self.db, self.ctx, self.directory, tid)
        return [r.model_dump(mode="json") for r in rows]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_override(self, override: Any) -> JSON:
        req = parse(OverrideCreate, override)
        return calendars.add_override(self.db, self.ctx, self.directory, req).model_dump(
            mode="json"
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_override(self, override_id: Any) -> JSON:
        oid = parse_id(override_id, "override_id")
        return calendars.remove_override(self.db, self.ctx, oid).model_dump(mode="json")

    # -- overdue reports ---------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def overdue_report(self, month: Any) -> JSON:
        out = reporting.overdue_report(self.db, self.ctx, self.directory, month)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def division_overdue(self, unit_id: Any = None, months: Any = 12) -> JSON:
        uid = parse_id(unit_id, "unit_id") if unit_id is not None else None
        out = reporting.division_overdue(self.db, self.ctx, self.directory, uid, _months(months))
        return out.model_dump(mode="json")

    # -- templates ---------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_templates(self) -> list[JSON]:
        return [t.model_dump(mode="json") for t in catalog.list_templates(self.db, self.ctx)]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_template(self, template_id: Any) -> JSON:
        tid = parse_id(template_id, "template_id")
        return catalog.get_template(self.db, self.ctx, tid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_template(self, template: Any) -> JSON:
        req = parse(TemplateDef, template, code="bad_template")
        return catalog.create_template(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_step_time_limit(self, template_id: Any, step_key: Any, limit: Any) -> JSON:
        """A new version of the template with one step's time limit (working days) changed."""
        tid = parse_id(template_id, "template_id")
        req = parse(StepTimeLimit, limit, code="bad_time_limit")
        out = catalog.set_step_time_limit(self.db, self.ctx, tid, str(step_key), req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def assign_template(self, template_id: Any, unit_ids: Any) -> JSON:
        tid = parse_id(template_id, "template_id")
        units = parse_ids(unit_ids, "unit_ids")
        out = catalog.assign_template(self.db, self.ctx, self.directory, tid, units)
        return out.model_dump(mode="json")

    # -- the flow ------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def distribute(self, distribution: Any) -> JSON:
        req = parse(Distribute, distribution)
        out = operations.distribute(
            self.db, self.ctx, self.directory, RemoteDocuments(self.documents), req
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def act(self, task_id: Any, action: Any) -> JSON:
        tid = parse_id(task_id, "task_id")
        req = parse(TaskAction, action)
        return operations.act(self.db, self.ctx, self.directory, tid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def return_targets(self, task_id: Any) -> list[JSON]:
        """退回: the earlier steps of the route this task's holder may return it to."""
        task = parse_id(task_id, "task_id")
        rows = operations.return_targets(self.db, self.ctx, task)
        self.db.rollback()
        return [r.model_dump(mode="json") for r in rows]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def withdraw(self, task_id: Any) -> JSON:
        """撤回: the one who acted takes the step back while the next holder has not acted."""
        tid = parse_id(task_id, "task_id")
        return operations.withdraw(self.db, self.ctx, tid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reassign(self, task_id: Any, reassignment: Any) -> JSON:
        """转交: the division head gives a task to another handler of the division."""
        tid = parse_id(task_id, "task_id")
        req = parse(Reassign, reassignment)
        out = operations.reassign(self.db, self.ctx, self.directory, tid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def urge(self, task_id: Any, urge: Any = None) -> JSON:
        tid = parse_id(task_id, "task_id")
        req = parse(Urge, urge)
        return operations.urge(self.db, self.ctx, tid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def circulate(self, circulation: Any) -> list[JSON]:
        req = parse(Circulate, circulation)
        items = operations.circulate(self.db, self.ctx, self.directory, req)
        return [i.model_dump(mode="json") for i in items]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, read_item_id: Any) -> JSON:
        rid = parse_id(read_item_id, "read_item_id")
        return operations.mark_read(self.db, self.ctx, rid).model_dump(mode="json")

    # -- lists -----------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_todo(self, query: Any = None) -> JSON:
        q = parse(ListQuery, query)
        return operations.list_todo(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_delegated(self, query: Any = None) -> JSON:
        """代录批示: open tasks of the leaders whose instructions I (secretary) may enter."""
        q = parse(ListQuery, query)
        return operations.list_delegated(self.db, self.ctx, self.directory, q).model_dump(
            mode="json"
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_done(self, query: Any = None) -> JSON:
        q = parse(ListQuery, query)
        return operations.list_done(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_to_read(self, query: Any = None) -> JSON:
        q = parse(ListQuery, query)
        return operations.list_to_read(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_task(self, task_id: Any) -> JSON:
        tid = parse_id(task_id, "task_id")
        return operations.get_task(self.db, self.ctx, tid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def document_tasks(self, document_id: Any) -> list[JSON]:
        did = parse_id(document_id, "document_id")
        tasks = operations.document_tasks(self.db, self.ctx, did)
        return [t.model_dump(mode="json") for t in tasks]


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("bad_year", "year is a number such as 2027")
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("bad_year", "year is a number such as 2027") from None


def _months(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidInput("bad_months", "months is a whole number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("bad_months", "months is a whole number") from None


SERVICE = RoutingService
