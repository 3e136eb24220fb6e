"""Scans of documents (扫描件): a stream through the gateway, or a short-lived link.

The bucket is never public: the documents service says whether the caller may
see the file's document and where the file is; the gateway then streams it, or
hands out a presigned link valid for five minutes.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response, StreamingResponse

from gateway.deps import AuthCaller, State
from gateway.errors import error_responses
from gateway.objects import content_disposition, storage_unavailable
from gateway.routers import API_PREFIX
from services.documents.schemas import FileDownload

router = APIRouter(prefix=API_PREFIX + "/files", tags=["files"])


class FileLink(BaseModel):
    """A presigned download link of a scan."""

    file_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="GET this address (no token needed) until expires_at")
    expires_at: dt.datetime


def _repr_digest(sha256_hex: str) -> str:
    """``Repr-Digest`` (RFC 9530) of the stored SHA-256."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode() + ":"


@router.get(
    "/{file_id}/content",
    response_class=Response,
    summary="Download a scan (下载扫描件), streamed through the gateway",
    description=(
        "The bytes with their sniffed content type, `Content-Length`, `Repr-Digest` (the "
        "stored SHA-256) and a `Content-Disposition` carrying the display filename "
        "(RFC 5987 `filename*=UTF-8''…` for Chinese names). `inline=true` asks a browser "
        "to show it instead of saving it. A file of a document the caller may not see, or "
        "of another tenant, is 404 `file_not_found`."
    ),
    responses={
        200: {
            "description": "the file",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in (
                    "application/pdf",
                    "application/ofd",
                    "image/jpeg",
                    "image/png",
                    "image/tiff",
                )
            },
        },
        **error_responses(401, 404, 422, 503, 504),
    },
)
async def file_content(
    file_id: uuid.UUID,
    state: State,
    caller: AuthCaller,
    inline: Annotated[bool, Query(description="show in the browser (inline)")] = False,
) -> Response:
    info = FileDownload.model_validate(
        await caller.documents("file_download", file_id=str(file_id), presign=False)
    )
    if state.objects is None:
        raise storage_unavailable("no object store is configured")
    body = await state.objects.open(info.bucket, info.object_key)
    return StreamingResponse(
        body,
        media_type=info.content_type,
        headers={
            "Content-Length": str(info.size),
            "Content-Disposition": content_disposition(info.filename, inline=inline),
            "Repr-Digest": _repr_digest(info.sha256),
            "ETag": f'"{info.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/{file_id}/link",
    response_model=FileLink,
    summary="A short-lived download link (临时下载链接) of a scan, valid for five minutes",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def file_link(file_id: uuid.UUID, caller: AuthCaller) -> Any:
    info = FileDownload.model_validate(
        await caller.documents("file_download", file_id=str(file_id), presign=True)
    )
    if info.url is None or info.url_expires_at is None:
        raise storage_unavailable("the object store gave no link")
    return FileLink(
        file_id=info.file_id,
        filename=info.filename,
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        url=info.url,
        expires_at=info.url_expires_at,
    )
