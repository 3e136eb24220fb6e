"""The audit trail (全程留痕): append-only, hash-chained per tenant.

Every action — who, on whose behalf, what, when, from which address, before and
after — is appended to ``audit_log`` in the same transaction as the change it
records. The rows of each tenant form a chain: a row's ``hash`` is the SHA-256
of the canonical JSON of its fields together with the previous row's hash, so
editing or deleting a row breaks the chain at that point. Rows without a
tenant (``tenant_id`` NULL) form the platform's own chain.

Appends to one chain are serialised with a transaction-scoped advisory lock, so
two transactions never link to the same predecessor. A service declares the
table on its metadata with :func:`audit_table`, creates it in a migration, makes
it append-only (``services.common.migrate.append_only_trigger``) and lists it in
its ``APPEND_ONLY_TABLES``.

The session that appends or verifies must see the chain's rows: scoped to that
tenant (the normal case, row-level security) or, for the platform chain,
bypassing row-level security.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from services.common.context import CLIENT_IP_MAX, REQUEST_ID_MAX, CallContext, stored_text
from services.common.vocabulary import utcnow

GENESIS_HASH = "0" * 64
_LOCK_NAMESPACE = "audit_log:"


def audit_table(metadata: MetaData, name: str = "audit_log") -> Table:
    """Declare the audit table on a service's metadata."""
    return Table(
        name,
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("tenant_id", UUID(as_uuid=True), nullable=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("actor_id", UUID(as_uuid=True), nullable=True),
        Column("on_behalf_of", UUID(as_uuid=True), nullable=True),
        Column("action", String(100), nullable=False),
        Column("target_type", String(50), nullable=False),
        Column("target_id", String(100), nullable=True),
        Column("client_ip", String(CLIENT_IP_MAX), nullable=True),
        Column("request_id", String(REQUEST_ID_MAX), nullable=True),
        Column("before", JSONB, nullable=True),
        Column("after", JSONB, nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index(f"ix_{name}_tenant_id_id", "tenant_id", "id"),
    )


# The kernel's own handle on the table (same columns in every service database).
AUDIT_LOG = audit_table(MetaData())

#: The fields that the hash covers, in the order they are listed in the JSON.
HASHED_FIELDS = (
    "id",
    "tenant_id",
    "occurred_at",
    "actor_id",
    "on_behalf_of",
    "action",
    "target_type",
    "target_id",
    "client_ip",
    "request_id",
    "before",
    "after",
)


# -- pure part: canonical form and hash ---------------------------------------------------------


def _canonical_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("audit timestamps must be timezone-aware")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_json(row: Mapping[str, Any]) -> str:
    """The exact text that is hashed: sorted keys, no spaces, UTF-8 kept as is."""
    payload = {key: _canonical_value(row.get(key)) for key in HASHED_FIELDS}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the previous hash and the row's canonical JSON."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(row).encode("utf-8"))
    return digest.hexdigest()


def normalise_snapshot(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A before/after snapshot as JSONB gives it back (plain JSON types only)."""
    if value is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(dict(value), default=str, ensure_ascii=False))
    return loaded


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_id": self.first_broken_id,
            "reason": self.reason,
        }


def check_links(rows: Any) -> ChainReport:
    """Walk rows of one chain in id order; report the first that does not link or hash."""
    prev = GENESIS_HASH
    checked = 0
    for row in rows:
        data = dict(row)
        checked += 1
        if data["prev_hash"] != prev:
            return ChainReport(False, checked, int(data["id"]), "prev_hash_mismatch")
        if compute_hash(data, prev) != data["hash"]:
            return ChainReport(False, checked, int(data["id"]), "hash_mismatch")
        prev = data["hash"]
    return ChainReport(True, checked)


# -- database part ---------------------------------------------------------------------------------


def _chain_lock(session: Session, tenant_id: uuid.UUID | None) -> None:
    key = _LOCK_NAMESPACE + (str(tenant_id) if tenant_id else "platform")
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


def _chain_filter(tenant_id: uuid.UUID | None) -> Any:
    col = AUDIT_LOG.c.tenant_id
    return col.is_(None) if tenant_id is None else col == tenant_id


@dataclass(frozen=True)
class AuditRecord:
    id: int
    hash: str


def append_audit(
    session: Session,
    *,
    tenant_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: Any = None,
    actor_id: uuid.UUID | None = None,
    on_behalf_of: uuid.UUID | None = None,
    client_ip: str | None = None,
    request_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ctx: CallContext | None = None,
    occurred_at: dt.datetime | None = None,
) -> AuditRecord:
    """Append one row to the tenant's chain inside the caller's transaction.

    ``ctx`` fills ``actor_id``, ``client_ip`` and ``request_id`` where they are not given.
    """
    if ctx is not None:
        actor_id = actor_id if actor_id is not None else ctx.user_id
        client_ip = client_ip if client_ip is not None else ctx.client_ip
        request_id = request_id if request_id is not None else ctx.request_id
    # what the columns hold, whatever the caller passed (e.g. an event's request id)
    client_ip = stored_text(client_ip, CLIENT_IP_MAX)
    request_id = stored_text(request_id, REQUEST_ID_MAX)
    _chain_lock(session, tenant_id)
    prev_hash = session.execute(
        select(AUDIT_LOG.c.hash)
        .where(_chain_filter(tenant_id))
        .order_by(AUDIT_LOG.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    prev_hash = prev_hash or GENESIS_HASH
    row_id = session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"), {"t": AUDIT_LOG.name}
    ).scalar_one()
    row: dict[str, Any] = {
        "id": int(row_id),
        "tenant_id": tenant_id,
        "occurred_at": (occurred_at or utcnow()).astimezone(dt.UTC),
        "actor_id": actor_id,
        "on_behalf_of": on_behalf_of,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "client_ip": client_ip,
        "request_id": request_id,
        "before": normalise_snapshot(before),
        "after": normalise_snapshot(after),
    }
    row_hash = compute_hash(row, prev_hash)
    session.execute(insert(AUDIT_LOG).values(**row, prev_hash=prev_hash, hash=row_hash))
    return AuditRecord(id=row["id"], hash=row_hash)


def verify_chain(session: Session, tenant_id: uuid.UUID | None) -> ChainReport:
    """Recompute the chain of one tenant (None: the platform chain) from its first row."""
    result = session.execute(
        select(AUDIT_LOG).where(_chain_filter(tenant_id)).order_by(AUDIT_LOG.c.id),
        execution_options={"yield_per": 500},
    )
    return check_links(result.mappings())


def _entry_filters(
    tenant_id: uuid.UUID | None,
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    target_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Any]:
    """The chain's rows, narrowed: ``action`` by prefix (``task.`` finds every task
    action), by actor (who acted or on whose behalf), by target, by time (since ≤ t < until)."""
    where: list[Any] = [_chain_filter(tenant_id)]
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(AUDIT_LOG.c.action.like(escaped + "%", escape="\\"))
    if actor_id is not None:
        where.append(or_(AUDIT_LOG.c.actor_id == actor_id, AUDIT_LOG.c.on_behalf_of == actor_id))
    if target_id:
        where.append(AUDIT_LOG.c.target_id == target_id)
    if since is not None:
        where.append(AUDIT_LOG.c.occurred_at >= since)
    if until is not None:
        where.append(AUDIT_LOG.c.occurred_at < until)
    return where


def count_entries(session: Session, tenant_id: uuid.UUID | None, **filters: Any) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(AUDIT_LOG).where(*_entry_filters(tenant_id, **filters))
        ).scalar_one()
    )


def list_entries(
    session: Session, tenant_id: uuid.UUID | None, *, limit: int, offset: int, **filters: Any
) -> list[dict[str, Any]]:
    """Newest first (``filters``: see :func:`_entry_filters`)."""
    rows = session.execute(
        select(AUDIT_LOG)
        .where(*_entry_filters(tenant_id, **filters))
        .order_by(AUDIT_LOG.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [dict(r) for r in rows]
