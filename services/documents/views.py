"""Rows → contract models (schemas.py), and the snapshots written to the trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.common.vocabulary import Direction, DocumentStatus, OpinionKind, Urgency
from services.documents.models import Document, DocumentFile, Instruction, Opinion
from services.documents.rules import attribution
from services.documents.schemas import (
    DocumentOut,
    FileOut,
    ForwardedToOut,
    ForwardingSlipOut,
    OpinionOut,
    Secrecy,
    TraceEntryOut,
)


def file_out(row: DocumentFile) -> FileOut:
    return FileOut(
        id=row.id,
        document_id=row.document_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        role=row.role or "scan",
        version=row.version,
    )


def document_out(doc: Document, files: Sequence[DocumentFile] = ()) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        tenant_id=doc.tenant_id,
        direction=Direction(doc.direction or "incoming"),
        title=doc.title,
        source_org=doc.source_org,
        doc_number=doc.doc_number,
        received_date=doc.received_date,
        urgency=Urgency(doc.urgency),
        secrecy=Secrecy(doc.secrecy),
        page_count=doc.page_count,
        note=doc.note,
        status=DocumentStatus(doc.status),
        registry_unit_id=doc.registry_unit_id,
        registered_by=doc.registered_by,
        registered_at=doc.registered_at,
        lead_unit_id=doc.lead_unit_id,
        assisting_unit_ids=list(doc.assisting_unit_ids or []),
        is_leader_instruction=doc.is_leader_instruction,
        overdue=doc.overdue,
        completed_at=doc.completed_at,
        archived_at=doc.archived_at,
        files=[file_out(f) for f in files],
        forwarded_at=doc.forwarded_at,
        forwarded_to=[ForwardedToOut.model_validate(t) for t in doc.forwarded_to or []],
        forwarding_slip=ForwardingSlipOut.model_validate(doc.forwarding_slip)
        if doc.forwarding_slip
        else None,
    )


def opinion_out(row: Opinion, seq: int, instruction: Instruction | None = None) -> OpinionOut:
    """One opinion at place ``seq`` (from 1) of the slip; an instruction with its number
    and, when a secretary entered it, who did (代录)."""
    proxy = row.on_behalf_of_id is not None and row.on_behalf_of_id != row.author_id
    return OpinionOut(
        id=row.id,
        seq=seq,
        kind=OpinionKind(row.kind),
        text=row.text,
        author_id=row.author_id,
        # a name identity could not give when the opinion was written shows as the id
        author_name=row.author_name or str(row.author_id),
        on_behalf_of_id=row.on_behalf_of_id,
        on_behalf_of_name=(
            row.on_behalf_of_name or (str(row.on_behalf_of_id) if row.on_behalf_of_id else None)
        ),
        org_unit_id=row.org_unit_id,
        step=row.step,
        created_at=row.created_at,
        instruction_id=instruction.id if instruction else None,
        instruction_number=instruction.number if instruction else None,
        attribution=attribution(row.author_name or str(row.author_id), proxy)
        if row.kind == "instruction"
        else None,
    )


def trace_out(rows: Sequence[dict[str, Any]]) -> list[TraceEntryOut]:
    out = []
    for seq, row in enumerate(rows, start=1):
        detail = row["after"]
        if row["before"] is not None:
            detail = {"before": row["before"], "after": row["after"]}
        out.append(
            TraceEntryOut(
                seq=seq,
                occurred_at=row["occurred_at"],
                action=row["action"],
                actor_id=row["actor_id"],
                on_behalf_of=row["on_behalf_of"],
                detail=detail,
            )
        )
    return out


def document_snapshot(doc: Document) -> dict[str, Any]:
    """What the trail records of a registered document (made plain JSON by the trail)."""
    fields = (
        "id",
        "title",
        "source_org",
        "doc_number",
        "received_date",
        "urgency",
        "secrecy",
        "page_count",
        "note",
        "status",
        "registry_unit_id",
        "registered_by",
    )
    return {name: getattr(doc, name) for name in fields}


def file_snapshot(row: DocumentFile) -> dict[str, Any]:
    fields = ("id", "filename", "content_type", "size", "sha256", "object_key", "uploaded_by")
    return {("file_id" if n == "id" else n): getattr(row, n) for n in fields}
