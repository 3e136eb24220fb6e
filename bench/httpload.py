"""A lean HTTP/1.1 keep-alive load generator on asyncio streams.

httpx's AsyncClient spends about 2.5 ms of CPU per request at 32 concurrent
requests (its connection pool is the cost), more than the gateway itself;
on a 2-core machine that shares its cores with the gateway, the figure would
then measure the load generator. This client does the least a keep-alive
HTTP/1.1 client can: a pool of open connections, a pre-built request, a
response read by Content-Length (or chunked). Loopback only.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class HttpError(Exception):
    pass


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length: int | None = None
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            raise HttpError("response without Content-Length or chunked encoding")
        if close:
            raise HttpError("server closed the keep-alive connection")
        return status, body

    def close(self) -> None:
        self.writer.close()


class KeepAliveClient:
    """``await client.get(path)`` → (status, body) over a pool of ``size`` connections."""

    def __init__(self, base_url: str, headers: dict[str, str], size: int) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = headers
        self.size = size
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all: list[_Connection] = []

    async def open(self) -> None:
        for _ in range(self.size):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            conn = _Connection(reader, writer)
            self._all.append(conn)
            self._idle.put_nowait(conn)

    def build_get(self, path: str) -> bytes:
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        conn = await self._idle.get()
        try:
            result = await conn.request(raw)
        except BaseException:
            conn.close()  # a connection in an unknown state is not reused
            reader, writer = await asyncio.open_connection(self.host, self.port)
            conn = _Connection(reader, writer)
            self._all.append(conn)
            raise
        finally:
            self._idle.put_nowait(conn)
        return result

    async def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()
