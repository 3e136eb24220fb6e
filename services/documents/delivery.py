"""Delivery through the platform: sending a document to other units' registries, their
inbox (收文箱), and signing for it (签收) without re-typing (DESIGN 4.1 step 1, 4.2's
last step).

Addresses. A recipient is an org unit (its registry, 文书处) of the sender's own
tenant or of another, given as ``{tenant_code | tenant_id, unit_id}``. Identity
answers only within the caller's tenant, so documents keeps an address book of
its own: the tenants and org units identity announces (``tenant.created``,
``org_unit.created``, ``org_unit.updated``), ids, codes, names and kinds only.
A unit of the caller's own tenant that the book lacks (a tenant onboarded before
documents listened) is filled in from identity on demand; such a tenant becomes
addressable by others once one of its registrars has sent or opened the inbox.
An unknown tenant is 404 ``recipient_tenant_not_found``, a unit that is not (or
no longer) in that tenant 404 ``recipient_unit_not_found``.

Sending writes, in one transaction, one inbox item per recipient **in the
recipient's tenant** (the session is scoped to that tenant for the insert, its
audit row and its event, then back to the sender's): a snapshot of the metadata
(title, 文号, urgency, secrecy, pages; 来文单位 = the sending organisation;
received date = the day of sending in Asia/Shanghai) and references to the
scans (bucket, key, size, SHA-256, type). ``inbox.item_arrived`` goes to each
recipient tenant and ``document.sent`` to the sender's, through the outbox; each
side's hash-chained trail gets its rows. A document reaches a unit once (409
``already_sent``) unless that unit refused it.

Signing for an item (registrar of the recipient unit) copies the scans
server-side to keys of a new document of the recipient tenant and checks each
copy's size and SHA-256 against what was sent, outside any transaction; then,
with the item row locked, it registers the document (registry = the signer's
unit, registered by the signer), marks the item signed and announces
``document.registered`` (routing gives the registry its 分办 task, as for a paper
document). Two registrars signing at once: one wins, the other gets 409
``already_signed`` and its copies are removed. Refusing (拒收/退回) with a reason
marks the item refused and leaves a row on both trails.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from minio.commonconfig import CopySource
from minio.error import S3Error
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.audit import _chain_lock, append_audit
from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.events import EventEnvelope, emit
from services.common.inputs import instant, optional_id
from services.common.vocabulary import SHANGHAI, OrgUnitKind, Urgency, utcnow
from services.documents import drafts, queries, rules, storage
from services.documents.events import EVENTS
from services.documents.models import (
    DirectoryTenant,
    DirectoryUnit,
    Document,
    DocumentFile,
    InboxItem,
)
from services.documents.registry import announce_registered, load_visible, new_document
from services.documents.scans import ScanStore
from services.documents.schemas import (
    FORWARDING_NOTICE,
    AddressBookOut,
    AddressBookQuery,
    AddressEntryOut,
    AddressTenantOut,
    DeliveryOut,
    DocumentOut,
    DocumentRegister,
    ForwardingSlipOut,
    ForwardOut,
    ForwardRequest,
    InboxFileOut,
    InboxItemOut,
    InboxPage,
    InboxQuery,
    InboxRefusal,
    InboxStatus,
    Recipient,
    Secrecy,
    SendOut,
    SendRequest,
)
from services.documents.trail import record
from services.documents.views import document_out, document_snapshot, file_snapshot

log = logging.getLogger(__name__)

#: audit target of an inbox item
INBOX_TARGET = "inbox_item"
#: most ancestors walked to find the sending organisation
MAX_DEPTH = 32


class IdentityDirectory(Protocol):
    """What delivery asks identity, within the caller's tenant (the caller's context)."""

    def own_tenant(self) -> Mapping[str, Any] | None: ...

    def own_units(self) -> Sequence[Mapping[str, Any]]: ...

    def registrar_units(self, unit_id: uuid.UUID) -> list[uuid.UUID]:
        """The org units of the active registrars at or below a unit (one per registrar)."""
        ...


#: full names of people of the caller's tenant (None: identity could not say)
NameLookup = Callable[[list[uuid.UUID]], Mapping[uuid.UUID, str | None]]


# -- pure rules ------------------------------------------------------------------------------------


def received_date_of(sent_at: dt.datetime) -> dt.date:
    """The day a sent document arrives: the day of sending in Asia/Shanghai."""
    return sent_at.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class UnitRef:
    """One org unit of a chain from the tenant's root down to the sending unit."""

    name: str
    kind: str


def source_org_of(tenant_name: str, chain: Sequence[UnitRef]) -> str:
    """来文单位 of a sent document: the organisation (单位) the sending unit belongs to.

    ``chain`` runs from the tenant's root unit down to the sending unit. The nearest
    enclosing unit of kind 单位 names it; the root stands for the tenant itself (its
    name), any other is qualified by the tenant's name unless it already starts with it.
    """
    enclosing = next(
        (i for i in range(len(chain) - 1, -1, -1) if chain[i].kind == OrgUnitKind.unit), None
    )
    if enclosing is None or enclosing == 0:
        return tenant_name[:200]
    name = chain[enclosing].name
    if name.startswith(tenant_name):
        return name[:200]
    return f"{tenant_name} {name}"[:200]


# -- the address book (fed by identity's events) ------------------------------------------------------


def apply_tenant_created(session: Session, env: EventEnvelope) -> bool:
    """Put a tenant into the address book (idempotent; an older fact never wins)."""
    data = env.data
    tenant_id = optional_id(data.get("id"))
    code, name = data.get("code"), data.get("name")
    if tenant_id is None or not isinstance(code, str) or not isinstance(name, str):
        return False
    queries.upsert_directory_tenant(
        session,
        {
            "id": tenant_id,
            "code": code[:64],
            "name": name[:200],
            "parent_id": optional_id(data.get("parent_id")),
            "path": str(data.get("path") or code),
            "as_of": env.occurred_at,
        },
    )
    return True


def _unit_values(data: Mapping[str, Any], as_of: dt.datetime) -> dict[str, Any] | None:
    unit_id = optional_id(data.get("id"))
    tenant_id = optional_id(data.get("tenant_id"))
    name, kind = data.get("name"), data.get("kind")
    if unit_id is None or tenant_id is None or not isinstance(name, str):
        return None
    return {
        "id": unit_id,
        "tenant_id": tenant_id,
        "name": name[:200],
        "kind": str(kind or "")[:20],
        "parent_id": optional_id(data.get("parent_id")),
        "path": str(data.get("path") or ""),
        "active": data.get("active") is not False,
        "as_of": as_of,
    }


def apply_org_unit_event(session: Session, env: EventEnvelope) -> bool:
    """Put an org unit (created or changed) into the address book."""
    values = _unit_values(env.data, env.occurred_at)
    if values is None:
        return False
    queries.upsert_directory_units(session, [values])
    return True


def apply_delegation(session: Session, env: EventEnvelope) -> bool:
    """Keep a delegation (授权) as identity announced it: a secretary opens what is
    routed to the leader they act for while it is valid (registry.load_visible)."""
    data = env.data
    if env.tenant_id is None:
        return False
    queries.upsert_delegation(
        session,
        {
            "id": optional_id(data.get("id")),
            "tenant_id": optional_id(data.get("tenant_id")) or env.tenant_id,
            "leader_id": optional_id(data.get("leader_id")),
            "secretary_id": optional_id(data.get("secretary_id")),
            "scope": str(data.get("scope"))[:40],
            "starts_at": instant(data.get("starts_at"), env.occurred_at),
            "ends_at": instant(data.get("ends_at"), env.occurred_at),
            "revoked_at": instant(data["revoked_at"], env.occurred_at)
            if data.get("revoked_at")
            else None,
        },
    )
    return True


def refresh_own_tenant(session: Session, identity: IdentityDirectory) -> None:
    """Fill the address book with the caller's tenant and all its units, from identity."""
    now = utcnow()
    tenant = identity.own_tenant()
    if tenant:
        env = EventEnvelope(
            id=uuid.uuid4(),
            type="tenant.created",
            source="identity",
            occurred_at=now,
            data=dict(tenant),
        )
        apply_tenant_created(session, env)
    values = [v for u in identity.own_units() if (v := _unit_values(u, now)) is not None]
    queries.upsert_directory_units(session, values)
    session.flush()


class _Book:
    """The address book as one call reads it: refreshes the caller's own tenant from
    identity at most once when something of it is missing."""

    def __init__(self, session: Session, ctx: CallContext, identity: IdentityDirectory) -> None:
        self.session = session
        self.tenant_id = ctx.require_tenant()
        self.identity = identity
        self.refreshed = False

    def refresh(self) -> bool:
        if self.refreshed:
            return False
        self.refreshed = True
        refresh_own_tenant(self.session, self.identity)
        return True

    def own_tenant(self) -> DirectoryTenant | None:
        found = queries.directory_tenant(self.session, tenant_id=self.tenant_id)
        if found is None and self.refresh():
            found = queries.directory_tenant(self.session, tenant_id=self.tenant_id)
        return found

    def tenant(self, recipient: Recipient) -> DirectoryTenant | None:
        if recipient.tenant_id is None and not recipient.tenant_code:
            return self.own_tenant()
        if recipient.tenant_id == self.tenant_id:
            found = self.own_tenant()
        else:
            found = queries.directory_tenant(
                self.session, tenant_id=recipient.tenant_id, code=recipient.tenant_code or None
            )
            if found is None and recipient.tenant_id is None:
                own = self.own_tenant()
                found = own if own is not None and own.code == recipient.tenant_code else None
        if found is not None and recipient.tenant_code and found.code != recipient.tenant_code:
            return None  # an id and a code of two different tenants
        return found

    def unit(self, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> DirectoryUnit | None:
        found = queries.directory_units(self.session, [unit_id]).get(unit_id)
        if found is None and tenant_id == self.tenant_id and self.refresh():
            found = queries.directory_units(self.session, [unit_id]).get(unit_id)
        if found is None or found.tenant_id != tenant_id or not found.active:
            return None
        return found

    def chain(self, unit: DirectoryUnit) -> list[UnitRef]:
        """From the tenant's root down to ``unit`` (as far as the book knows)."""
        chain = [UnitRef(unit.name, unit.kind)]
        parent_id = unit.parent_id
        seen = {unit.id}
        while parent_id is not None and parent_id not in seen and len(chain) < MAX_DEPTH:
            seen.add(parent_id)
            parent = queries.directory_units(self.session, [parent_id]).get(parent_id)
            if parent is None:
                break
            chain.append(UnitRef(parent.name, parent.kind))
            parent_id = parent.parent_id
        return list(reversed(chain))


def lock_chains(session: Session, tenant_ids: Sequence[uuid.UUID]) -> None:
    """Take the audit-chain locks of several tenants in one fixed order, before appending
    to any: two transactions writing to the same two chains (a sends to b while b sends
    to a) then queue instead of deadlocking. Appending takes each lock again (it nests)."""
    for tenant_id in sorted(set(tenant_ids), key=str):
        _chain_lock(session, tenant_id)


# -- views ---------------------------------------------------------------------------------------------


def inbox_item_out(item: InboxItem) -> InboxItemOut:
    return InboxItemOut(
        id=item.id,
        status=InboxStatus(item.status),
        recipient_unit_id=item.recipient_unit_id,
        title=item.title,
        doc_number=item.doc_number,
        source_org=item.source_org,
        urgency=Urgency(item.urgency),
        secrecy=Secrecy(item.secrecy),
        page_count=item.page_count,
        received_date=item.received_date,
        note=item.note,
        sender_tenant_code=item.sender_tenant_code,
        sender_tenant_name=item.sender_tenant_name,
        sender_unit_name=item.sender_unit_name,
        sent_by_name=item.sent_by_name,
        sent_at=item.sent_at,
        files=[
            InboxFileOut(
                filename=f["filename"],
                content_type=f["content_type"],
                size=f["size"],
                sha256=f["sha256"],
            )
            for f in item.files or []
        ],
        signed_by=item.signed_by,
        signed_at=item.signed_at,
        document_id=item.document_id,
        refused_by=item.refused_by,
        refused_at=item.refused_at,
        refusal_reason=item.refusal_reason,
        forwarding_slip=ForwardingSlipOut.model_validate(item.forwarding_slip)
        if item.forwarding_slip
        else None,
        urged_at=item.urged_at,
        urge_count=item.urge_count or 0,
    )


def item_snapshot(item: InboxItem) -> dict[str, Any]:
    """What the trails record of an inbox item (no object keys)."""
    fields = (
        "id",
        "status",
        "recipient_unit_id",
        "sender_tenant_id",
        "sender_tenant_code",
        "sender_unit_id",
        "sender_unit_name",
        "source_document_id",
        "title",
        "doc_number",
        "source_org",
        "urgency",
        "secrecy",
        "page_count",
        "received_date",
        "sent_by",
        "sent_at",
    )
    out = {name: getattr(item, name) for name in fields}
    out["files"] = [{"filename": f["filename"], "sha256": f["sha256"]} for f in item.files or []]
    return out


def _file_ref(row: DocumentFile) -> dict[str, Any]:
    return {
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "bucket": row.bucket,
        "object_key": row.object_key,
    }


# -- sending -------------------------------------------------------------------------------------------


def _file_refs(session: Session, doc: Document) -> list[dict[str, Any]]:
    """The document's scans as the inbox items refer to them."""
    return [_file_ref(f) for f in queries.files_of(session, [doc.id])[doc.id]]


def _org_unit_of(ctx: CallContext) -> uuid.UUID:
    if ctx.org_unit_id is None:
        raise Forbidden("org_unit_required", "the registrar belongs to no registry unit")
    return ctx.org_unit_id


def _already_sent(unit_name: str) -> Conflict:
    return Conflict("already_sent", f"the document was sent to {unit_name} already")


def _targets(
    book: _Book, recipients: Sequence[Recipient], sender_unit: DirectoryUnit
) -> list[tuple[DirectoryTenant, DirectoryUnit]]:
    """Each recipient unit once (404 for an unknown or inactive one)."""
    targets: list[tuple[DirectoryTenant, DirectoryUnit]] = []
    for recipient in recipients:
        target_tenant = book.tenant(recipient)
        if target_tenant is None:
            raise NotFound("recipient_tenant_not_found", "no such recipient tenant")
        unit = book.unit(target_tenant.id, recipient.unit_id)
        if unit is None:
            raise NotFound("recipient_unit_not_found", "no such unit in the recipient tenant")
        if unit.id == sender_unit.id:
            raise InvalidInput("recipient_is_sender", "a unit does not send to itself")
        if all(unit.id != seen.id for _, seen in targets):  # each unit once
            targets.append((target_tenant, unit))
    return targets


def _sender(
    book: _Book, tenant_id: uuid.UUID, sender_unit_id: uuid.UUID
) -> tuple[DirectoryTenant, DirectoryUnit]:
    sender_tenant = book.own_tenant()
    sender_unit = book.unit(tenant_id, sender_unit_id)
    if sender_tenant is None or sender_unit is None:
        raise NotFound("sender_unit_not_found", "identity does not know the sender's unit")
    return sender_tenant, sender_unit


def _deliver(
    session: Session,
    ctx: CallContext,
    doc: Document,
    targets: Sequence[tuple[DirectoryTenant, DirectoryUnit]],
    *,
    sender: tuple[DirectoryTenant, DirectoryUnit],
    source_org: str,
    sent_by_name: str | None,
    now: dt.datetime,
    note: str | None,
    title: str,
    files: list[dict[str, Any]],
    forwarding_slip: dict[str, Any] | None = None,
    copy_unit_ids: frozenset[uuid.UUID] = frozenset(),
) -> list[DeliveryOut]:
    """One inbox item per target unit, each with its audit row and arrival event in the
    recipient's tenant (the caller has locked the chains and commits or rolls back)."""
    tenant_id = doc.tenant_id
    sender_tenant, sender_unit = sender
    user_id = ctx.require_user()
    deliveries: list[DeliveryOut] = []
    for target_tenant, unit in targets:
        # the item, its audit row and its event belong to the recipient's tenant
        scope_session(session, tenant_id=target_tenant.id)
        item = InboxItem(
            id=uuid.uuid4(),
            tenant_id=target_tenant.id,
            recipient_unit_id=unit.id,
            status=InboxStatus.pending.value,
            sender_tenant_id=tenant_id,
            sender_tenant_code=sender_tenant.code,
            sender_tenant_name=sender_tenant.name,
            sender_unit_id=sender_unit.id,
            sender_unit_name=sender_unit.name,
            source_document_id=doc.id,
            sent_by=user_id,
            sent_by_name=sent_by_name,
            sent_at=now,
            title=title,
            doc_number=doc.doc_number,
            source_org=source_org,
            urgency=doc.urgency,
            secrecy=doc.secrecy,
            page_count=doc.page_count,
            received_date=received_date_of(now),
            note=note or None,
            files=files,
            forwarding_slip=forwarding_slip,
            is_copy=unit.id in copy_unit_ids,
        )
        session.add(item)
        unit_name = unit.name  # a failed flush expires what the session holds
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise _already_sent(unit_name) from None
        append_audit(
            session,
            tenant_id=target_tenant.id,
            action="inbox.item_arrived",
            target_type=INBOX_TARGET,
            target_id=item.id,
            after=item_snapshot(item),
            ctx=ctx,
            occurred_at=now,
        )
        emit(
            session,
            EVENTS,
            "inbox.item_arrived",
            {
                "inbox_item_id": str(item.id),
                "recipient_unit_id": str(unit.id),
                "title": item.title,
                "doc_number": item.doc_number,
                "urgency": item.urgency,
                "source_org": item.source_org,
                "sender_tenant_id": str(tenant_id),
                "sender_tenant_code": sender_tenant.code,
                "sent_at": now.isoformat(),
            },
            tenant_id=target_tenant.id,
            ctx=ctx,
        )
        deliveries.append(
            DeliveryOut(
                inbox_item_id=item.id,
                tenant_id=target_tenant.id,
                tenant_code=target_tenant.code,
                tenant_name=target_tenant.name,
                unit_id=unit.id,
                unit_name=unit.name,
            )
        )
    scope_session(session, tenant_id=tenant_id)
    return deliveries


def send_document(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    names: NameLookup,
    document_id: uuid.UUID,
    req: SendRequest,
) -> SendOut:
    """发送: the document to each recipient unit's inbox, in the recipient's tenant."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    rules.require_registrar(ctx.roles)
    sender_unit_id = _org_unit_of(ctx)
    doc = load_visible(session, ctx, document_id)
    rules.check_storable(Secrecy(doc.secrecy))  # never stored classified; checked again anyway

    book = _Book(session, ctx, identity)
    sender = _sender(book, tenant_id, sender_unit_id)
    targets = _targets(book, req.recipients, sender[1])
    files = _file_refs(session, doc)
    sent_by_name = names([user_id]).get(user_id)
    now = utcnow()
    source_org = source_org_of(sender[0].name, book.chain(sender[1]))
    try:
        lock_chains(session, [tenant_id, *(t.id for t, _ in targets)])
        deliveries = _deliver(
            session,
            ctx,
            doc,
            targets,
            sender=sender,
            source_org=source_org,
            sent_by_name=sent_by_name,
            now=now,
            note=req.note,
            title=doc.title,
            files=files,
        )
        sent = [d.model_dump(mode="json") for d in deliveries]
        record(
            session,
            ctx,
            tenant_id=tenant_id,
            document_id=doc.id,
            action="document.send",
            after={
                "deliveries": sent,
                "note": req.note or None,
                "files": len(files),
            },
            occurred_at=now,
        )
        emit(
            session,
            EVENTS,
            "document.sent",
            {
                "document_id": str(doc.id),
                "sent_by": str(user_id),
                "sender_unit_id": str(sender[1].id),
                "sent_at": now.isoformat(),
                "deliveries": sent,
            },
            tenant_id=tenant_id,
            ctx=ctx,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        scope_session(session, tenant_id=tenant_id)
    return SendOut(document_id=doc.id, sent_at=now, sent_by=user_id, deliveries=deliveries)


# -- the address book ---------------------------------------------------------------------------


def address_book(
    session: Session, ctx: CallContext, identity: IdentityDirectory, query: AddressBookQuery
) -> AddressBookOut:
    """通讯录 of delivery: the tenants of the platform and their active units."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    book = _Book(session, ctx, identity)
    book.own_tenant()  # the caller's own tenant is known (refreshed from identity once)
    tenants, units = queries.address_book(
        session, tenant_code=query.tenant_code, q=query.q, limit=query.limit
    )
    out = AddressBookOut(
        tenants=[
            AddressTenantOut(id=t.id, code=t.code, name=t.name, parent_id=t.parent_id)
            for t in tenants
        ],
        units=[
            AddressEntryOut(
                tenant_id=t.id,
                tenant_code=t.code,
                tenant_name=t.name,
                unit_id=u.id,
                unit_name=u.name,
                kind=u.kind,
                own_tenant=t.id == tenant_id,
            )
            for u, t in units
        ],
    )
    session.rollback()
    return out


# -- forwarding (转办 / 限制转办) -----------------------------------------------------------------


def _slip_opinions(session: Session, doc: Document) -> list[dict[str, Any]]:
    """Plain 转办: the processing slip's opinions as they stand, for the receiver."""
    return [
        {
            "kind": o.kind,
            "text": o.text,
            "author_name": o.author_name,
            "on_behalf_of_name": o.on_behalf_of_name,
            "created_at": o.created_at.isoformat(),
        }
        for o in queries.opinions_of(session, doc.id)
    ]


def forward_document(
    session: Session,
    ctx: CallContext,
    identity: IdentityDirectory,
    names: NameLookup,
    document_id: uuid.UUID,
    req: ForwardRequest,
) -> ForwardOut:
    """转办: the holder sends the document on to other units with a forwarding slip
    (转办笺); a 领导批示件's (限制转办) carries the fixed notice and the scans only, an
    ordinary one's carries its processing slip too. The route here stops (routing
    cancels its open tasks on ``document.forwarded``); the document shows 已转办."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    sender_unit_id = _org_unit_of(ctx)
    doc = load_visible(session, ctx, document_id)
    if doc.forwarded_at is not None:
        raise Conflict("document_forwarded", "the document has been forwarded already")
    rules.ensure_changeable(doc.status)
    if not drafts.holds_it(session, ctx, doc):
        raise Forbidden("not_document_holder", "only the holder of the document forwards it")
    rules.check_storable(Secrecy(doc.secrecy))

    book = _Book(session, ctx, identity)
    sender = _sender(book, tenant_id, sender_unit_id)
    targets = _targets(book, req.recipients, sender[1])
    by_name = names([user_id]).get(user_id)
    now = utcnow()
    restricted = doc.is_leader_instruction
    slip = ForwardingSlipOut(
        title=req.title,
        notice=FORWARDING_NOTICE if restricted else None,
        restricted=restricted,
        note=req.note or None,
        from_tenant_name=sender[0].name,
        from_unit_name=sender[1].name,
        forwarded_by_name=by_name,
        forwarded_at=now,
        opinions=[] if restricted else _slip_opinions(session, doc),
    )
    slip_data = slip.model_dump(mode="json")
    files = _file_refs(session, doc)
    source_org = source_org_of(sender[0].name, book.chain(sender[1]))
    doc_id = doc.id
    try:
        lock_chains(session, [tenant_id, *(t.id for t, _ in targets)])
        doc = load_visible(session, ctx, doc_id)
        session.refresh(doc, with_for_update=True)
        if doc.forwarded_at is not None:
            raise Conflict("document_forwarded", "the document has been forwarded already")
        deliveries = _deliver(
            session,
            ctx,
            doc,
            targets,
            sender=sender,
            source_org=source_org,
            sent_by_name=by_name,
            now=now,
            note=req.note,
            title=req.title,
            files=files,
            forwarding_slip=slip_data,
        )
        sent = [d.model_dump(mode="json") for d in deliveries]
        doc.forwarded_at = now
        doc.forwarded_to = [
            {
                "tenant_name": d.tenant_name,
                "unit_name": d.unit_name,
                "inbox_item_id": str(d.inbox_item_id),
            }
            for d in deliveries
        ]
        doc.updated_at = now
        record(
            session,
            ctx,
            tenant_id=tenant_id,
            document_id=doc.id,
            action="document.forward",
            after={
                "restricted": restricted,
                "title": req.title,
                "notice": slip.notice,
                "note": req.note or None,
                "deliveries": sent,
                "files": len(files),
                "slip_opinions": len(slip.opinions),
            },
            occurred_at=now,
        )
        emit(
            session,
            EVENTS,
            "document.forwarded",
            {
                "document_id": str(doc.id),
                "forwarded_by": str(user_id),
                "forwarded_at": now.isoformat(),
                "restricted": restricted,
                "deliveries": sent,
            },
            tenant_id=tenant_id,
            ctx=ctx,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        scope_session(session, tenant_id=tenant_id)
    return ForwardOut(
        document_id=doc_id,
        forwarded_at=now,
        restricted=restricted,
        slip=slip,
        deliveries=deliveries,
    )


# -- the inbox -----------------------------------------------------------------------------------------


def inbox_item_not_found() -> NotFound:
    return NotFound("inbox_item_not_found", "no such item in your registry's inbox")


def _load_item(
    session: Session, ctx: CallContext, item_id: uuid.UUID, *, for_update: bool = False
) -> InboxItem:
    """An item of the caller's tenant addressed to the caller's unit (else not found)."""
    tenant_id = ctx.require_tenant()
    item = queries.inbox_item(session, tenant_id, item_id, for_update=for_update)
    if item is None or item.recipient_unit_id != ctx.org_unit_id:
        raise inbox_item_not_found()
    return item


def _inbox_reader(ctx: CallContext) -> uuid.UUID:
    ctx.require_tenant()
    ctx.require_user()
    rules.require_registrar(ctx.roles)
    return _org_unit_of(ctx)


def list_inbox(
    session: Session, ctx: CallContext, identity: IdentityDirectory | None, query: InboxQuery
) -> InboxPage:
    """收文箱 of the caller's registry: what was sent to it, newest first."""
    unit_id = _inbox_reader(ctx)
    tenant_id = ctx.require_tenant()
    if identity is not None and queries.directory_tenant(session, tenant_id=tenant_id) is None:
        try:  # make this tenant addressable (onboarded before documents kept the book)
            refresh_own_tenant(session, identity)
            session.commit()
        except Exception:  # the inbox is shown all the same
            session.rollback()
            log.warning("could not fill the address book of tenant %s", tenant_id, exc_info=True)
    rows, total = queries.inbox_of(
        session,
        tenant_id,
        unit_id,
        status=query.status.value if query.status else None,
        limit=query.limit,
        offset=query.offset,
    )
    return InboxPage(
        items=[inbox_item_out(r) for r in rows], total=total, limit=query.limit, offset=query.offset
    )


def get_inbox_item(session: Session, ctx: CallContext, item_id: uuid.UUID) -> InboxItemOut:
    _inbox_reader(ctx)
    return inbox_item_out(_load_item(session, ctx, item_id))


def _check_pending(item: InboxItem) -> None:
    if item.status == InboxStatus.signed.value:
        raise Conflict("already_signed", "the document was signed for already")
    if item.status == InboxStatus.refused.value:
        raise Conflict("already_refused", "the document was refused")


def _copy_scan(store: ScanStore, ref: Mapping[str, Any], key: str) -> None:
    """Copy one sent scan (server side) to ``key`` and check what arrived."""
    try:
        store.client.copy_object(store.bucket, key, CopySource(ref["bucket"], ref["object_key"]))
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            raise Conflict("scan_missing", f"{ref['filename']}: the sent scan is gone") from None
        raise
    try:
        digest = storage.digest_object(store.client, store.bucket, key, max_bytes=int(ref["size"]))
    except InvalidInput:  # larger than what was sent
        digest = None
    if digest is None or (digest.size, digest.sha256) != (int(ref["size"]), ref["sha256"]):
        raise Conflict("scan_mismatch", f"{ref['filename']}: the copy is not what was sent")


def sign_item(
    session: Session,
    ctx: CallContext,
    store: ScanStore,
    item_id: uuid.UUID,
    signer_name: str | None = None,
) -> DocumentOut:
    """签收: the item becomes a registered incoming document of the caller's registry."""
    unit_id = _inbox_reader(ctx)
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    item = _load_item(session, ctx, item_id)
    _check_pending(item)
    refs = [dict(f) for f in item.files or []]
    session.rollback()  # no transaction stays open while the scans are copied

    document_id = uuid.uuid4()
    planned = [(uuid.uuid4(), ref) for ref in refs]
    copied: list[str] = []
    try:
        for file_id, ref in planned:
            key = storage.final_key(tenant_id, document_id, file_id)
            copied.append(key)
            _copy_scan(store, ref, key)
        item = _load_item(session, ctx, item_id, for_update=True)
        _check_pending(item)  # the other of two registrars signing at once stops here
        now = utcnow()
        req = DocumentRegister.model_validate(
            {
                "title": item.title,
                "source_org": item.source_org,
                "doc_number": item.doc_number,
                "received_date": item.received_date,
                "urgency": item.urgency,
                "secrecy": item.secrecy,
                "page_count": item.page_count,
                "note": item.note,
            }
        )
        doc = new_document(tenant_id, req, registry_unit_id=unit_id, registered_by=user_id, now=now)
        doc.id = document_id
        if item.forwarding_slip:
            doc.forwarding_slip = dict(item.forwarding_slip)
            # 限制转办: the receiver keeps it within a scope too
            doc.is_leader_instruction = bool(item.forwarding_slip.get("restricted"))
        session.add(doc)
        session.flush()
        rows = [
            DocumentFile(
                id=file_id,
                tenant_id=tenant_id,
                document_id=document_id,
                upload_id=uuid.uuid4(),
                filename=ref["filename"],
                content_type=ref["content_type"],
                size=int(ref["size"]),
                sha256=ref["sha256"],
                bucket=store.bucket,
                object_key=storage.final_key(tenant_id, document_id, file_id),
                uploaded_by=user_id,
                uploaded_at=now,
            )
            for file_id, ref in planned
        ]
        session.add_all(rows)
        item.status = InboxStatus.signed.value
        item.signed_by = user_id
        item.signed_by_name = signer_name  # for the sender's receipts (another tenant)
        item.signed_at = now
        item.document_id = document_id
        session.flush()
        _record_signed(session, ctx, item, doc, rows, now)
        announce_registered(session, ctx, doc)
        session.commit()
    except BaseException:
        session.rollback()
        for key in copied:
            storage.remove_quietly(store.client, store.bucket, key)
        raise
    return document_out(doc, rows)


def _record_signed(
    session: Session,
    ctx: CallContext,
    item: InboxItem,
    doc: Document,
    rows: Sequence[DocumentFile],
    now: dt.datetime,
) -> None:
    sender = {
        "tenant_code": item.sender_tenant_code,
        "tenant_name": item.sender_tenant_name,
        "unit_name": item.sender_unit_name,
        "sent_at": item.sent_at,
    }
    record(
        session,
        ctx,
        tenant_id=doc.tenant_id,
        document_id=doc.id,
        action="document.sign_for",
        after={
            **document_snapshot(doc),
            "inbox_item_id": item.id,
            "sender": sender,
            "files": [file_snapshot(r) for r in rows],
        },
        occurred_at=now,
    )
    append_audit(
        session,
        tenant_id=doc.tenant_id,
        action="inbox.item_signed",
        target_type=INBOX_TARGET,
        target_id=item.id,
        before={"status": InboxStatus.pending.value},
        after={"status": item.status, "document_id": doc.id, "signed_by": item.signed_by},
        ctx=ctx,
        occurred_at=now,
    )
    emit(
        session,
        EVENTS,
        "inbox.item_signed",
        {
            "inbox_item_id": str(item.id),
            "document_id": str(doc.id),
            "signed_by": str(item.signed_by),
            "sender_tenant_id": str(item.sender_tenant_id),
        },
        tenant_id=doc.tenant_id,
        ctx=ctx,
    )


def refuse_item(
    session: Session,
    ctx: CallContext,
    item_id: uuid.UUID,
    req: InboxRefusal,
    refuser_name: str | None = None,
) -> InboxItemOut:
    """拒收 / 退回: the registry does not take the document; both trails record why."""
    _inbox_reader(ctx)
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    item = _load_item(session, ctx, item_id, for_update=True)
    _check_pending(item)
    now = utcnow()
    item.status = InboxStatus.refused.value
    item.refused_by = user_id
    item.refused_by_name = refuser_name
    item.refused_at = now
    item.refusal_reason = req.reason
    try:
        session.flush()
        lock_chains(session, [tenant_id, item.sender_tenant_id])
        append_audit(
            session,
            tenant_id=tenant_id,
            action="inbox.item_refused",
            target_type=INBOX_TARGET,
            target_id=item.id,
            before={"status": InboxStatus.pending.value},
            after={"status": item.status, "reason": req.reason, "refused_by": user_id},
            ctx=ctx,
            occurred_at=now,
        )
        emit(
            session,
            EVENTS,
            "inbox.item_refused",
            {
                "inbox_item_id": str(item.id),
                "refused_by": str(user_id),
                "reason": req.reason,
                "sender_tenant_id": str(item.sender_tenant_id),
                "source_document_id": str(item.source_document_id),
            },
            tenant_id=tenant_id,
            ctx=ctx,
        )
        # the sender's document shows the refusal in its trace (the sender's tenant)
        scope_session(session, tenant_id=item.sender_tenant_id)
        record(
            session,
            ctx,
            tenant_id=item.sender_tenant_id,
            document_id=item.source_document_id,
            action="document.send_refused",
            after={
                "inbox_item_id": item.id,
                "tenant_id": tenant_id,
                "unit_id": item.recipient_unit_id,
                "reason": req.reason,
            },
            occurred_at=now,
        )
        scope_session(session, tenant_id=tenant_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        scope_session(session, tenant_id=tenant_id)
    return inbox_item_out(item)
