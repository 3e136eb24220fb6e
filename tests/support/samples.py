"""Tiny real files of each type a scan may be (and some it may not), made in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf() -> bytes:
    body = (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n"
    )
    return body + b"startxref\n0\n%%EOF\n"


def jpeg() -> bytes:
    # SOI, an APP0/JFIF segment, EOI: the header every JPEG starts with
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """A valid 1×1 grey PNG."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def tiff(big_endian: bool = False) -> bytes:
    """A TIFF header with an empty first directory."""
    if big_endian:
        return b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 0) + struct.pack(">I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + struct.pack("<I", 0)


def zip_package(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


OFD_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD">'
    b"<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)


def ofd(padding: bytes = b"") -> bytes:
    """An OFD package (GB/T 33190): a ZIP with OFD.xml at its root."""
    entries = {"OFD.xml": OFD_XML, "Doc_0/Document.xml": b"<ofd:Document/>"}
    if padding:
        entries = {"Doc_0/Res/scan.bin": padding, **entries}
    return zip_package(entries)


def plain_zip() -> bytes:
    return zip_package({"readme.txt": b"not an OFD", "Doc_0/OFD.xml": b"<nested/>"})


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


def text() -> bytes:
    return "这是一个文本文件,不是扫描件。\n".encode()
