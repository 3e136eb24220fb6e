"""The object store of the scans (MinIO, or any S3 API), as every process uses it:
the client, the bucket, the key scheme, type sniffing and streaming uploads.

The documents service (nameko/eventlet) and the asyncio gateway both import this
module, so it imports neither nameko nor eventlet: only the ``minio`` client,
pydantic settings and the kernel's typed errors. Everything here is blocking;
the gateway runs it on threads of its own (see ``gateway.objects``).

Object keys are derived from ids only, never from a name a user typed:

- ``staging/<tenant_id>/<upload_id>``: where the gateway streams an upload;
- ``documents/<tenant_id>/<document_id>/<file_id>``: where an attached scan lives.

The type of a scan is sniffed from its bytes (what the client claims is ignored):
PDF, JPEG, PNG, TIFF, and OFD (版式文档, GB/T 33190: a ZIP package whose entries
include ``OFD.xml``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import struct
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from functools import lru_cache

import urllib3
from minio import Minio
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.errors import InvalidInput
from services.common.inputs import parse_id
from services.common.settings import Settings, get_settings

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 50 * MiB
#: multipart part size of a streamed upload (S3 needs at least 5 MiB per part)
PART_SIZE = 5 * MiB  # the S3 minimum: one part in memory per upload
#: how long a presigned download link is valid
PRESIGN_TTL = dt.timedelta(minutes=5)
#: read size when streaming an object back
READ_CHUNK = 256 * 1024


class UploadSettings(BaseSettings):
    """Upload limits, from the environment (``MAX_UPLOAD_BYTES``)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)


@lru_cache(maxsize=1)
def get_upload_settings() -> UploadSettings:
    return UploadSettings()


def max_upload_bytes() -> int:
    """The largest scan accepted, in bytes (env ``MAX_UPLOAD_BYTES``, default 50 MiB)."""
    return get_upload_settings().max_upload_bytes


#: the limit as read when this module was imported (see :func:`max_upload_bytes`)
MAX_UPLOAD_BYTES = max_upload_bytes()


# -- keys ------------------------------------------------------------------------------------------

STAGING_PREFIX = "staging"
DOCUMENTS_PREFIX = "documents"


def staging_key(tenant_id: uuid.UUID | str, upload_id: uuid.UUID | str) -> str:
    """Where the gateway streams one upload of a tenant before it is attached."""
    return f"{STAGING_PREFIX}/{parse_id(tenant_id, 'tenant_id')}/{parse_id(upload_id, 'upload_id')}"


def final_key(
    tenant_id: uuid.UUID | str, document_id: uuid.UUID | str, file_id: uuid.UUID | str
) -> str:
    """Where an attached scan of a document lives."""
    return (
        f"{DOCUMENTS_PREFIX}/{parse_id(tenant_id, 'tenant_id')}/"
        f"{parse_id(document_id, 'document_id')}/{parse_id(file_id, 'file_id')}"
    )


def parse_staging_key(key: str, tenant_id: uuid.UUID) -> uuid.UUID:
    """The upload id of a staging key of ``tenant_id``; anything else is refused.

    A key is accepted only in its canonical form, so that a caller cannot name an
    object outside its own tenant's staging area.
    """
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == STAGING_PREFIX:
        try:
            tenant = uuid.UUID(parts[1])
            upload_id = uuid.UUID(parts[2])
        except ValueError:
            pass
        else:
            if tenant == tenant_id and key == staging_key(tenant, upload_id):
                return upload_id
    raise InvalidInput("bad_staging_key", "not a staging key of this tenant")


# -- type sniffing ---------------------------------------------------------------------------------

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
OFD = "application/ofd"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"
UNKNOWN = "application/octet-stream"

ALLOWED_TYPES = frozenset({PDF, JPEG, PNG, TIFF, OFD})
#: the body (正文) of an outgoing document
BODY_TYPES = frozenset({DOCX, PDF, OFD})
#: the attachments (附件) of an outgoing document
ATTACHMENT_TYPES = frozenset({DOCX, PDF, OFD, JPEG, PNG, TIFF})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_ZIP_MAGIC = b"PK\x03\x04"
OFD_ENTRY = "OFD.xml"
DOCX_ENTRY = "word/document.xml"


def is_allowed_type(content_type: str) -> bool:
    return content_type in ALLOWED_TYPES


class _PartialFile(io.RawIOBase):
    """A read-only, seekable view of a file of which only the head and tail are known.

    Enough for :mod:`zipfile` to read the central directory at the end of a
    package; reading a byte that is not known raises ``OSError``.
    """

    def __init__(self, size: int, head: bytes, tail: bytes) -> None:
        super().__init__()
        self.size = size
        self.head = head
        self.tail = tail
        self.tail_start = size - len(tail)
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int | None = -1) -> bytes:
        start = self.pos
        end = self.size if n is None or n < 0 else min(self.size, start + n)
        if end <= start:
            return b""
        if end <= len(self.head):
            data = self.head[start:end]
        elif start >= self.tail_start:
            data = self.tail[start - self.tail_start : end - self.tail_start]
        elif self.tail_start <= len(self.head):  # head and tail meet: the whole file is known
            data = (self.head + self.tail[len(self.head) - self.tail_start :])[start:end]
        else:
            raise OSError("that part of the file was not kept")
        self.pos = end
        return data


def _central_directory_names(size: int, head: bytes, tail: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(_PartialFile(size, head, tail)) as package:  # type: ignore[arg-type]
            return package.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, struct.error):
        return None


def _local_header_names(head: bytes) -> list[str]:
    """Entry names from the local file headers at the start of a ZIP (a fallback)."""
    names: list[str] = []
    offset = 0
    while offset + 30 <= len(head) and head[offset : offset + 4] == _ZIP_MAGIC:
        flags = struct.unpack_from("<H", head, offset + 6)[0]
        compressed = struct.unpack_from("<I", head, offset + 18)[0]
        name_len, extra_len = struct.unpack_from("<HH", head, offset + 26)
        name = head[offset + 30 : offset + 30 + name_len]
        if len(name) < name_len:
            break
        names.append(name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace"))
        if flags & 0x08 and compressed == 0:  # size only in a trailing data descriptor
            break
        offset += 30 + name_len + extra_len + compressed
    return names


def _is_ofd_package(names: Iterable[str]) -> bool:
    return any(name.lstrip("/") == OFD_ENTRY for name in names)


def _is_docx_package(names: Iterable[str]) -> bool:
    """A WordprocessingML package (Office Open XML): its main part is word/document.xml."""
    listed = {name.lstrip("/") for name in names}
    return DOCX_ENTRY in listed and "[Content_Types].xml" in listed


class TypeSniffer:
    """Decides the type of a stream from its bytes, fed chunk by chunk.

    Keeps the first ``HEAD`` bytes and the last ``TAIL`` bytes only (a ZIP's
    central directory is at its end).
    """

    HEAD = 64 * 1024
    TAIL = 1024 * 1024

    def __init__(self) -> None:
        self.size = 0
        self._head = bytearray()
        self._tail = bytearray()

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if len(self._head) < self.HEAD:
            self._head += chunk[: self.HEAD - len(self._head)]
        self._tail += chunk
        if len(self._tail) > self.TAIL:
            del self._tail[: len(self._tail) - self.TAIL]

    def result(self) -> str:
        head = bytes(self._head)
        for magic, content_type in _MAGIC:
            if head.startswith(magic):
                return content_type
        if head.startswith(_ZIP_MAGIC):
            names = _central_directory_names(self.size, head, bytes(self._tail))
            if names is None:
                names = _local_header_names(head)
            if _is_ofd_package(names):
                return OFD
            return DOCX if _is_docx_package(names) else ZIP
        return UNKNOWN


def sniff_bytes(data: bytes) -> str:
    """The sniffed type of a whole (small) file."""
    sniffer = TypeSniffer()
    sniffer.feed(data)
    return sniffer.result()


# -- streaming digest ------------------------------------------------------------------------------


def file_too_large(limit: int) -> InvalidInput:
    return InvalidInput("file_too_large", f"a scan may be at most {limit} bytes")


class DigestingReader(io.RawIOBase):
    """A file-like reader over an iterable of byte chunks that counts, hashes and
    sniffs what passes through, and refuses to go past ``max_bytes``."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = bytearray()
        self._done = False
        self.max_bytes = max_bytes
        self.size = 0
        self._sha256 = hashlib.sha256()
        self.sniffer = TypeSniffer()

    def readable(self) -> bool:
        return True

    def _take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise file_too_large(self.max_bytes)
        self._sha256.update(chunk)
        self.sniffer.feed(chunk)
        self._buffer += chunk

    def read(self, n: int | None = -1) -> bytes:
        want = None if n is None or n < 0 else n
        while not self._done and (want is None or len(self._buffer) < want):
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._done = True
                break
            if chunk:
                self._take(bytes(chunk))
        if want is None:
            want = len(self._buffer)
        data = bytes(self._buffer[:want])
        del self._buffer[:want]
        return data

    def drain(self) -> None:
        """Consume the rest of the stream (to digest it without storing it)."""
        while self.read(READ_CHUNK):
            pass

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def content_type(self) -> str:
        return self.sniffer.result()


# -- the object store ------------------------------------------------------------------------------


def make_client(settings: Settings | None = None) -> Minio:
    """A minio client for the configured endpoint (``MINIO_*`` settings)."""
    s = settings or get_settings()
    if not s.minio_endpoint:
        raise RuntimeError("MINIO_ENDPOINT is not set: no object store to keep scans in")
    # Short connect timeout and few retries: a store that is down is reported
    # (503 storage_unavailable) within seconds instead of after minio's long default retries.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=60.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        maxsize=16,
    )
    return Minio(
        s.minio_endpoint,
        access_key=s.minio_access_key,
        secret_key=s.minio_secret_key,
        secure=s.minio_secure,
        http_client=http,
    )


def bucket_name(settings: Settings | None = None) -> str:
    return (settings or get_settings()).minio_bucket


def remove_quietly(client: Minio, bucket: str, key: str) -> None:
    try:
        client.remove_object(bucket, key)
    except Exception:  # best effort: a leftover object is cleaned up later, never fatal
        log.warning("could not remove object %s/%s", bucket, key, exc_info=True)


def stream_to_staging(
    client: Minio,
    bucket: str,
    key: str,
    chunks_iterable: Iterable[bytes],
    *,
    max_bytes: int | None = None,
) -> tuple[int, str, str]:
    """Stream an upload into ``key``; return ``(size, sha256 hex, sniffed type)``.

    The bytes go to the store as they arrive (multipart, 5 MiB parts, one at a time), counted
    and hashed on the way. Past ``max_bytes`` (default: :func:`max_upload_bytes`)
    the upload stops with ``InvalidInput("file_too_large")`` and nothing is left
    in the store. An empty upload is refused with ``InvalidInput("empty_file")``.
    The sniffed type is returned, not judged: :func:`is_allowed_type` tells.
    """
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    reader = DigestingReader(chunks_iterable, limit)
    try:
        client.put_object(
            bucket,
            key,
            reader,  # type: ignore[arg-type]
            length=-1,
            part_size=PART_SIZE,
            num_parallel_uploads=1,  # parts in flight cost memory; the network is the limit anyway
            content_type="application/octet-stream",
        )
    except BaseException:
        remove_quietly(client, bucket, key)
        raise
    if reader.size == 0:
        remove_quietly(client, bucket, key)
        raise InvalidInput("empty_file", "the upload is empty")
    return reader.size, reader.sha256, reader.content_type


class UploadAborted(Exception):
    """The sender of an upload went away before its end."""


def read_object(client: Minio, bucket: str, key: str) -> Iterator[bytes]:
    """The bytes of an object, chunk by chunk."""
    response = client.get_object(bucket, key)
    try:
        yield from response.stream(READ_CHUNK)
    finally:
        response.close()
        response.release_conn()
