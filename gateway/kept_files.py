"""Files the gateway keeps for a service that has no object store of its own (a notice's
attachments, a ledger progress update's): uploaded like scans — streamed to staging,
hashed and sniffed — then copied under the owner's key prefix and recorded by the
service; and streamed back to whoever the service says may have them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from gateway.deps import GatewayState
from gateway.errors import UnsupportedMediaType
from gateway.multipart import MultipartReader, boundary_of
from gateway.objects import content_disposition, storage_unavailable, within_budget
from gateway.routers.documents import BUSY_DRAIN_SECONDS, DRAIN_LIMIT, _read_on, _stage_all
from services.common.errors import InvalidInput


async def keep_uploads(
    request: Request,
    state: GatewayState,
    tenant_id: uuid.UUID,
    *,
    check: Callable[[], Awaitable[Any]],
    prefix: str,
    record: Callable[[list[dict[str, Any]]], Awaitable[Any]],
) -> Any:
    """``check`` (the service refuses before a byte is read), stage every file, copy each
    to ``prefix/<file id>``, ``record`` them (the service's answer is returned). Staged
    objects are always removed, copies too unless the service recorded them."""
    objects = state.objects
    if objects is None:
        raise storage_unavailable("no object store is configured")
    boundary = boundary_of(request.headers.get("content-type"))
    if boundary is None:
        raise UnsupportedMediaType(
            "unsupported_media_type", "send the files as multipart/form-data"
        )
    await check()
    gate = state.uploads
    assert gate is not None
    budget = gate.try_take()
    if budget is None:
        await _read_on(request, BUSY_DRAIN_SECONDS)
        raise gate.busy()
    reader = MultipartReader(within_budget(request.stream(), budget), boundary)
    staged: list[str] = []
    kept: list[str] = []
    try:
        files = await _stage_all(objects, tenant_id, reader, staged, "attachment")
        records = []
        for f in files:
            file_id = uuid.uuid4()
            key = f"{prefix}/{file_id}"
            await objects.copy(f.staging_key, key)
            kept.append(key)
            records.append(
                {
                    "id": str(file_id),
                    "object_key": key,
                    "filename": f.filename,
                    "size": f.size,
                    "sha256": f.sha256,
                    "content_type": f.content_type,
                }
            )
        out = await record(records)
        kept.clear()  # recorded: kept for good
        return out
    except ClientDisconnect:
        raise InvalidInput("upload_aborted", "the upload ended before it was complete") from None
    except Exception:
        if not reader.finished:
            with contextlib.suppress(Exception):
                await reader.drain(DRAIN_LIMIT)
        raise
    finally:
        gate.give_back()
        for key in staged + kept:  # staging always; copies nobody recorded
            await objects.remove(key)


async def stream_kept(state: GatewayState, info: Any) -> StreamingResponse:
    """A kept file (``info``: bucket, object_key, filename, content_type, size, sha256)."""
    if state.objects is None:
        raise storage_unavailable("no object store is configured")
    body = await state.objects.open(info.bucket, info.object_key)
    return StreamingResponse(
        body,
        media_type=info.content_type,
        headers={
            "Content-Length": str(info.size),
            "Content-Disposition": content_disposition(info.filename),
            "ETag": f'"{info.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
