"""Incoming documents (收文): registration, scans, the processing slip, search, the
route, distribution (分办) and circulation (传阅).

The records, scans and slips belong to the documents service, the route and its
tasks to the routing service; the gateway streams scans between the client and
the object store (see :mod:`gateway.objects`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import Field, StringConstraints
from starlette.requests import ClientDisconnect

from gateway.auth import Principal
from gateway.deps import (
    AuthCaller,
    CurrentPrincipal,
    GatewayState,
    Registrar,
    State,
    examples_of,
)
from gateway.errors import PayloadTooLarge, UnsupportedMediaType, error_responses
from gateway.multipart import MultipartReader, Part, boundary_of
from gateway.objects import ScanObjects, UploadBudget, storage_unavailable, within_budget
from gateway.routers import API_PREFIX
from gateway.rpc import Caller
from services.common import objectstore
from services.common.errors import Conflict, InvalidInput
from services.common.text import TEXT_CHECK
from services.common.vocabulary import DocumentStatus, Strict
from services.documents.schemas import (
    DocumentOut,
    DocumentPage,
    DocumentRegister,
    DocumentSearch,
    FileAttach,
    FileOut,
    ForwardOut,
    ForwardRequest,
    ProcessingSlipOut,
    ScopeAddition,
    ScopeOut,
)
from services.routing.schemas import DistributionOut, ReadItemOut, TaskOut

log = logging.getLogger("gateway.documents")

router = APIRouter(prefix=API_PREFIX + "/documents", tags=["documents"])

#: most files in one upload request
MAX_FILES_PER_REQUEST = 20
#: names the file parts of an upload may have
FILE_FIELDS = frozenset({"files", "file"})
#: after refusing an upload, read at most this much more of its body (then the
#: connection is closed), so that a client still sending gets the answer
DRAIN_LIMIT = 4 * 1024 * 1024
#: how long an upload refused for want of a slot is read on (so that its sender gets the 503)
BUSY_DRAIN_SECONDS = 5.0

_EXAMPLE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class DistributionRequest(Strict):
    """分办: the document (from the path) to one lead division and optional assisting ones."""

    lead_unit_id: uuid.UUID = Field(description="主办处室")
    assisting_unit_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="协办处室"
    )
    note: Annotated[str, StringConstraints(max_length=2000), TEXT_CHECK] | None = None


class CirculationRequest(Strict):
    """传阅: people to read the document (from the path)."""

    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    note: Annotated[str, StringConstraints(max_length=500), TEXT_CHECK] | None = None


# -- registration, search, one document -------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=DocumentOut,
    summary="Register a received paper document (收文登记) — registrar",
    description=(
        "Title, source organisation (来文单位), document number (文号), received date, "
        "urgency (`特急`/`加急`/`平件` or extra_urgent/urgent/normal), secrecy (`非密`/`内部`) "
        "and page count. Classified documents (`秘密`, `机密`, `绝密`) are never stored: "
        "422 `classified_refused`. Upload the scans next with `POST /documents/{id}/files`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def register_document(
    body: Annotated[DocumentRegister, Body(openapi_examples=examples_of(DocumentRegister))],
    caller: Registrar,
) -> Any:
    return await caller.documents("register_document", document=body.model_dump(mode="json"))


@router.get(
    "",
    response_model=DocumentPage,
    summary="Search documents (检索) by title words, 文号, source, dates, status, division",
    description=(
        "`q` matches words of the title, Chinese included (e.g. `q=政务数据`); `doc_number` "
        "and `source_org` match part of the document number and the source organisation; "
        "`received_from`/`received_to` bound the received date; `unit_id` finds what was "
        "distributed to that division. The registry, leaders and auditors find every "
        "document of the tenant, anyone else what was sent to their division or to them. "
        "Example: `GET /api/v1/documents?q=政务数据&status=distributed&limit=20`."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def search_documents(query: Annotated[DocumentSearch, Query()], caller: AuthCaller) -> Any:
    return await caller.documents(
        "search_documents", query=query.model_dump(mode="json", exclude_unset=True)
    )


@router.get(
    "/{document_id}",
    response_model=DocumentOut,
    summary="Open a document (公文): metadata and its scans",
    description="A document of another tenant, or one not sent to the caller, is 404.",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_document(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_document", document_id=str(document_id))


@router.get(
    "/{document_id}/slip",
    response_model=ProcessingSlipOut,
    summary="The processing slip (处理笺): every opinion in order, and the full trace (全程留痕)",
    description=(
        "Opinions (拟办意见, 审核意见, 批示, 办理情况, 退回理由, 办结意见) in the order they "
        "were given: who, on whose behalf (代领导批示), when, the text. The trace lists every "
        "action on the document. Both follow the route's events within moments."
    ),
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_slip(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_slip", document_id=str(document_id))


@router.get(
    "/{document_id}/tasks",
    response_model=list[TaskOut],
    summary="The route of a document (流转记录): every task, in the order opened",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def document_tasks(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    # documents says who may see the document; routing has the route
    await caller.documents("get_document", document_id=str(document_id))
    return await caller.routing("document_tasks", document_id=str(document_id))


# -- distribution and circulation ----------------------------------------------------------------


@router.post(
    "/{document_id}/distribute",
    response_model=DistributionOut,
    summary="Distribute (分办) to a lead division (主办) and assisting divisions (协办) — registry",
    description=(
        "Each division gets a 处室签收 task due at 24:00 Asia/Shanghai on the third working "
        "day after the distribution day (the day itself does not count; holidays and "
        "make-up working days follow the official calendar)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def distribute(
    document_id: uuid.UUID,
    body: Annotated[
        DistributionRequest,
        Body(
            openapi_examples={
                "default": {
                    "summary": "one lead and one assisting division",
                    "value": {
                        "lead_unit_id": _EXAMPLE_ID,
                        "assisting_unit_ids": ["9b2e4c1a-0d7f-4f5e-8a51-2b0c7d6e9f10"],
                        "note": "请电子政务处牵头办理",
                    },
                },
                "lead_only": {
                    "summary": "a lead division only",
                    "value": {"lead_unit_id": _EXAMPLE_ID},
                },
            }
        ),
    ],
    caller: Registrar,
) -> Any:
    distribution = {"document_id": str(document_id), **body.model_dump(mode="json")}
    return await caller.routing("distribute", distribution=distribution)


@router.post(
    "/{document_id}/circulate",
    response_model=list[ReadItemOut],
    summary="Circulate for reading (传阅): put the document on people's to-read lists (待阅)",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def circulate(
    document_id: uuid.UUID,
    body: Annotated[
        CirculationRequest,
        Body(
            openapi_examples={
                "default": {
                    "summary": "two readers",
                    "value": {
                        "user_ids": [_EXAMPLE_ID, "9b2e4c1a-0d7f-4f5e-8a51-2b0c7d6e9f10"],
                        "note": "请阅知",
                    },
                }
            }
        ),
    ],
    caller: AuthCaller,
) -> Any:
    circulation = {"document_id": str(document_id), **body.model_dump(mode="json")}
    return await caller.routing("circulate", circulation=circulation)


@router.get(
    "/{document_id}/scope",
    response_model=ScopeOut,
    summary="知悉范围: who may see a leader-instruction document (领导批示件)",
    responses=error_responses(401, 404, 503, 504),
)
async def get_scope(document_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.documents("get_scope", document_id=str(document_id))


@router.post(
    "/{document_id}/scope",
    response_model=ScopeOut,
    summary="Add people to a 领导批示件's scope (the registry or the lead division)",
    description=(
        "Provincial leaders, office leaders and the registry that registered it see it anyway, "
        "and the people "
        "on its route; others only when added here (recorded in the trail). 403 "
        "`not_allowed_to_extend_scope`; 404 `user_not_found`; 409 `not_leader_instruction`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def extend_scope(
    document_id: uuid.UUID,
    body: Annotated[
        ScopeAddition,
        Body(openapi_examples={"default": {"value": {"user_ids": [_EXAMPLE_ID]}}}),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "extend_scope", document_id=str(document_id), addition=body.model_dump(mode="json")
    )


@router.post(
    "/{document_id}/forward",
    response_model=ForwardOut,
    summary="转办: forward the document I hold to other units (限制转办 for a 领导批示件)",
    description=(
        "A forwarding slip (转办笺) goes with the scans to each receiving unit's inbox "
        "(收文箱, this tenant or another); a 领导批示件's carries the fixed notice and nothing "
        "of the processing slip, an ordinary document's carries its slip. The route here "
        "stops: open tasks are cancelled and the document shows 已转办. 403 "
        "`not_document_holder`; 404 `recipient_unit_not_found` (unknown or inactive); 422 "
        "for an empty or over-long title; 409 `document_forwarded` (already)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def forward_document(
    document_id: uuid.UUID,
    body: Annotated[
        ForwardRequest,
        Body(
            openapi_examples={
                "default": {
                    "value": {
                        "title": "关于做好防汛工作的批示件",
                        "recipients": [{"tenant_code": "gz-gy", "unit_id": _EXAMPLE_ID}],
                        "note": "请按领导批示精神办理",
                    }
                }
            }
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "forward_document", document_id=str(document_id), forwarding=body.model_dump(mode="json")
    )


# -- scans -------------------------------------------------------------------------------------------

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "`multipart/form-data` with one part named `files` per scan (the part's filename "
            "is kept for display only). Example: `curl -H 'Authorization: Bearer …' "
            "-F files=@正文.pdf -F files=@附件1.png …/api/v1/documents/{id}/files`."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "PDF, OFD, JPEG, PNG or TIFF scans",
                        }
                    },
                },
            }
        },
    }
}


def _too_large(exc: InvalidInput) -> InvalidInput | PayloadTooLarge:
    if exc.code == "file_too_large":
        return PayloadTooLarge("file_too_large", exc.message)
    return exc


#: the types each kind of file may be, and how a refusal says so
FILE_KINDS: dict[str, tuple[frozenset[str], str]] = {
    "scan": (objectstore.ALLOWED_TYPES, "scans must be PDF, OFD, JPEG, PNG or TIFF files"),
    "body": (objectstore.BODY_TYPES, "the body (正文) must be a DOCX, PDF or OFD file"),
    "attachment": (
        objectstore.ATTACHMENT_TYPES,
        "attachments must be DOCX, PDF, OFD, JPEG, PNG or TIFF files",
    ),
}


async def _stage_part(
    objects: ScanObjects,
    tenant_id: uuid.UUID,
    part: Part,
    staged: list[str],
    limit: int,
    role: str = "scan",
) -> FileAttach:
    """Stream one file part into a fresh staging key (recorded in ``staged``)."""
    key = objectstore.staging_key(tenant_id, uuid.uuid4())
    staged.append(key)  # removed again if anything fails, even half-written
    try:
        size, sha256, content_type = await objects.stage(key, part, max_bytes=limit)
    except InvalidInput as exc:
        raise _too_large(exc) from None
    filename = part.headers.filename or role
    allowed, refusal = FILE_KINDS[role]
    if content_type not in allowed:
        raise InvalidInput("file_type_not_allowed", f"{filename}: {refusal}")
    return FileAttach(
        staging_key=key, filename=filename, size=size, sha256=sha256, content_type=content_type
    )


async def _stage_all(
    objects: ScanObjects,
    tenant_id: uuid.UUID,
    reader: MultipartReader,
    staged: list[str],
    role: str = "scan",
) -> list[FileAttach]:
    limit = objectstore.max_upload_bytes()
    files: list[FileAttach] = []
    while (part := await reader.next_part()) is not None:
        if not part.headers.has_filename or part.headers.name not in FILE_FIELDS:
            raise InvalidInput(
                "unexpected_part", "send only files, each in a part named files with a filename"
            )
        if len(files) >= MAX_FILES_PER_REQUEST:
            raise InvalidInput(
                "too_many_files", f"at most {MAX_FILES_PER_REQUEST} files per request"
            )
        files.append(await _stage_part(objects, tenant_id, part, staged, limit, role))
    if not files:
        raise InvalidInput("no_files", "send at least one file in a part named files")
    return files


async def _attach_all(
    caller: Caller,
    document_id: uuid.UUID,
    files: list[FileAttach],
    staged: list[str],
    role: str = "scan",
) -> list[Any]:
    """Attach the staged files in order (documents checks each again and moves it)."""
    out = []
    for attach in files:
        try:
            out.append(
                await caller.documents(
                    "attach_file",
                    document_id=str(document_id),
                    file=attach.model_dump(),
                    **({} if role == "scan" else {"role": role}),
                )
            )
        except InvalidInput as exc:
            raise _too_large(exc) from None
        staged.remove(attach.staging_key)  # documents moved it
    return out


@router.post(
    "/{document_id}/files",
    status_code=201,
    response_model=list[FileOut],
    summary="Upload scans (扫描件) of a document: one or several files — registrar",
    description=(
        "The files are streamed to the object store as they arrive (never held whole), "
        "their SHA-256 computed on the way and their type sniffed from the bytes (what "
        "the client claims is ignored): PDF, OFD (a package with `OFD.xml`), JPEG, PNG, "
        "TIFF. Each file may be at most `MAX_UPLOAD_BYTES` (default 50 MiB); the "
        "gateway's 1 MiB body limit does not apply here. All files of a request are "
        "checked before any is attached: a refused file leaves nothing attached. "
        "Refusals: 422 `file_type_not_allowed`, 413 `file_too_large`, 422 `empty_file`, "
        "422 `no_files`/`unexpected_part`/`too_many_files`/`bad_multipart`, 415 "
        "`unsupported_media_type` (not multipart/form-data), 409 `document_archived`, "
        "408 `upload_timeout` (nothing sent for `UPLOAD_IDLE_TIMEOUT` seconds, or longer "
        "than `UPLOAD_DEADLINE` in all), 503 `uploads_busy` with `Retry-After` (all "
        "`UPLOAD_SLOTS` uploads of this gateway are in progress: retry later)."
    ),
    responses=error_responses(401, 403, 404, 408, 409, 413, 415, 422, 503, 504),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_files(
    document_id: uuid.UUID,
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    caller: Registrar,
) -> Any:
    return await receive_files(document_id, request, state, principal, caller, "scan")


async def receive_files(
    document_id: uuid.UUID,
    request: Request,
    state: GatewayState,
    principal: Principal,
    caller: Caller,
    role: str,
) -> Any:
    """Stream the files of a multipart upload to staging and attach them: scans, or an
    outgoing document's body (a new version each) or attachments, each checked as its
    kind of file (streamed, hashed, sniffed)."""
    objects = state.objects
    if objects is None:
        raise storage_unavailable("no object store is configured")
    boundary = boundary_of(request.headers.get("content-type"))
    if boundary is None:
        raise UnsupportedMediaType(
            "unsupported_media_type", "send the files as multipart/form-data"
        )
    gate = state.uploads
    assert gate is not None
    budget = gate.try_take()
    if budget is None:
        await _read_on(request, BUSY_DRAIN_SECONDS)
        raise gate.busy()
    try:
        return await _upload(
            document_id, request, objects, boundary, principal, caller, budget, role
        )
    finally:
        gate.give_back()


async def _read_on(request: Request, seconds: float) -> None:
    """Read (and drop) a little more of a refused body, so that its sender, still
    sending, gets the answer (a connection closed with unread data is reset)."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(seconds):
            seen = 0
            async for chunk in request.stream():
                seen += len(chunk)
                if seen > DRAIN_LIMIT:
                    return


async def _upload(
    document_id: uuid.UUID,
    request: Request,
    objects: ScanObjects,
    boundary: bytes,
    principal: Principal,
    caller: Caller,
    budget: UploadBudget,
    role: str = "scan",
) -> Any:
    # refuse before reading a byte: another tenant's or unknown document, archived
    document = await caller.documents("get_document", document_id=str(document_id))
    if document.get("status") == DocumentStatus.archived.value:
        raise Conflict("document_archived", "the document is archived and cannot be changed")
    if role != "scan":  # an outgoing document's draft: its drafter or holder, until issued
        await caller.documents("check_outgoing_upload", document_id=str(document_id), role=role)
    tenant_id = principal.tenant_id
    assert tenant_id is not None  # a registrar belongs to a tenant

    reader = MultipartReader(within_budget(request.stream(), budget), boundary)
    staged: list[str] = []
    try:
        files = await _stage_all(objects, tenant_id, reader, staged, role)
        return await _attach_all(caller, document_id, files, staged, role)
    except ClientDisconnect:  # the sender went away: nobody to answer, nothing kept
        log.info("upload to document %s abandoned by the client", document_id)
        raise InvalidInput("upload_aborted", "the upload ended before it was complete") from None
    except Exception:
        if not reader.finished:
            with contextlib.suppress(Exception):
                await reader.drain(DRAIN_LIMIT)
        raise
    finally:
        # what was staged but not attached is removed (the bucket's lifecycle rule
        # expires what a crash leaves behind)
        for key in staged:
            await objects.remove(key)
