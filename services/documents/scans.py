"""Scans of a document (扫描件): attaching a staged upload, and downloading.

The gateway streams an upload into ``staging/<tenant>/<upload id>`` and reports
its size, SHA-256 and type. Attaching trusts none of it: the staged object is
read back in a stream, its size and SHA-256 recomputed and its type sniffed
again; then it is copied (server side) to the document's id-derived key, the
row, the trail entry and the event are committed together, and the staging
object is removed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.events import emit
from services.common.vocabulary import utcnow
from services.documents import drafts, queries, rules, storage
from services.documents.events import EVENTS
from services.documents.models import DocumentFile
from services.documents.registry import document_not_found, load_visible
from services.documents.schemas import FileAttach, FileDownload, FileOut
from services.documents.trail import record
from services.documents.views import file_out, file_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanStore:
    """The object store and bucket the scans live in."""

    client: Any  # minio.Minio
    bucket: str


def _already_attached() -> Conflict:
    return Conflict("already_attached", "this upload is attached already")


#: which types each kind of file may be, and how a refusal says so
ROLE_TYPES = {
    "scan": (storage.ALLOWED_TYPES, "scans must be PDF, OFD, JPEG, PNG or TIFF files"),
    "body": (storage.BODY_TYPES, "the body (正文) must be a DOCX, PDF or OFD file"),
    "attachment": (
        storage.ATTACHMENT_TYPES,
        "attachments must be DOCX, PDF, OFD, JPEG, PNG or TIFF files",
    ),
}


def _check_staged(
    store: ScanStore, key: str, req: FileAttach, max_bytes: int, role: str = "scan"
) -> str:
    """Re-read the staged upload; return its sniffed type, or refuse (and remove it)."""
    try:
        digest = storage.digest_object(store.client, store.bucket, key, max_bytes=max_bytes)
    except InvalidInput:
        storage.remove_quietly(store.client, store.bucket, key)
        raise
    if digest.size != req.size or digest.sha256 != req.sha256:
        storage.remove_quietly(store.client, store.bucket, key)
        raise InvalidInput(
            "checksum_mismatch", "the stored upload does not match its size and SHA-256"
        )
    allowed, refusal = ROLE_TYPES[role]
    if digest.content_type not in allowed:
        storage.remove_quietly(store.client, store.bucket, key)
        raise InvalidInput("file_type_not_allowed", refusal)
    return digest.content_type


def attach_file(
    session: Session,
    ctx: CallContext,
    store: ScanStore,
    document_id: uuid.UUID,
    req: FileAttach,
    *,
    max_bytes: int | None = None,
    role: str = "scan",
) -> FileOut:
    """Attach a staged upload: a scan (registrar), or an outgoing document's body (正文,
    a new version each time) or attachment (附件) — by its drafter or holder."""
    tenant_id = ctx.require_tenant()
    user_id = ctx.require_user()
    if role not in ROLE_TYPES:
        raise InvalidInput("bad_file_role", "a file is a scan, a body or an attachment")
    if role == "scan":
        rules.require_registrar(ctx.roles)
        doc = queries.document(session, tenant_id, document_id)
    else:
        doc = load_visible(session, ctx, document_id)
        drafts.check_locked_editable(session, ctx, doc)
    if doc is None:
        raise document_not_found()
    rules.ensure_changeable(doc.status)
    upload_id = storage.parse_staging_key(req.staging_key, tenant_id)
    if queries.file_by_upload(session, tenant_id, upload_id) is not None:
        raise _already_attached()
    session.rollback()  # no transaction stays open while the object is read and copied

    limit = storage.max_upload_bytes() if max_bytes is None else max_bytes
    content_type = _check_staged(store, req.staging_key, req, limit, role)

    file_id = uuid.uuid4()
    key = storage.final_key(tenant_id, document_id, file_id)
    storage.copy_within(store.client, store.bucket, req.staging_key, key)
    try:
        doc = queries.document(session, tenant_id, document_id, for_update=True)
        if doc is None:
            raise document_not_found()
        rules.ensure_changeable(doc.status)
        if role != "scan":
            drafts.check_locked_editable(session, ctx, doc)
        now = utcnow()
        row = DocumentFile(
            id=file_id,
            tenant_id=tenant_id,
            document_id=document_id,
            upload_id=upload_id,
            filename=req.filename,
            content_type=content_type,
            size=req.size,
            sha256=req.sha256,
            bucket=store.bucket,
            object_key=key,
            uploaded_by=user_id,
            uploaded_at=now,
            role=role,
            version=drafts.next_body_version(session, doc) if role == "body" else None,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise _already_attached() from None
        doc.updated_at = now
        snapshot = file_snapshot(row)
        record(
            session,
            ctx,
            tenant_id=tenant_id,
            document_id=document_id,
            action="document.attach_file" if role == "scan" else f"outgoing.attach_{role}",
            after=snapshot,
            occurred_at=now,
        )
        emit(
            session,
            EVENTS,
            "document.file_attached",
            {
                "document_id": str(document_id),
                "file_id": str(file_id),
                "filename": row.filename,
                "content_type": row.content_type,
                "size": row.size,
                "sha256": row.sha256,
            },
            tenant_id=tenant_id,
            ctx=ctx,
        )
        session.commit()
    except BaseException:
        session.rollback()
        storage.remove_quietly(store.client, store.bucket, key)
        raise
    storage.remove_quietly(store.client, store.bucket, req.staging_key)
    return file_out(row)


def file_download(
    session: Session, ctx: CallContext, store: ScanStore, file_id: uuid.UUID, presign: bool
) -> FileDownload:
    """Where a scan is, and with ``presign`` a link valid for five minutes."""
    tenant_id = ctx.require_tenant()
    ctx.require_user()
    row = queries.file(session, tenant_id, file_id)
    if row is None:
        raise NotFound("file_not_found", "no such file")
    try:
        load_visible(session, ctx, row.document_id)
    except NotFound:
        raise NotFound("file_not_found", "no such file") from None
    url: str | None = None
    expires_at: dt.datetime | None = None
    if presign:
        url, expires_at = storage.presigned_download(
            store.client,
            row.bucket,
            row.object_key,
            filename=row.filename,
            content_type=row.content_type,
        )
    return FileDownload(
        file_id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        bucket=row.bucket,
        object_key=row.object_key,
        url=url,
        url_expires_at=expires_at,
    )
