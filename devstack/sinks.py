"""Loopback sinks for notify's outbound channels: an SMTP server and an SMS gateway
that accept every message and keep it (in memory), for ``make run`` and the tests.

``python -m devstack.sinks --smtp-port N --http-port M`` runs both in one process:

- SMTP (``aiosmtpd``) on ``N``: takes any sender and recipient, AUTH with any
  login and password (without TLS), and every message. ``SMTP_HOST``/``SMTP_PORT``
  point notify at it.
- HTTP on ``M`` (stdlib ``http.server``, a thread per connection, keep-alive):
  ``POST /sms`` is the generic SMS adapter's gateway (``SMS_HTTP_URL`` =
  ``http://127.0.0.1:M/sms``: JSON ``{"phone", "text", "message_key"}``, answers
  ``{"id": ...}``); and what a developer and the tests read:

  - ``GET /messages`` — JSON list, oldest first, of ``{id, channel ("sms" |
    "email"), to, subject, text, message_key, received_at, ...}`` (e-mail also has
    ``from``, ``message_id``, ``smtp_user`` and ``raw``, the message as received);
    ``?channel=sms`` or ``?channel=email`` for one channel.
  - ``DELETE /messages`` — forget them all.
  - ``GET /stats`` — counts: ``{"sms", "email", "sms_refused", "email_refused"}``.
  - ``POST /control`` — how the sinks answer from now on, JSON with any of:
    ``fail`` (the next *n* ``POST /sms`` are answered with ``status``, default 503,
    and not kept), ``status``, ``delay_ms`` (every ``POST /sms`` answers this late,
    like a real provider), ``smtp_fail`` and ``smtp_code`` (the next *n* e-mails are
    refused at DATA with that code, default 451), ``reset`` (back to normal first).
    It answers the control state; ``GET /control`` reads it.
  - ``GET /healthz`` — 200.

:class:`SinkClient` reads and steers a running sink from Python (tests, benchmarks).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import itertools
import json
import logging
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Inbox:
    """What the sinks received and how they answer (shared by both servers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[JSON] = []
        self._ids = itertools.count(1)
        self.counts = {
            "sms": 0,
            "email": 0,
            "sms_refused": 0,
            "email_refused": 0,
            "duplicates": 0,
        }
        self.fail = 0
        self.status = 503
        self.delay_ms = 0
        self.smtp_fail = 0
        self.smtp_code = 451

    def keep(self, message: JSON) -> JSON:
        """Keep a message — once per idempotency key (a text's ``message_key``, an
        e-mail's ``Message-ID``), as a provider honouring the key would: a message sent
        again with the same key is answered as the first and counted as a duplicate."""
        with self._lock:
            key = message.get("message_key") or message.get("message_id")
            if key:
                for seen in self._messages:
                    if seen["channel"] == message["channel"] and key in (
                        seen.get("message_key"),
                        seen.get("message_id"),
                    ):
                        self.counts["duplicates"] += 1
                        return seen
            message = {"id": f"sink-{next(self._ids)}", **message, "received_at": _now()}
            self._messages.append(message)
            self.counts[message["channel"]] += 1
            return message

    def messages(self, channel: str | None = None) -> list[JSON]:
        with self._lock:
            return [m for m in self._messages if channel in (None, m["channel"])]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            for key in self.counts:
                self.counts[key] = 0

    def stats(self) -> JSON:
        with self._lock:
            return dict(self.counts)

    def take_failure(self, kind: str) -> int | None:
        """The status/code to refuse this ``sms`` or ``email`` with, if it must fail."""
        with self._lock:
            if kind == "sms" and self.fail > 0:
                self.fail -= 1
                self.counts["sms_refused"] += 1
                return self.status
            if kind == "email" and self.smtp_fail > 0:
                self.smtp_fail -= 1
                self.counts["email_refused"] += 1
                return self.smtp_code
            return None

    def control(self, change: JSON) -> JSON:
        with self._lock:
            if change.get("reset"):
                self.fail, self.status, self.delay_ms = 0, 503, 0
                self.smtp_fail, self.smtp_code = 0, 451
            if "fail" in change:
                self.fail = max(0, int(change["fail"]))
            if "status" in change:
                self.status = int(change["status"])
            if "delay_ms" in change:
                self.delay_ms = max(0, int(change["delay_ms"]))
            if "smtp_fail" in change:
                self.smtp_fail = max(0, int(change["smtp_fail"]))
            if "smtp_code" in change:
                self.smtp_code = int(change["smtp_code"])
            return self.state()

    def state(self) -> JSON:
        return {
            "fail": self.fail,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "smtp_fail": self.smtp_fail,
            "smtp_code": self.smtp_code,
        }


# -- SMTP -------------------------------------------------------------------------------------------------


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


class SmtpHandler:
    """aiosmtpd handler: keeps every message in the inbox, decoded."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        code = self.inbox.take_failure("email")
        if code is not None:
            return f"{code} sink told to refuse this message"
        raw: bytes = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = getattr(session, "auth_data", None)
        login = getattr(auth, "login", None)
        self.inbox.keep(
            {
                "channel": "email",
                "to": ", ".join(envelope.rcpt_tos),
                "from": envelope.mail_from,
                "subject": str(parsed.get("Subject", "")),
                "text": _text_of(parsed),
                "message_key": None,
                "message_id": str(parsed.get("Message-ID", "")) or None,
                "smtp_user": login.decode("utf-8", "replace") if login else None,
                "raw": raw.decode("utf-8", "replace"),
            }
        )
        return "250 OK message kept"


def _accept_any_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True, auth_data=data)


def start_smtp(inbox: Inbox, host: str, port: int) -> Any:
    """Start the SMTP sink in a thread of its own (aiosmtpd's Controller)."""
    from aiosmtpd.controller import Controller

    # aiosmtpd warns on every AUTH that a legacy attribute it sets itself is deprecated
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(
        SmtpHandler(inbox),
        hostname=host,
        port=port,
        authenticator=_accept_any_login,
        auth_require_tls=False,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller


# -- HTTP: the SMS gateway and the message list ----------------------------------------------------------------


class SinkHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen backlog: a burst of new connections is not reset

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that gave up waiting (its timeout) is no error of the sink's
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SinkHTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client's pool reuses its connections
    # one write per answer, sent at once (no Nagle + delayed-ACK stall of ~40 ms)
    wbufsize = -1
    disable_nagle_algorithm = True
    server_version = "GongwenSink/1"
    inbox: Inbox  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _answer(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw.decode("utf-8")) if raw else {}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/messages":
            channels = parse_qs(url.query).get("channel")
            channel = channels[0] if channels else None
            self._answer(200, self.inbox.messages(channel))
        elif url.path == "/stats":
            self._answer(200, self.inbox.stats())
        elif url.path == "/control":
            self._answer(200, self.inbox.state())
        elif url.path == "/healthz":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"error": "not found"})

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path == "/messages":
            self.inbox.clear()
            self._answer(204)
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        try:
            body = self._body()
        except (ValueError, UnicodeDecodeError):
            self._answer(400, {"error": "the body is no JSON"})
            return
        if path == "/sms":
            self._sms(body)
        elif path == "/control" and isinstance(body, dict):
            try:
                self._answer(200, self.inbox.control(body))
            except (TypeError, ValueError):
                self._answer(
                    400, {"error": "fail, status, delay_ms, smtp_fail, smtp_code: integers"}
                )
        else:
            self._answer(404, {"error": "not found"})

    def _sms(self, body: Any) -> None:
        delay = self.inbox.delay_ms
        if delay:
            time.sleep(delay / 1000)
        status = self.inbox.take_failure("sms")
        if status is not None:
            self._answer(status, {"error": "sink told to fail"})
            return
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("phone"), str)
            or not isinstance(body.get("text"), str)
            or not body["phone"].strip()
        ):
            self._answer(400, {"error": "phone and text (strings) are required"})
            return
        key = body.get("message_key")
        kept = self.inbox.keep(
            {
                "channel": "sms",
                "to": body["phone"],
                "subject": None,
                "text": body["text"],
                "message_key": str(key) if key is not None else None,
                "authorization": self.headers.get("Authorization"),
            }
        )
        self._answer(200, {"id": kept["id"]})


def start_http(inbox: Inbox, host: str, port: int) -> SinkHTTPServer:
    handler = type("Handler", (SinkHTTPHandler,), {"inbox": inbox})
    server = SinkHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="sms-sink", daemon=True).start()
    return server


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Sinks:
    """Both sinks in this process (``python -m devstack.sinks`` runs one); port 0:
    a free one."""

    def __init__(self, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0) -> None:
        self.host = host
        self.inbox = Inbox()
        self.http = start_http(self.inbox, host, http_port)
        self.http_port = int(self.http.server_address[1])
        self.smtp_port = smtp_port or _free_port(host)
        self.smtp = start_smtp(self.inbox, host, self.smtp_port)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def stop(self) -> None:
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()


# -- a client of a running sink ------------------------------------------------------------------------------


class SinkClient:
    """Reads and steers a running sink through its HTTP API (``api_url`` as
    ``http://127.0.0.1:M``)."""

    def __init__(self, api_url: str, timeout: float = 5.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, body: JSON | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        with self._opener.open(request, timeout=self.timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    @property
    def sms_url(self) -> str:
        """What SMS_HTTP_URL is set to for this sink."""
        return self.api_url + "/sms"

    def messages(self, channel: str | None = None) -> list[JSON]:
        result: list[JSON] = self._call(
            "GET", f"/messages?channel={channel}" if channel else "/messages"
        )
        return result

    def clear(self) -> None:
        self._call("DELETE", "/messages")

    def stats(self) -> JSON:
        result: JSON = self._call("GET", "/stats")
        return result

    def control(self, **change: Any) -> JSON:
        """E.g. ``control(fail=3, status=503)``, ``control(delay_ms=50)``, ``control(reset=True)``."""
        result: JSON = self._call("POST", "/control", change)
        return result

    def healthy(self) -> bool:
        try:
            return bool(self._call("GET", "/healthz")["status"] == "ok")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_for(self, count: int, channel: str | None = None, timeout: float = 10.0) -> list[JSON]:
        """The messages once at least ``count`` have arrived (of ``channel``), or
        TimeoutError with what did."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(channel)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} messages arrived in {timeout:g}s")
            time.sleep(0.05)


# -- the process --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def running(host: str, smtp_port: int, http_port: int) -> Iterator[Sinks]:
    sinks = Sinks(host, smtp_port, http_port)
    try:
        yield sinks
    finally:
        sinks.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.sinks", description="loopback SMTP and SMS sinks"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with running(args.host, args.smtp_port, args.http_port) as sinks:
        print(
            f"sinks: SMTP on {args.host}:{sinks.smtp_port}, SMS at {sinks.api_url}/sms, "
            f"messages at {sinks.api_url}/messages",
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
