"""nameko entrypoints of the routing service: process templates, workflow instances,
tasks (待办), deadlines, urges (催办), circulation (传阅) and the to-do / done / to-read lists.

Entrypoints are thin: they validate the arguments against the contract
(schemas.py), call the use cases in :mod:`services.routing.operations` and
:mod:`services.routing.catalog` with the caller's context (from the nameko call
context, never from an argument) and return JSON-ready dicts.
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.events import EventEnvelope
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id, parse_ids
from services.common.observability import Observability
from services.routing import catalog, operations
from services.routing.remote import RemoteDirectory, RemoteDocuments
from services.routing.schemas import (
    Circulate,
    Distribute,
    ListQuery,
    TaskAction,
    TemplateDef,
    Urge,
)

JSON = dict[str, Any]
log = logging.getLogger(__name__)


class RoutingService(CommonEntrypoints):
    name = "routing"

    db: Session = DatabaseSession("routing")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    identity = RpcProxy("identity")
    documents = RpcProxy("documents")

    @property
    def directory(self) -> RemoteDirectory:
        return RemoteDirectory(self.identity)

    # -- events ------------------------------------------------------------------------------------

    @event_handler("documents", "document.registered", requeue_on_error=True)
    def on_document_registered(self, payload: JSON) -> None:
        """A registered document gets its registry's 分办 task (idempotent).

        A failure (database away) puts the event back on the queue; an event
        that can never be applied (malformed) is logged and dropped.
        """
        try:
            envelope = EventEnvelope.model_validate(payload)
            operations.check_registered(envelope)
        except (ValidationError, KeyError, ValueError, TypeError):
            log.exception("malformed document.registered dropped: %r", payload)
            return
        operations.on_document_registered(self.db, envelope)

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


SERVICE = RoutingService
