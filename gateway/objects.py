"""The object store of the scans, as the gateway uses it: streaming uploads into the
staging area, removing staged objects, and streaming an attached scan back.

The documents service owns the scans (it checks a staged upload again, moves it
to its id-derived key and records it); the gateway only moves bytes, so that
no service holds a file: uploads go from the request straight into the store
(:func:`services.documents.storage.astream_to_staging`), downloads from the
store straight into the response. The blocking ``minio`` client runs in worker
threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Protocol
from urllib.parse import quote

from minio import Minio
from minio.error import MinioException, S3Error
from starlette.concurrency import iterate_in_threadpool
from urllib3.exceptions import HTTPError as Urllib3Error

from services.common.errors import GongwenError, NotFound, ServiceUnavailable
from services.common.settings import Settings
from services.documents import storage

log = logging.getLogger("gateway.objects")

#: what the minio client raises when the store refuses or cannot be reached
STORE_ERRORS = (MinioException, Urllib3Error, OSError)


def storage_unavailable(detail: str = "the object store cannot be reached") -> ServiceUnavailable:
    return ServiceUnavailable("storage_unavailable", detail)


class ObjectBody(Protocol):
    """The bytes of a stored object, chunk by chunk; closed at the end or when abandoned."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...


class ScanObjects(Protocol):
    """What the gateway needs of the object store (a fake one in unit tests)."""

    bucket: str

    async def stage(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str, str]:
        """Stream ``chunks`` into ``key``: (size, sha256 hex, sniffed content type)."""
        ...

    async def remove(self, key: str) -> None: ...

    async def open(self, bucket: str, key: str) -> ObjectBody: ...


class MinioObjects:
    """:class:`ScanObjects` on a ``minio`` client (MinIO, moto, any S3 API)."""

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> MinioObjects | None:
        if not settings.minio_endpoint:
            return None
        client = Minio(
            settings.minio_endpoint,
            access_key=settings.minio_access_key,
            secret_key=settings.minio_secret_key,
            secure=settings.minio_secure,
        )
        return cls(client, settings.minio_bucket)

    async def stage(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str, str]:
        try:
            return await storage.astream_to_staging(
                self.client, self.bucket, key, chunks, max_bytes=max_bytes
            )
        except (GongwenError, asyncio.CancelledError):
            raise
        except STORE_ERRORS as exc:  # the store refused or is away
            log.warning("staging %s failed: %r", key, exc)
            raise storage_unavailable() from None

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(storage.remove_quietly, self.client, self.bucket, key)

    async def open(self, bucket: str, key: str) -> ObjectBody:
        try:
            response = await asyncio.to_thread(self.client.get_object, bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                log.error("scan %s/%s is recorded but not in the store", bucket, key)
                raise NotFound("file_content_missing", "the file's content is missing") from None
            raise storage_unavailable() from None
        except STORE_ERRORS:
            raise storage_unavailable() from None
        return _ResponseBody(response)


class _ResponseBody:
    """An S3 GET response read in worker threads; the connection is released at the end,
    also when the client goes away before it."""

    def __init__(self, response: Any) -> None:
        self.response = response

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in iterate_in_threadpool(self.response.stream(storage.READ_CHUNK)):
                yield chunk
        finally:
            with contextlib.suppress(Exception):
                self.response.close()
                self.response.release_conn()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` (RFC 6266 with RFC 5987 encoding).

    The plain ``filename`` is an ASCII stand-in for old clients (characters it
    cannot carry become ``_``); ``filename*`` carries the real name, e.g. a
    Chinese one, percent-encoded UTF-8.
    """
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename
    ).strip()
    stem, dot, suffix = fallback.rpartition(".")
    if not dot:
        stem, suffix = fallback, ""
    if not any(ch.isalnum() for ch in stem):  # nothing readable left, e.g. 扫描件.pdf
        fallback = f"scan.{suffix}" if suffix.isalnum() else "scan"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
