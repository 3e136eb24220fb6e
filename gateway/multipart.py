"""``multipart/form-data`` read as a stream: one part after another, straight from
the request, never a whole file in memory (nor spooled to a temporary file).

:class:`MultipartReader` feeds the request's chunks to python-multipart's
push parser and turns its callbacks into a queue of events; :meth:`next_part`
gives the headers of the next part and :class:`Part` its bytes, chunk by chunk,
as they arrive. Only the events of one request chunk are held at a time.

A body that is not well-formed (bad boundary, ends before the closing
boundary, headers too long) is ``InvalidInput("bad_multipart")``.
"""

from __future__ import annotations

import email.message
import email.utils
import re
import unicodedata
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from services.common.errors import InvalidInput

#: the longest header block of one part
MAX_PART_HEADER_BYTES = 16 * 1024
#: the longest display filename kept (FileAttach allows 255)
MAX_FILENAME_CHARS = 255


def bad_multipart(message: str) -> InvalidInput:
    return InvalidInput("bad_multipart", message)


def boundary_of(content_type: str | None) -> bytes | None:
    """The boundary of a ``multipart/form-data`` content type, else None."""
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70:
        return None
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(raw: str | None) -> str | None:
    """A display name from what the client sent: no directories, no control
    characters, NFC, at most 255 characters; None when nothing is left."""
    if raw is None:
        return None
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("", name).strip()
    if name in ("", ".", ".."):
        return None
    return name[:MAX_FILENAME_CHARS]


def _decode_header(raw: bytes) -> str:
    """Header bytes as text: browsers and httpx send UTF-8 (RFC 7578), old clients latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_content_disposition(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="files"; filename="扫描件.pdf"`` → ("form-data", {"name": …, "filename": …}).

    ``filename*`` (RFC 5987/2231, e.g. ``UTF-8''%E6%89%AB…``) wins over ``filename``.
    """
    message = email.message.Message()
    message["content-disposition"] = value
    params = message.get_params(header="content-disposition") or []
    if not params:
        return "", {}
    kind = str(params[0][0]).strip().lower()
    out: dict[str, str] = {}
    for key, val in params[1:]:
        key = key.lower()
        if isinstance(val, tuple):  # RFC 2231 / 5987: (charset, language, value)
            out[key.rstrip("*")] = email.utils.collapse_rfc2231_value(val)
        elif key.endswith("*"):
            out[key.rstrip("*")] = str(val)
        elif key not in out:
            out[key] = str(email.utils.unquote(val))
    return kind, out


@dataclass(frozen=True)
class PartHeaders:
    name: str | None
    filename: str | None
    content_type: str | None
    has_filename: bool


def part_headers(headers: list[tuple[bytes, bytes]]) -> PartHeaders:
    fields = {k.strip().lower(): _decode_header(v).strip() for k, v in headers}
    disposition = fields.get(b"content-disposition")
    if disposition is None:
        raise bad_multipart("a part has no Content-Disposition header")
    kind, params = parse_content_disposition(disposition)
    if kind != "form-data":
        raise bad_multipart("a part is not form-data")
    return PartHeaders(
        name=params.get("name"),
        filename=clean_filename(params.get("filename")),
        content_type=fields.get(b"content-type"),
        has_filename="filename" in params,
    )


#: (kind, payload): ("headers", [(field, value)…]) | ("data", bytes) | ("end"|"finish", None)
_Event = tuple[str, Any]


class MultipartReader:
    """The parts of a ``multipart/form-data`` body, read as the body arrives."""

    def __init__(self, body: AsyncIterable[bytes], boundary: bytes) -> None:
        self._body = body.__aiter__()
        self._events: deque[_Event] = deque()
        self._exhausted = False
        self._header_bytes = 0
        self._field = bytearray()
        self._value = bytearray()
        self._headers: list[tuple[bytes, bytes]] = []
        callbacks: dict[str, Any] = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": lambda: self._events.append(("headers", self._headers)),
            "on_part_data": lambda data, start, end: self._events.append(
                ("data", bytes(data[start:end]))
            ),
            "on_part_end": lambda: self._events.append(("end", None)),
            "on_end": lambda: self._events.append(("finish", None)),
        }
        self._parser = MultipartParser(boundary, cast(Any, callbacks))
        self.finished = False

    # -- parser callbacks --------------------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._headers = []  # a new list: the previous part's went with its event
        self._header_bytes = 0

    def _grow(self, buffer: bytearray, data: bytes, start: int, end: int) -> None:
        self._header_bytes += end - start
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise bad_multipart(f"the headers of a part are over {MAX_PART_HEADER_BYTES} bytes")
        buffer += data[start:end]

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._field, data, start, end)

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._value, data, start, end)

    def _on_header_end(self) -> None:
        self._headers.append((bytes(self._field), bytes(self._value)))
        self._field.clear()
        self._value.clear()

    # -- reading -------------------------------------------------------------------------------
    async def _event(self) -> _Event | None:
        """The next parser event, reading more of the body when none is queued."""
        while not self._events:
            if self._exhausted:
                return None
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._exhausted = True
                continue
            if not chunk:
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise bad_multipart(f"the multipart body is malformed: {exc}") from None
        return self._events.popleft()

    async def next_part(self) -> Part | None:
        """The next part (the rest of an unread previous part is skipped); None at the end."""
        if self.finished:
            return None
        while True:
            event = await self._event()
            if event is None:
                raise bad_multipart("the body ended before the closing boundary")
            if event[0] == "finish":
                self.finished = True
                return None
            if event[0] == "headers":
                return Part(self, part_headers(event[1]))
            # "data"/"end" of a part nobody read to its end: skipped

    async def drain(self, limit: int) -> bool:
        """Read (and drop) the rest of the body, at most ``limit`` bytes; True if it all came."""
        seen = 0
        self._events.clear()
        while not self._exhausted:
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._exhausted = True
                break
            seen += len(chunk)
            if seen > limit:
                return False
        return True


class Part:
    """One part: its headers, and its bytes as an async iterator of chunks (read once)."""

    def __init__(self, reader: MultipartReader, headers: PartHeaders) -> None:
        self.reader = reader
        self.headers = headers
        self.done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self.done:
            raise StopAsyncIteration
        event = await self.reader._event()
        if event is None:
            raise bad_multipart("the body ended in the middle of a part")
        kind, data = event
        if kind == "data":
            return data
        if kind == "end":
            self.done = True
            raise StopAsyncIteration
        raise bad_multipart(f"unexpected {kind} inside a part")  # pragma: no cover

    async def read_small(self, limit: int) -> bytes:
        """The whole of a small (non-file) part; ``bad_multipart`` past ``limit`` bytes."""
        out = bytearray()
        async for chunk in self:
            out += chunk
            if len(out) > limit:
                raise bad_multipart(f"a form field is over {limit} bytes")
        return bytes(out)
