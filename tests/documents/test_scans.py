"""Scans through the object store and RabbitMQ: the gateway's streaming upload into
staging, attaching (checked again by the service), downloading, and every refusal
leaving nothing behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gateway.objects import stage_in_pool
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.documents import storage
from tests.support import samples
from tests.support.documents import SERVICE_MAX_UPLOAD_BYTES, a_document, attach, count_rows, upload
from tests.support.identity import expect_error

MiB = 1024 * 1024


def staged_keys(s3, bucket, tenant_id) -> list[str]:
    return [
        o.object_name
        for o in s3.list_objects(bucket, prefix=f"staging/{tenant_id}/", recursive=True)
    ]


@pytest.fixture()
def document(office):
    return office.registrar.call("register_document", document=a_document())


def test_a_scan_is_streamed_attached_and_downloaded_unchanged(office, document, s3, bucket):
    clerk = office.registrar
    data = samples.pdf() + os.urandom(200_000)
    staged = upload(s3, bucket, clerk, data)
    assert staged["sha256"] == hashlib.sha256(data).hexdigest()
    assert (staged["size"], staged["content_type"]) == (len(data), "application/pdf")

    out = attach(clerk, document["id"], staged, filename="国办发〔2026〕12号.pdf")
    assert out["sha256"] == hashlib.sha256(data).hexdigest() and out["size"] == len(data)
    assert out["content_type"] == "application/pdf" and out["filename"] == "国办发〔2026〕12号.pdf"
    assert out["uploaded_by"] == clerk.id and out["document_id"] == document["id"]
    assert staged["staging_key"] not in staged_keys(s3, bucket, clerk.tenant_id)  # moved

    got = clerk.call("file_download", file_id=out["id"])
    assert got["object_key"] == f"documents/{clerk.tenant_id}/{document['id']}/{out['id']}"
    assert got["url"] is None
    stored = b"".join(storage.read_object(s3, got["bucket"], got["object_key"]))
    assert stored == data

    linked = clerk.call("file_download", file_id=out["id"], presign=True)
    assert linked["url"] and linked["url_expires_at"]
    response = httpx.get(linked["url"], timeout=10)
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "application/pdf"

    doc = clerk.call("get_document", document_id=document["id"])
    assert [f["id"] for f in doc["files"]] == [out["id"]]
    trace = clerk.call("get_slip", document_id=document["id"])["trace"]
    assert [t["action"] for t in trace] == ["document.register", "document.attach_file"]
    assert trace[1]["detail"]["sha256"] == out["sha256"]


def test_several_files_of_each_allowed_type_and_a_multipart_upload(office, document, s3, bucket):
    clerk = office.registrar
    large = samples.pdf() + os.urandom(11 * MiB)  # more than one 10 MiB part
    files = [
        ("正文.pdf", large),
        ("附件1.ofd", samples.ofd(padding=os.urandom(300_000))),
        ("批示.jpg", samples.jpeg()),
        ("附件2.png", samples.png()),
        ("附件3.tif", samples.tiff()),
    ]
    ids = []
    for name, data in files:
        out = attach(clerk, document["id"], upload(s3, bucket, clerk, data), filename=name)
        assert out["sha256"] == hashlib.sha256(data).hexdigest()
        ids.append(out["id"])
    doc = clerk.call("get_document", document_id=document["id"])
    assert [f["id"] for f in doc["files"]] == ids
    assert [f["content_type"] for f in doc["files"]] == [
        "application/pdf",
        "application/ofd",
        "image/jpeg",
        "image/png",
        "image/tiff",
    ]
    first = clerk.call("file_download", file_id=ids[0])
    assert b"".join(storage.read_object(s3, bucket, first["object_key"])) == large


def test_an_upload_past_the_limit_is_stopped_and_nothing_is_left(office, s3, bucket):
    clerk = office.registrar
    with pytest.raises(InvalidInput) as info:
        upload(s3, bucket, clerk, samples.pdf() + os.urandom(300_000), max_bytes=100_000)
    assert info.value.code == "file_too_large"
    # past the first 10 MiB part: a multipart upload was begun, and is aborted
    with pytest.raises(InvalidInput) as info:
        upload(s3, bucket, clerk, samples.pdf() + os.urandom(13 * MiB), max_bytes=12 * MiB)
    assert info.value.code == "file_too_large"
    assert staged_keys(s3, bucket, clerk.tenant_id) == []


def test_the_service_refuses_a_staged_object_past_its_own_limit(
    office, document, s3, bucket, pg_superuser
):
    clerk = office.registrar
    data = samples.pdf() + os.urandom(SERVICE_MAX_UPLOAD_BYTES)
    staged = upload(s3, bucket, clerk, data, max_bytes=len(data))  # a gateway with another limit
    expect_error(InvalidInput, "file_too_large", attach, clerk, document["id"], staged)
    assert staged["staging_key"] not in staged_keys(s3, bucket, clerk.tenant_id)
    assert (
        count_rows(
            pg_superuser,
            "SELECT count(*) FROM document_files WHERE document_id = %s",
            document["id"],
        )
        == 0
    )


@pytest.mark.parametrize(
    "data", [samples.exe(), samples.text(), samples.plain_zip()], ids=["exe", "text", "zip"]
)
def test_a_file_type_not_allowed_is_refused_and_removed(office, document, s3, bucket, data):
    clerk = office.registrar
    staged = upload(s3, bucket, clerk, data)
    expect_error(InvalidInput, "file_type_not_allowed", attach, clerk, document["id"], staged)
    assert staged["staging_key"] not in staged_keys(s3, bucket, clerk.tenant_id)
    assert clerk.call("get_document", document_id=document["id"])["files"] == []


def test_a_claim_that_does_not_match_the_stored_bytes_is_refused(office, document, s3, bucket):
    clerk = office.registrar
    staged = upload(s3, bucket, clerk, samples.png())
    wrong = {**staged, "sha256": hashlib.sha256(b"something else").hexdigest()}
    expect_error(InvalidInput, "checksum_mismatch", attach, clerk, document["id"], wrong)
    staged = upload(s3, bucket, clerk, samples.png())
    expect_error(
        InvalidInput,
        "checksum_mismatch",
        attach,
        clerk,
        document["id"],
        {**staged, "size": staged["size"] + 1},
    )
    assert clerk.call("get_document", document_id=document["id"])["files"] == []


def test_an_upload_is_attached_once(office, document, s3, bucket):
    clerk = office.registrar
    staged = upload(s3, bucket, clerk, samples.jpeg())
    attach(clerk, document["id"], staged)
    expect_error(Conflict, "already_attached", attach, clerk, document["id"], staged)
    missing = {**staged, "staging_key": storage.staging_key(clerk.tenant_id, uuid.uuid4())}
    expect_error(NotFound, "upload_not_found", attach, clerk, document["id"], missing)


def test_staging_keys_of_another_tenant_or_malformed_are_refused(
    office, other_office, document, s3, bucket
):
    theirs = upload(s3, bucket, other_office.registrar, samples.pdf())
    expect_error(InvalidInput, "bad_staging_key", attach, office.registrar, document["id"], theirs)
    bad = {**theirs, "staging_key": f"documents/{office.tenant_id}/{document['id']}/x"}
    expect_error(InvalidInput, "bad_staging_key", attach, office.registrar, document["id"], bad)
    # their upload is untouched, and attachable by them only to their own documents
    expect_error(
        NotFound, "document_not_found", attach, other_office.registrar, document["id"], theirs
    )
    assert theirs["staging_key"] in staged_keys(s3, bucket, other_office.tenant_id)


def test_only_a_registrar_attaches(office, document, s3, bucket):
    staged = upload(s3, bucket, office.registrar, samples.pdf())
    expect_error(Forbidden, "role_required", attach, office.handler_a, document["id"], staged)
    expect_error(Forbidden, "role_required", attach, office.leader, document["id"], staged)


def test_files_of_another_tenant_or_of_a_document_not_sent_to_me_are_not_found(
    office, other_office, document, s3, bucket
):
    out = attach(
        office.registrar, document["id"], upload(s3, bucket, office.registrar, samples.pdf())
    )
    expect_error(
        NotFound, "file_not_found", other_office.registrar.call, "file_download", file_id=out["id"]
    )
    expect_error(
        NotFound,
        "file_not_found",
        office.outsider.call,
        "file_download",
        file_id=out["id"],
        presign=True,
    )
    expect_error(
        NotFound,
        "file_not_found",
        office.registrar.call,
        "file_download",
        file_id=str(uuid.uuid4()),
    )
    assert office.leader.call("file_download", file_id=out["id"])["sha256"] == out["sha256"]


# -- the gateway's asyncio side ------------------------------------------------------------------


async def _request_body(data: bytes, consumed: list[int], fail_after: int | None = None):
    """Chunks as an HTTP server hands a request body to asyncio code."""
    for i in range(0, len(data), 256 * 1024):
        if fail_after is not None and i >= fail_after:
            raise ConnectionResetError("the client went away")
        consumed.append(i)
        await asyncio.sleep(0)
        yield data[i : i + 256 * 1024]


def _stage(s3, bucket, key, body, **kw):
    """The gateway's upload path: one writer thread of a pool of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return asyncio.run(
            stage_in_pool(
                pool, s3, bucket, key, body, max_bytes=kw.get("max_bytes", 50 * MiB), idle_timeout=5
            )
        )


def test_the_gateway_streams_an_upload_from_asyncio(office, document, s3, bucket):
    clerk = office.registrar
    data = samples.pdf() + os.urandom(11 * MiB)
    key = storage.staging_key(clerk.tenant_id, uuid.uuid4())
    size, sha256, ctype = _stage(s3, bucket, key, _request_body(data, []))
    assert (size, sha256, ctype) == (len(data), hashlib.sha256(data).hexdigest(), "application/pdf")
    staged = {"staging_key": key, "size": size, "sha256": sha256, "content_type": ctype}
    out = attach(clerk, document["id"], staged)
    got = clerk.call("file_download", file_id=out["id"])
    assert b"".join(storage.read_object(s3, bucket, got["object_key"])) == data


def test_an_asyncio_upload_past_the_limit_stops_reading_and_leaves_nothing(office, s3, bucket):
    clerk = office.registrar
    data = samples.pdf() + os.urandom(8 * MiB)
    consumed: list[int] = []
    key = storage.staging_key(clerk.tenant_id, uuid.uuid4())
    with pytest.raises(InvalidInput) as info:
        _stage(s3, bucket, key, _request_body(data, consumed), max_bytes=MiB)
    assert info.value.code == "file_too_large"
    assert len(consumed) < len(data) // (256 * 1024)  # the rest of the body was not read
    assert key not in staged_keys(s3, bucket, clerk.tenant_id)


def test_an_upload_whose_sender_goes_away_leaves_nothing(office, s3, bucket):
    clerk = office.registrar
    key = storage.staging_key(clerk.tenant_id, uuid.uuid4())
    body = _request_body(samples.pdf() + os.urandom(2 * MiB), [], fail_after=MiB)
    with pytest.raises(ConnectionResetError):
        _stage(s3, bucket, key, body)
    assert key not in staged_keys(s3, bucket, clerk.tenant_id)


def test_staged_uploads_that_are_never_attached_expire(s3, bucket):
    rules = s3.get_bucket_lifecycle(bucket).rules
    [rule] = [r for r in rules if r.rule_id == storage.STAGING_RULE_ID]
    assert rule.rule_filter.prefix == "staging/" and rule.expiration.days == 1
    storage.ensure_staging_expiry(s3, bucket)  # again: nothing changes, nothing doubles
    assert len(s3.get_bucket_lifecycle(bucket).rules) == len(rules)
