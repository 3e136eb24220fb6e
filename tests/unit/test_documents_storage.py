"""Scans: type sniffing from the bytes, keys from ids only, the streaming digest
(no broker, no store: pure parts of services.documents.storage)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid

import pytest

from services.common.errors import InvalidInput
from services.documents import storage
from services.documents.storage import (
    DigestingReader,
    TypeSniffer,
    final_key,
    parse_staging_key,
    sniff_bytes,
    staging_key,
)
from tests.support import samples
from tests.support.outgoing import EXE, real_docx


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.pdf(), "application/pdf"),
        (samples.jpeg(), "image/jpeg"),
        (samples.png(), "image/png"),
        (samples.tiff(), "image/tiff"),
        (samples.tiff(big_endian=True), "image/tiff"),
        (samples.ofd(), "application/ofd"),
    ],
    ids=["pdf", "jpeg", "png", "tiff", "tiff-big-endian", "ofd"],
)
def test_each_scan_type_is_recognised_and_allowed(data, expected):
    assert sniff_bytes(data) == expected
    assert storage.is_allowed_type(expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.exe(), "application/octet-stream"),
        (samples.text(), "application/octet-stream"),
        (samples.plain_zip(), "application/zip"),  # OFD.xml only in a folder: not an OFD
        (b"", "application/octet-stream"),
        (b"%PD", "application/octet-stream"),  # too short to be a PDF
    ],
    # named, not shown: a zip's bytes hold the time it was made (pytest-xdist compares ids)
    ids=["exe", "text", "plain-zip", "empty", "short-pdf"],
)
def test_other_files_are_refused(data, expected):
    assert sniff_bytes(data) == expected
    assert not storage.is_allowed_type(expected)


def test_an_ofd_package_is_recognised_when_streamed_in_small_chunks_and_ofd_xml_comes_last():
    """The central directory (at the end of the package) names OFD.xml even when the
    first entry is a large scan; only the head and tail of the stream are kept."""
    data = samples.ofd(padding=os.urandom(3 * 1024 * 1024))
    sniffer = TypeSniffer()
    for i in range(0, len(data), 8192):
        sniffer.feed(data[i : i + 8192])
    assert sniffer.result() == "application/ofd"
    assert len(sniffer._tail) <= TypeSniffer.TAIL and len(sniffer._head) <= TypeSniffer.HEAD


def test_an_outgoing_body_is_docx_pdf_or_ofd_and_never_a_renamed_exe():
    docx = sniff_bytes(real_docx("正文"))
    assert docx == storage.DOCX
    assert docx in storage.BODY_TYPES and docx in storage.ATTACHMENT_TYPES
    assert not storage.is_allowed_type(docx)  # not a scan
    assert sniff_bytes(samples.ofd()) in storage.BODY_TYPES
    assert sniff_bytes(samples.pdf()) in storage.BODY_TYPES
    assert sniff_bytes(samples.png()) not in storage.BODY_TYPES  # an image is no body
    assert sniff_bytes(EXE) not in storage.ATTACHMENT_TYPES
    assert sniff_bytes(samples.plain_zip()) not in storage.ATTACHMENT_TYPES


def test_a_pdf_renamed_ofd_is_still_a_pdf():
    # what the uploader calls a file plays no part: only its bytes do
    assert sniff_bytes(samples.pdf()) == "application/pdf"


def test_keys_are_made_from_ids_only():
    tenant, upload, document, file_id = (uuid.uuid4() for _ in range(4))
    assert staging_key(tenant, upload) == f"staging/{tenant}/{upload}"
    assert final_key(tenant, document, file_id) == f"documents/{tenant}/{document}/{file_id}"
    assert staging_key(str(tenant), str(upload)) == staging_key(tenant, upload)
    with pytest.raises(InvalidInput):
        staging_key(tenant, "../../etc/passwd")
    with pytest.raises(InvalidInput):
        final_key(tenant, document, "报告.pdf")


def test_only_a_staging_key_of_the_callers_own_tenant_is_accepted():
    tenant, other, upload = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert parse_staging_key(staging_key(tenant, upload), tenant) == upload
    for bad in (
        staging_key(other, upload),
        final_key(tenant, upload, upload),
        f"staging/{tenant}/{upload}/../x",
        f"staging/{tenant}/{str(upload).upper()}",
        f"/staging/{tenant}/{upload}",
        "staging",
    ):
        with pytest.raises(InvalidInput) as info:
            parse_staging_key(bad, tenant)
        assert info.value.code == "bad_staging_key"


def test_the_digesting_reader_counts_hashes_and_sniffs_what_passes():
    data = samples.png() + os.urandom(100_000)
    chunks = [data[i : i + 777] for i in range(0, len(data), 777)]
    reader = DigestingReader(chunks, max_bytes=len(data))
    out = b""
    while piece := reader.read(10_000):
        out += piece
    assert out == data
    assert reader.size == len(data)
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    assert reader.content_type == "image/png"


def test_the_digesting_reader_stops_past_the_limit():
    reader = DigestingReader([b"x" * 600, b"x" * 600], max_bytes=1000)
    with pytest.raises(InvalidInput) as info:
        reader.drain()
    assert info.value.code == "file_too_large"


def test_the_upload_limit_defaults_to_50_mib_and_follows_the_environment():
    code = "from services.documents import storage; print(storage.MAX_UPLOAD_BYTES)"
    env = {k: v for k, v in os.environ.items() if k != "MAX_UPLOAD_BYTES"}
    default = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert int(default.stdout) == 50 * 1024 * 1024
    small = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "MAX_UPLOAD_BYTES": "1234"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(small.stdout) == 1234


def test_storage_imports_neither_nameko_nor_eventlet():
    """The asyncio gateway imports this module."""
    code = (
        "import sys; import services.documents.storage; "
        "print('nameko' in sys.modules or 'eventlet' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
