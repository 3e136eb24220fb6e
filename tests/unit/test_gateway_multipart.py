"""The gateway's streaming multipart reader and the download headers, without a server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest

from gateway.multipart import (
    MAX_PART_HEADER_BYTES,
    MultipartReader,
    boundary_of,
    clean_filename,
    parse_content_disposition,
)
from gateway.objects import content_disposition
from services.common.errors import InvalidInput

BOUNDARY = "----gongwen7MA4YWxkTrZu0gW"


def body(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body of (header block, content) parts."""
    out = b""
    for headers, content in parts:
        out += b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return out + b"--" + BOUNDARY.encode() + b"--\r\n"


def file_part(filename: bytes, content: bytes, name: bytes = b"files") -> tuple[bytes, bytes]:
    headers = (
        b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream"
    )
    return headers, content


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read_all(data: bytes, size: int) -> list[tuple[str | None, str | None, bytes]]:
    reader = MultipartReader(chunked(data, size), BOUNDARY.encode())
    out = []
    while (part := await reader.next_part()) is not None:
        chunks = [c async for c in part]
        # streamed: no piece larger than what the body arrived in
        assert all(len(c) <= max(size, len(BOUNDARY) + 8) for c in chunks)
        out.append((part.headers.name, part.headers.filename, b"".join(chunks)))
    return out


@pytest.mark.parametrize("size", [1, 7, 64, 65536])
def test_parts_come_out_whole_however_the_body_is_cut(size: int):
    pdf = b"%PDF-1.4\r\n" + bytes(range(256)) * 50 + b"\r\n--not-the-boundary\r\n%%EOF"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000
    data = body(file_part("扫描件.pdf".encode(), pdf), file_part(b"page2.png", png))
    assert asyncio.run(read_all(data, size)) == [
        ("files", "扫描件.pdf", pdf),
        ("files", "page2.png", png),
    ]


def test_a_part_left_unread_is_skipped():
    data = body(file_part(b"a.pdf", b"x" * 5000), file_part(b"b.pdf", b"yy"))

    async def run() -> list[str | None]:
        reader = MultipartReader(chunked(data, 100), BOUNDARY.encode())
        names = []
        while (part := await reader.next_part()) is not None:
            names.append(part.headers.filename)
            if part.headers.filename == "b.pdf":
                assert b"".join([c async for c in part]) == b"yy"
        return names

    assert asyncio.run(run()) == ["a.pdf", "b.pdf"]


@pytest.mark.parametrize(
    "data",
    [
        body(file_part(b"a.pdf", b"abc"))[:-20],  # ends before the closing boundary
        b"garbage without any boundary at all\r\n",
        b"--"
        + BOUNDARY.encode()
        + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--"
        + BOUNDARY.encode()
        + b"--\r\n",
    ],
    ids=["truncated", "garbage", "no-disposition"],
)
def test_malformed_bodies_are_bad_multipart(data: bytes):
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(read_all(data, 16))
    assert caught.value.code == "bad_multipart"


def test_over_long_part_headers_are_refused():
    headers = (
        b'Content-Disposition: form-data; name="files"; filename="'
        + b"a" * MAX_PART_HEADER_BYTES
        + b'"'
    )
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(read_all(body((headers, b"x")), 4096))
    assert caught.value.code == "bad_multipart"


def test_filenames_rfc5987_paths_and_control_characters():
    _, params = parse_content_disposition(
        'form-data; name="files"; filename="x.pdf"; filename*=UTF-8\'\'%E6%AD%A3%E6%96%87.pdf'
    )
    assert params == {"name": "files", "filename": "正文.pdf"}
    assert clean_filename("C:\\Users\\张三\\扫描件.pdf") == "扫描件.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("a\x00b\nc.png") == "abc.png"
    assert clean_filename("..") is None and clean_filename("  ") is None
    assert len(clean_filename("长" * 400 + ".pdf") or "") == 255


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"multipart/form-data; boundary={BOUNDARY}", BOUNDARY.encode()),
        (f'Multipart/Form-Data; boundary="{BOUNDARY}"', BOUNDARY.encode()),
        ("application/json", None),
        ("multipart/form-data", None),
        ("multipart/mixed; boundary=abc", None),
        (None, None),
    ],
)
def test_only_multipart_form_data_with_a_boundary_is_taken(
    header: str | None, expected: bytes | None
):
    assert boundary_of(header) == expected


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("扫描件.pdf", "scan.pdf"),
        ("report 1.pdf", "report 1.pdf"),
        ('a"b;c.png', "a_b_c.png"),
        ("无后缀", "scan"),
    ],
)
def test_content_disposition_carries_the_name_rfc5987_encoded(name: str, fallback: str):
    header = content_disposition(name)
    assert header.startswith("attachment; ")
    assert f'filename="{fallback}"' in header
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and unquote(encoded) == name
    assert content_disposition(name, inline=True).startswith("inline; ")
