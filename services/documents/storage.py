"""The documents service's side of the object store: the bucket and its staging
expiry rule, reading a staged upload back to check it, server-side copies and
presigned download links.

What the gateway needs as well (the client, the key scheme, type sniffing,
streaming uploads) lives in :mod:`services.common.objectstore` and is re-exported
here, so that the service's modules keep one name for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from minio import Minio
from minio.commonconfig import ENABLED, CopySource, Filter
from minio.error import S3Error
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from services.common.errors import NotFound
from services.common.objectstore import (
    ALLOWED_TYPES,
    ATTACHMENT_TYPES,
    BODY_TYPES,
    DOCUMENTS_PREFIX,
    DOCX,
    MAX_UPLOAD_BYTES,
    PART_SIZE,
    PRESIGN_TTL,
    READ_CHUNK,
    STAGING_PREFIX,
    DigestingReader,
    TypeSniffer,
    UploadAborted,
    UploadSettings,
    bucket_name,
    file_too_large,
    final_key,
    is_allowed_type,
    make_client,
    max_upload_bytes,
    parse_staging_key,
    read_object,
    remove_quietly,
    sniff_bytes,
    staging_key,
    stream_to_staging,
)

log = logging.getLogger(__name__)


def ensure_bucket(client: Minio, bucket: str, timeout: float = 30.0) -> None:
    """Create the bucket if it is missing, waiting for the store to answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not client.bucket_exists(bucket):
                try:
                    client.make_bucket(bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            return
        except (OSError, S3Error) as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("object store not ready (%s); retrying", exc)
            time.sleep(0.5)


#: staged uploads never attached are removed by the store after this many days
STAGING_EXPIRY_DAYS = 1
STAGING_RULE_ID = "gongwen-expire-staging"


def ensure_staging_expiry(client: Minio, bucket: str, days: int = STAGING_EXPIRY_DAYS) -> None:
    """A lifecycle rule that expires objects under ``staging/`` (uploads that were
    never attached); the bucket's other rules are kept."""
    try:
        current = client.get_bucket_lifecycle(bucket)
    except S3Error as exc:
        if exc.code != "NoSuchLifecycleConfiguration":
            raise
        current = None
    rules = [r for r in (current.rules if current else []) if r.rule_id != STAGING_RULE_ID]
    ours = [r for r in (current.rules if current else []) if r.rule_id == STAGING_RULE_ID]
    if ours and ours[0].expiration and ours[0].expiration.days == days:
        return
    rule = Rule(
        ENABLED,
        rule_filter=Filter(prefix=f"{STAGING_PREFIX}/"),
        rule_id=STAGING_RULE_ID,
        expiration=Expiration(days=days),
    )
    client.set_bucket_lifecycle(bucket, LifecycleConfig([*rules, rule]))


@dataclass(frozen=True)
class ObjectDigest:
    size: int
    sha256: str
    content_type: str


def digest_object(client: Minio, bucket: str, key: str, *, max_bytes: int) -> ObjectDigest:
    """Read an object back in a stream: its size, SHA-256 and sniffed type.

    A missing object gives ``NotFound("upload_not_found")``; one larger than
    ``max_bytes`` gives ``InvalidInput("file_too_large")``.
    """
    try:
        response = client.get_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            raise NotFound("upload_not_found", "no such staged upload") from None
        raise
    try:
        reader = DigestingReader(response.stream(READ_CHUNK), max_bytes)
        reader.drain()
    finally:
        response.close()
        response.release_conn()
    return ObjectDigest(reader.size, reader.sha256, reader.content_type)


def copy_within(client: Minio, bucket: str, source_key: str, target_key: str) -> None:
    """Server-side copy (the bytes do not pass through this process)."""
    client.copy_object(bucket, target_key, CopySource(bucket, source_key))


def _content_disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "scan"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def presigned_download(
    client: Minio,
    bucket: str,
    key: str,
    *,
    filename: str,
    content_type: str,
    ttl: dt.timedelta = PRESIGN_TTL,
) -> tuple[str, dt.datetime]:
    """A presigned GET link valid for ``ttl`` and the instant it expires."""
    expires_at = dt.datetime.now(dt.UTC) + ttl
    url = client.presigned_get_object(
        bucket,
        key,
        expires=ttl,
        response_headers={
            "response-content-type": content_type,
            "response-content-disposition": _content_disposition(filename),
        },
    )
    return url, expires_at


__all__ = [
    "ALLOWED_TYPES",
    "ATTACHMENT_TYPES",
    "BODY_TYPES",
    "DOCX",
    "DOCUMENTS_PREFIX",
    "MAX_UPLOAD_BYTES",
    "PART_SIZE",
    "PRESIGN_TTL",
    "READ_CHUNK",
    "STAGING_EXPIRY_DAYS",
    "STAGING_PREFIX",
    "STAGING_RULE_ID",
    "DigestingReader",
    "ObjectDigest",
    "TypeSniffer",
    "UploadAborted",
    "UploadSettings",
    "bucket_name",
    "copy_within",
    "digest_object",
    "ensure_bucket",
    "ensure_staging_expiry",
    "file_too_large",
    "final_key",
    "is_allowed_type",
    "make_client",
    "max_upload_bytes",
    "parse_staging_key",
    "presigned_download",
    "read_object",
    "remove_quietly",
    "sniff_bytes",
    "staging_key",
    "stream_to_staging",
]
