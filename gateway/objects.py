"""The object store of the scans, as the gateway uses it: streaming uploads into the
staging area, removing staged objects, and streaming an attached scan back.

The documents service owns the scans (it checks a staged upload again, moves it
to its id-derived key and records it); the gateway only moves bytes, so that
no service holds a file: uploads go from the request straight into the store,
downloads from the store straight into the response. The blocking ``minio``
client runs in worker threads.

Uploads have threads of their own (:class:`UploadGate`): at most
``UPLOAD_SLOTS`` at once per process, each with one thread of a dedicated pool
that writes the S3 multipart upload while the event loop reads the request and
hands the chunks over through a bounded queue (:func:`stage_in_pool`). Nothing
of an upload waits for a second thread, and downloads (the event loop's default
executor) never wait behind uploads. When every slot is taken the upload is
refused at once with 503 ``uploads_busy`` and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from collections.abc import AsyncIterable, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from minio import Minio
from minio.commonconfig import CopySource
from minio.error import MinioException, S3Error
from starlette.concurrency import iterate_in_threadpool
from urllib3.exceptions import HTTPError as Urllib3Error

from gateway.errors import RequestTimeout, ServiceBusy
from gateway.metrics import UPLOADS_IN_PROGRESS, UPLOADS_REFUSED
from services.common import objectstore
from services.common.errors import GongwenError, NotFound, ServiceUnavailable
from services.common.settings import Settings

log = logging.getLogger("gateway.objects")

#: what the minio client raises when the store refuses or cannot be reached
STORE_ERRORS = (MinioException, Urllib3Error, OSError)
#: chunks of one upload waiting for its writer thread (64 KiB-ish each)
HANDOFF_CHUNKS = 8


def storage_unavailable(detail: str = "the object store cannot be reached") -> ServiceUnavailable:
    return ServiceUnavailable("storage_unavailable", detail)


def upload_timeout(detail: str) -> RequestTimeout:
    return RequestTimeout("upload_timeout", detail)


# -- upload slots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadBudget:
    """The time an upload may take: an overall deadline (``time.monotonic()``) and the
    longest wait for the next chunk of the request."""

    deadline: float
    idle_timeout: float


class UploadGate:
    """At most ``slots`` uploads at once, each with a thread of a pool of its own."""

    def __init__(
        self, slots: int, *, deadline: float, idle_timeout: float, retry_after: int = 5
    ) -> None:
        self.slots = slots
        self.deadline = deadline
        self.idle_timeout = idle_timeout
        self.retry_after = retry_after
        self.in_use = 0
        # one writer thread per slot, and as many again for removing staged objects
        # (a removal runs after its upload's writer finished, so this is never short)
        self.executor = ThreadPoolExecutor(max_workers=2 * slots, thread_name_prefix="upload")

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadGate:
        return cls(
            settings.upload_slots,
            deadline=settings.upload_deadline,
            idle_timeout=settings.upload_idle_timeout,
            retry_after=settings.upload_retry_after,
        )

    def busy(self) -> ServiceBusy:
        return ServiceBusy(
            "uploads_busy",
            f"all {self.slots} upload slots of this gateway are taken; retry in a few seconds",
            retry_after=self.retry_after,
        )

    def try_take(self) -> UploadBudget | None:
        """A slot (with its time budget), or None when all are taken; never waits."""
        if self.in_use >= self.slots:
            UPLOADS_REFUSED.inc()
            return None
        self.in_use += 1
        UPLOADS_IN_PROGRESS.inc()
        return UploadBudget(time.monotonic() + self.deadline, self.idle_timeout)

    def give_back(self) -> None:
        self.in_use -= 1
        UPLOADS_IN_PROGRESS.dec()

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def within_budget(body: AsyncIterable[bytes], budget: UploadBudget) -> AsyncIterator[bytes]:
    """The chunks of a request body, refused (408 ``upload_timeout``) when the next one
    takes longer than the idle timeout or the upload goes past its deadline."""
    chunks = body.__aiter__()
    while True:
        remaining = budget.deadline - time.monotonic()
        if remaining <= 0:
            raise upload_timeout("the upload took longer than the time allowed for one upload")
        wait = min(budget.idle_timeout, remaining)
        try:
            async with asyncio.timeout(wait):
                chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            if wait < budget.idle_timeout:
                raise upload_timeout(
                    "the upload took longer than the time allowed for one upload"
                ) from None
            raise upload_timeout(
                f"no data came for {budget.idle_timeout:g} seconds in the middle of the upload"
            ) from None
        yield chunk


# -- the hand-off between the event loop and an upload's writer thread ----------------------------

_END = object()


async def _room(room: asyncio.Semaphore, upload: asyncio.Future[Any], timeout: float) -> bool:
    """Wait for a free place in the hand-off queue: True when there is one, False when
    the writer stopped (its result tells why); 503 when the store takes nothing."""
    if not room.locked():
        await room.acquire()  # free: returns at once
        return True
    waiter = asyncio.ensure_future(room.acquire())
    done, _ = await asyncio.wait({waiter, upload}, timeout=timeout, return_when="FIRST_COMPLETED")
    if waiter in done:
        return True
    waiter.cancel()
    if upload.done():
        return False
    raise storage_unavailable(f"the object store took nothing for {timeout:g} seconds")


async def stage_in_pool(
    executor: ThreadPoolExecutor,
    client: Minio,
    bucket: str,
    key: str,
    chunks: AsyncIterable[bytes],
    *,
    max_bytes: int,
    idle_timeout: float,
) -> tuple[int, str, str]:
    """Stream ``chunks`` into ``key`` with one thread of ``executor``:
    ``(size, sha256 hex, sniffed type)`` (see :func:`objectstore.stream_to_staging`).

    The event loop puts the chunks into a queue the writer thread takes them from;
    at most :data:`HANDOFF_CHUNKS` wait there (a slow store slows the reading of the
    request instead of filling memory), and waiting for room is an asyncio wait,
    never a second thread. If the writer stops early (too large), the rest of
    ``chunks`` is not read; if reading ``chunks`` fails, the writer is told, the
    upload is abandoned and nothing is left in the store.
    """
    loop = asyncio.get_running_loop()
    handoff: queue.SimpleQueue[Any] = queue.SimpleQueue()
    room = asyncio.Semaphore(HANDOFF_CHUNKS)

    def took_one() -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed (shutdown)
            loop.call_soon_threadsafe(room.release)

    def pending() -> Any:
        while True:
            try:  # the event loop sends a chunk, the end or an abort within its timeouts
                item = handoff.get(timeout=2 * idle_timeout + 5)
            except queue.Empty:
                raise objectstore.UploadAborted("the upload stalled") from None
            took_one()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise objectstore.UploadAborted("the upload was abandoned") from item
            yield item

    def write() -> tuple[int, str, str]:
        return objectstore.stream_to_staging(client, bucket, key, pending(), max_bytes=max_bytes)

    upload = loop.run_in_executor(executor, write)
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if not await _room(room, upload, idle_timeout):
                break  # the writer stopped: awaiting it below raises why
            handoff.put(bytes(chunk))
        else:
            handoff.put(_END)
    except BaseException as exc:
        handoff.put(exc)
        # the writer stops at its next chunk; do not wait longer than that for a stuck store
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(upload), idle_timeout)
        if not upload.done():
            log.warning("the writer of %s did not stop in time", key)
            upload.add_done_callback(lambda f: f.cancelled() or f.exception())
        raise
    return await upload


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

    async def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy within the bucket (a staged upload kept for good)."""
        ...

    async def open(self, bucket: str, key: str) -> ObjectBody: ...


class MinioObjects:
    """:class:`ScanObjects` on a ``minio`` client (MinIO, moto, any S3 API); uploads are
    written by the threads of ``uploads``."""

    def __init__(self, client: Minio, bucket: str, uploads: UploadGate) -> None:
        self.client = client
        self.bucket = bucket
        self.uploads = uploads

    @classmethod
    def from_settings(cls, settings: Settings, uploads: UploadGate) -> MinioObjects | None:
        if not settings.minio_endpoint:
            return None
        return cls(objectstore.make_client(settings), objectstore.bucket_name(settings), uploads)

    async def stage(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str, str]:
        try:
            return await stage_in_pool(
                self.uploads.executor,
                self.client,
                self.bucket,
                key,
                chunks,
                max_bytes=max_bytes,
                idle_timeout=self.uploads.idle_timeout,
            )
        except (GongwenError, asyncio.CancelledError):
            raise
        except STORE_ERRORS as exc:  # the store refused or is away
            log.warning("staging %s failed: %r", key, exc)
            raise storage_unavailable() from None

    async def remove(self, key: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self.uploads.executor, objectstore.remove_quietly, self.client, self.bucket, key
        )

    async def copy(self, source_key: str, target_key: str) -> None:
        def run() -> None:
            self.client.copy_object(self.bucket, target_key, CopySource(self.bucket, source_key))

        try:
            await asyncio.get_running_loop().run_in_executor(self.uploads.executor, run)
        except STORE_ERRORS as exc:
            log.warning("copying %s failed: %r", source_key, exc)
            raise storage_unavailable() from None

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
            async for chunk in iterate_in_threadpool(self.response.stream(objectstore.READ_CHUNK)):
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
