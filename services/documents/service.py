"""nameko entrypoints of the documents service (公文): document records, scans,
processing slips and opinions, visibility, search, and the document's trail.

Entrypoints are thin: they validate input, call the domain modules
(registry, scans, slip, trail) and return pydantic-dumped results. The caller's
identity comes only from the call context.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from sqlalchemy.orm import Session

from services.common.consumers import consumer
from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession, scope_session
from services.common.errors import (
    ERROR_CLASSES,
    EXPECTED_ERRORS,
    InvalidInput,
    NotFound,
    ServiceTimeout,
    ServiceUnavailable,
    error_from_remote,
)
from services.common.events import EventEnvelope, consume_once
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id, parse_over
from services.common.observability import Observability
from services.documents import (
    delivery,
    instructions,
    numbering,
    outgoing,
    registry,
    scans,
    scope,
    slip,
    storage,
    trail,
)
from services.documents.schemas import (
    AddressBookQuery,
    DocumentRegister,
    DocumentSearch,
    FileAttach,
    ForwardRequest,
    InboxQuery,
    InboxRefusal,
    InstructionExportQuery,
    InstructionNumberCheck,
    InstructionNumbering,
    InstructionSearch,
    NumberReserve,
    NumberVoid,
    OutgoingCreate,
    OutgoingOut,
    OutgoingQuery,
    OutgoingStepCheck,
    OutgoingUpdate,
    ProgressQuery,
    ReceiptUrge,
    RegisterQuery,
    ScopeAddition,
    SendRequest,
    SerialFormat,
    SeriesCreate,
    SeriesYear,
)
from services.identity import events as identity_events
from services.identity.schemas import AuditFilter
from services.routing import events as routing_events

log = logging.getLogger(__name__)

#: seconds to wait for identity to give a name for the slip
IDENTITY_TIMEOUT = 5.0


class ScanStoreProvider(DependencyProvider):
    """The object store of the scans. When the service starts, the bucket is ensured,
    with a rule that expires staged uploads nobody attached."""

    def setup(self) -> None:
        client = storage.make_client()
        bucket = storage.bucket_name()
        storage.ensure_bucket(client, bucket)
        try:
            storage.ensure_staging_expiry(client, bucket)
        except Exception:  # a store without lifecycle rules still keeps scans
            log.warning("could not set the expiry of staged uploads", exc_info=True)
        self.store = scans.ScanStore(client=client, bucket=bucket)

    def get_dependency(self, worker_ctx: Any) -> scans.ScanStore:
        return self.store


class IdentityPort:
    """:class:`delivery.IdentityDirectory` over identity's RPC, within the caller's tenant
    (nameko forwards the caller's context)."""

    def __init__(self, identity: Any, tenant_id: uuid.UUID | None) -> None:
        self.identity = identity
        self.tenant_id = tenant_id

    def _call(self, method: str, **kwargs: Any) -> Any:
        """The answer; None for "not found"; identity's typed errors as themselves."""
        try:
            with eventlet.Timeout(IDENTITY_TIMEOUT):
                return getattr(self.identity, method)(**kwargs)
        except eventlet.Timeout:
            raise ServiceTimeout("identity_timeout", "identity did not answer in time") from None
        except (UnknownService, MethodNotFound) as exc:
            raise ServiceUnavailable("identity_unavailable", f"identity: {exc}") from None
        except RemoteError as exc:
            if exc.exc_type not in ERROR_CLASSES:
                raise
            code, _, message = str(exc.value).partition(": ")
            error = error_from_remote({"exc_type": exc.exc_type, "exc_args": [code, message]})
            if isinstance(error, NotFound):
                return None
            raise error from None

    def own_tenant(self) -> dict[str, Any] | None:
        if self.tenant_id is None:
            return None
        found: dict[str, Any] | None = self._call("get_tenant", tenant_id=str(self.tenant_id))
        return found

    def own_units(self) -> list[dict[str, Any]]:
        return list(self._call("list_org_units") or [])

    def registrar_units(self, unit_id: uuid.UUID) -> list[uuid.UUID]:
        page = self._call(
            "search_users",
            query={"org_unit_id": str(unit_id), "role": "registrar", "active": True, "limit": 200},
        )
        items = (page or {}).get("items") or []
        return [uuid.UUID(str(i["org_unit_id"])) for i in items if i.get("org_unit_id")]


class DocumentsService(CommonEntrypoints):
    name = "documents"

    db: Session = DatabaseSession("documents")  # type: ignore[assignment]
    obs = Observability()
    caller: CallContext = Caller()  # type: ignore[assignment]
    store: scans.ScanStore = ScanStoreProvider()  # type: ignore[assignment]
    identity = RpcProxy("identity")

    # -- registry ---------------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register_document(self, document: dict[str, Any]) -> dict[str, Any]:
        """收文登记 (registrar): a received paper document; classified ones are refused."""
        req = parse(DocumentRegister, document)
        return registry.register_document(self.db, self.caller, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_document(self, document_id: str) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        return registry.get_document(self.db, self.caller, doc_id).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def search_documents(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        req = parse(DocumentSearch, query)
        return registry.search_documents(self.db, self.caller, req).model_dump(mode="json")

    # -- scans ------------------------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def attach_file(
        self, document_id: str, file: dict[str, Any], role: str = "scan"
    ) -> dict[str, Any]:
        """Check a staged upload again and attach it to the document: a scan (registrar),
        an outgoing document's body or attachment (its drafter or holder)."""
        doc_id = parse_id(document_id, "document_id")
        req = parse(FileAttach, file)
        out = scans.attach_file(self.db, self.caller, self.store, doc_id, req, role=str(role))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def file_download(self, file_id: str, presign: bool = False) -> dict[str, Any]:
        fid = parse_id(file_id, "file_id")
        out = scans.file_download(self.db, self.caller, self.store, fid, bool(presign))
        return out.model_dump(mode="json")

    # -- delivery through the platform (发送, 收文箱, 签收) -----------------------------------------
    def _identity_port(self) -> IdentityPort:
        return IdentityPort(self.identity, self.caller.tenant_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def send_document(self, document_id: str, sending: dict[str, Any]) -> dict[str, Any]:
        """发送 (registrar): the document to registries of this tenant or of others."""
        doc_id = parse_id(document_id, "document_id")
        req = parse(SendRequest, sending)
        out = delivery.send_document(
            self.db, self.caller, self._identity_port(), self._names, doc_id, req
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def forward_document(self, document_id: str, forwarding: dict[str, Any]) -> dict[str, Any]:
        """转办 / 限制转办 (the holder): on to other units with a forwarding slip."""
        doc_id = parse_id(document_id, "document_id")
        req = parse(ForwardRequest, forwarding)
        out = delivery.forward_document(
            self.db, self.caller, self._identity_port(), self._names, doc_id, req
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def address_book(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        """通讯录: the tenants and active units documents can be delivered to."""
        req = parse(AddressBookQuery, query)
        out = delivery.address_book(self.db, self.caller, self._identity_port(), req)
        return out.model_dump(mode="json")

    # -- outgoing documents (发文) -----------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_outgoing(self, draft: dict[str, Any]) -> dict[str, Any]:
        """拟稿 (handler): a new outgoing document; routing opens its route."""
        req = parse(OutgoingCreate, draft)
        out = outgoing.create_outgoing(
            self.db, self.caller, self._identity_port(), self._names, req
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_outgoing(self, document_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        req = parse(OutgoingUpdate, changes)
        out = outgoing.update_outgoing(self.db, self.caller, self._identity_port(), doc_id, req)
        return _named_bodies(out, self._names).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_outgoing(self, document_id: str) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        out = outgoing.get_outgoing(self.db, self.caller, doc_id)
        return _named_bodies(out, self._names).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_outgoing(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        req = parse(OutgoingQuery, query or {})
        return outgoing.list_outgoing(self.db, self.caller, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_outgoing_upload(self, document_id: str, role: str) -> None:
        """Before a body or attachment is streamed: may the caller add it?"""
        outgoing.check_file_upload(self.db, self.caller, parse_id(document_id, "document_id"), role)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_outgoing_step(self, document_id: str, check: dict[str, Any]) -> dict[str, Any]:
        """Before 签发 / 编号 / 用印 / 分发: refuse what the document is not ready for."""
        doc_id = parse_id(document_id, "document_id")
        req = parse(OutgoingStepCheck, check)
        out = outgoing.check_step(self.db, self.caller, self._identity_port(), doc_id, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def outgoing_receipts(self, document_id: str) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        return outgoing.receipts(self.db, self.caller, self._names, doc_id).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def urge_receipt(
        self, document_id: str, inbox_item_id: str, urge: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        item_id = parse_id(inbox_item_id, "inbox_item_id")
        req = parse(ReceiptUrge, urge or {})
        out = outgoing.urge_receipt(self.db, self.caller, self._names, doc_id, item_id, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def resend_receipt(self, document_id: str, inbox_item_id: str) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        item_id = parse_id(inbox_item_id, "inbox_item_id")
        out = outgoing.resend_receipt(self.db, self.caller, self._names, doc_id, item_id)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def outgoing_register(
        self, series_id: str, query: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """发文登记簿 of a series and year."""
        req = parse(RegisterQuery, query or {})
        out = outgoing.register(self.db, self.caller, parse_id(series_id, "series_id"), req)
        return out.model_dump(mode="json")

    # -- 发文字号: series and their numbers -----------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_series(self, series: dict[str, Any]) -> dict[str, Any]:
        req = parse(SeriesCreate, series)
        out = numbering.create_series(self.db, self.caller, self._identity_port(), req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_series(self) -> list[dict[str, Any]]:
        rows = numbering.list_series(self.db, self.caller)
        self.db.rollback()
        return [r.model_dump(mode="json") for r in rows]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def series_numbers(self, series_id: str, year: Any = None) -> dict[str, Any]:
        sid = parse_id(series_id, "series_id")
        wanted = parse(SeriesYear, {"year": year}).year
        out = numbering.series_year(self.db, self.caller, sid, wanted)
        self.db.rollback()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reserve_number(self, series_id: str, reservation: dict[str, Any]) -> dict[str, Any]:
        """预留 (the series' registry): the next number, e.g. for a paper document."""
        sid = parse_id(series_id, "series_id")
        req = parse(NumberReserve, reservation)
        out = numbering.reserve(self.db, self.caller, self._identity_port(), sid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def void_number(self, number_id: str, voiding: dict[str, Any]) -> dict[str, Any]:
        """作废 (the series' registry): a reserved or assigned number, with the reason."""
        nid = parse_id(number_id, "number_id")
        req = parse(NumberVoid, voiding)
        out = numbering.void(self.db, self.caller, self._identity_port(), nid, req)
        return out.model_dump(mode="json")

    # -- 知悉范围 of a 领导批示件 -----------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_scope(self, document_id: str) -> dict[str, Any]:
        doc_id = parse_id(document_id, "document_id")
        return scope.get_scope(self.db, self.caller, doc_id).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def extend_scope(self, document_id: str, addition: dict[str, Any]) -> dict[str, Any]:
        """The registry or the lead division adds people to a 领导批示件's scope."""
        doc_id = parse_id(document_id, "document_id")
        req = parse(ScopeAddition, addition)
        port = self._identity_port()

        def user(person: uuid.UUID) -> dict[str, Any] | None:
            found: dict[str, Any] | None = port._call("get_user", user_id=str(person))
            return found

        out = scope.extend_scope(self.db, self.caller, user, doc_id, req)
        return out.model_dump(mode="json")

    # -- leader instructions (领导批示) ------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_instruction_number(self, check: dict[str, Any]) -> None:
        """Before an instruction with a hand number: 409 if the leader has it this year."""
        instructions.check_number(self.db, self.caller, parse(InstructionNumberCheck, check))
        self.db.rollback()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def number_instruction(self, instruction_id: str, numbering: dict[str, Any]) -> dict[str, Any]:
        """编号: the number a 省政府领导's secretary gives an instruction afterwards."""
        row_id = parse_id(instruction_id, "instruction_id")
        req = parse(InstructionNumbering, numbering)
        out = instructions.number_instruction(self.db, self.caller, row_id, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_instruction(self, instruction_id: str) -> dict[str, Any]:
        row_id = parse_id(instruction_id, "instruction_id")
        return instructions.get_instruction(self.db, self.caller, row_id).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def search_instructions(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        req = parse(InstructionSearch, query)
        return instructions.search(self.db, self.caller, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_instructions(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        req = parse(InstructionExportQuery, query)
        out = instructions.export(self.db, self.caller, req, self._names)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_instructions(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        req = parse(ProgressQuery, query)
        return instructions.mine(self.db, self.caller, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_leader_numbering(self, leader_id: str) -> dict[str, Any]:
        leader = parse_id(leader_id, "leader_id")
        return instructions.get_numbering(self.db, self.caller, leader).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_leader_numbering(self, leader_id: str, numbering: dict[str, Any]) -> dict[str, Any]:
        leader = parse_id(leader_id, "leader_id")
        req = parse(SerialFormat, numbering)
        out = instructions.set_numbering(self.db, self.caller, leader, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_inbox(self, query: dict[str, Any] | None = None) -> dict[str, Any]:
        """收文箱 (registrar): what was sent to the caller's registry."""
        req = parse(InboxQuery, query)
        out = delivery.list_inbox(self.db, self.caller, self._identity_port(), req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_inbox_item(self, item_id: str) -> dict[str, Any]:
        iid = parse_id(item_id, "item_id")
        return delivery.get_inbox_item(self.db, self.caller, iid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sign_inbox_item(self, item_id: str) -> dict[str, Any]:
        """签收 (registrar): the item becomes a registered incoming document."""
        iid = parse_id(item_id, "item_id")
        out = delivery.sign_item(self.db, self.caller, self.store, iid, self._own_name())
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refuse_inbox_item(self, item_id: str, refusal: dict[str, Any]) -> dict[str, Any]:
        """拒收 / 退回 (registrar), with a reason."""
        iid = parse_id(item_id, "item_id")
        req = parse(InboxRefusal, refusal)
        out = delivery.refuse_item(self.db, self.caller, iid, req, self._own_name())
        return out.model_dump(mode="json")

    def _own_name(self) -> str | None:
        user_id = self.caller.user_id
        return self._names([user_id]).get(user_id) if user_id else None

    # -- identity's events: the address book of delivery --------------------------------------------
    def _directory(self, env: EventEnvelope, apply: Any) -> None:
        if not apply(self.db, env):
            raise InvalidInput("invalid_event", f"event {env.id} lacks an id, a tenant or a name")
        self.db.commit()

    @consumer("identity", identity_events.TenantCreated)
    def on_tenant_created(self, env: EventEnvelope) -> None:
        self._directory(env, delivery.apply_tenant_created)

    @consumer("identity", identity_events.OrgUnitCreated)
    def on_org_unit_created(self, env: EventEnvelope) -> None:
        self._directory(env, delivery.apply_org_unit_event)

    @consumer("identity", identity_events.OrgUnitUpdated)
    def on_org_unit_updated(self, env: EventEnvelope) -> None:
        self._directory(env, delivery.apply_org_unit_event)

    def _delegation(self, env: EventEnvelope) -> None:
        if env.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {env.id} has no tenant")
        scope_session(self.db, tenant_id=env.tenant_id)
        self._directory(env, delivery.apply_delegation)

    @consumer("identity", identity_events.DelegationCreated)
    def on_delegation_created(self, env: EventEnvelope) -> None:
        """授权: the secretary may open what is routed to the leader (while valid)."""
        self._delegation(env)

    @consumer("identity", identity_events.DelegationRevoked)
    def on_delegation_revoked(self, env: EventEnvelope) -> None:
        self._delegation(env)

    # -- processing slip and trail -------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_slip(self, document_id: str) -> dict[str, Any]:
        """处理笺: the document, its opinions in order and its whole trace."""
        doc_id = parse_id(document_id, "document_id")
        return slip.get_slip(self.db, self.caller, doc_id, self._names).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_audit(self, limit: Any = 50, offset: Any = 0, query: Any = None) -> dict[str, Any]:
        """The tenant's documents trail (auditor), newest first (``query``: AuditFilter)."""
        req = parse_over(AuditFilter, query, limit=limit, offset=offset)
        return trail.list_trail(self.db, self.caller, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def verify_audit_chain(self) -> dict[str, Any]:
        """Recompute the caller's tenant's hash chain (auditor)."""
        return trail.verify(self.db, self.caller).model_dump(mode="json")

    # -- routing's events -------------------------------------------------------------------------
    def _names(self, people: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
        """Full names from identity, each asked once; None where identity cannot say."""
        names: dict[uuid.UUID, str | None] = {}
        for person in dict.fromkeys(people):
            try:
                with eventlet.Timeout(IDENTITY_TIMEOUT):
                    user = self.identity.get_user(user_id=str(person))
                names[person] = (user or {}).get("full_name") or None
            except (Exception, eventlet.Timeout) as exc:
                log.warning("identity could not name user %s: %r", person, exc)
                names[person] = None
        return names

    def _apply(self, handler: str, env: EventEnvelope) -> None:
        """Apply one of routing's events once, in the event's tenant."""
        if env.tenant_id is None:
            raise InvalidInput("invalid_event", f"event {env.id} has no tenant")
        people = slip.people_to_name(env)
        names = self._names(people) if people else {}
        scope_session(self.db, tenant_id=env.tenant_id)
        if not consume_once(self.db, f"documents.{handler}", env):
            self.db.rollback()
            log.info("%s: event %s applied before; skipped", handler, env.id)
            return
        slip.apply_routing_event(self.db, self.caller, env, names)
        self.db.commit()

    @consumer("routing", routing_events.DocumentDistributed)
    def on_document_distributed(self, env: EventEnvelope) -> None:
        self._apply("on_document_distributed", env)

    @consumer("routing", routing_events.TaskCreated)
    def on_task_created(self, env: EventEnvelope) -> None:
        self._apply("on_task_created", env)

    @consumer("routing", routing_events.TaskCompleted)
    def on_task_completed(self, env: EventEnvelope) -> None:
        self._apply("on_task_completed", env)

    @consumer("routing", routing_events.TaskReturned)
    def on_task_returned(self, env: EventEnvelope) -> None:
        self._apply("on_task_returned", env)

    @consumer("routing", routing_events.TaskWithdrawn)
    def on_task_withdrawn(self, env: EventEnvelope) -> None:
        self._apply("on_task_withdrawn", env)

    @consumer("routing", routing_events.TaskReassigned)
    def on_task_reassigned(self, env: EventEnvelope) -> None:
        self._apply("on_task_reassigned", env)

    @consumer("routing", routing_events.TaskUrged)
    def on_task_urged(self, env: EventEnvelope) -> None:
        self._apply("on_task_urged", env)

    @consumer("routing", routing_events.TaskCancelled)
    def on_task_cancelled(self, env: EventEnvelope) -> None:
        self._apply("on_task_cancelled", env)

    @consumer("routing", routing_events.TaskOverdue)
    def on_task_overdue(self, env: EventEnvelope) -> None:
        self._apply("on_task_overdue", env)

    @consumer("routing", routing_events.DocumentCirculated)
    def on_document_circulated(self, env: EventEnvelope) -> None:
        self._apply("on_document_circulated", env)

    @consumer("routing", routing_events.ReadItemRead)
    def on_read_item_read(self, env: EventEnvelope) -> None:
        self._apply("on_read_item_read", env)

    @consumer("routing", routing_events.DocumentCompleted)
    def on_document_completed(self, env: EventEnvelope) -> None:
        self._apply("on_document_completed", env)

    @consumer("routing", routing_events.DocumentArchived)
    def on_document_archived(self, env: EventEnvelope) -> None:
        self._apply("on_document_archived", env)


def _named_bodies(found: OutgoingOut, names: Any) -> OutgoingOut:
    """Who uploaded each body version, by name."""
    people = list(dict.fromkeys(v.uploaded_by for v in found.body_versions))
    known = names(people) if people else {}
    for version in found.body_versions:
        version.uploaded_by_name = known.get(version.uploaded_by)
    return found


SERVICE = DocumentsService
