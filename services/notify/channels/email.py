"""E-mail (电子邮件) through SMTP with ``aiosmtplib``.

One :meth:`EmailChannel.send` is one SMTP session: connect, EHLO, STARTTLS when
``SMTP_STARTTLS`` is on, AUTH when ``SMTP_USER`` is set, one message, QUIT. The
message is UTF-8 throughout: a Chinese subject is an RFC 2047 encoded word, the body
``text/plain; charset="utf-8"``, a Chinese display name in ``SMTP_FROM`` (``公文系统
<gongwen@example.gov.cn>``) is encoded likewise.

aiosmtplib is asyncio; notify's workers are eventlet greenthreads. :meth:`send` runs
the coroutine in a fresh event loop in a real OS thread (``eventlet.tpool``, as
identity hashes passwords), so an SMTP session waits without stalling the other
greenthreads of the process and asyncio never meets eventlet's patched modules in
the greenthread's own thread. Outside eventlet (tests, scripts) it runs the loop in
the caller's thread, or in a thread of its own when the caller already runs one;
asyncio callers use :meth:`send_async`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TypeVar

import aiosmtplib

from services.common.settings import Settings
from services.notify.channels import ChannelError

T = TypeVar("T")


def _one_line(value: str) -> str:
    """Header text on one line (a line break in a header would start a new header)."""
    return " ".join(value.split())


def mailbox(value: str) -> str:
    """The bare address of ``value`` (``名字 <a@b.cn>`` or ``a@b.cn``); raises a
    permanent :class:`ChannelError` when it is no address."""
    if "\r" in value or "\n" in value:
        raise ChannelError(True, f"not an e-mail address: {value!r}", code="invalid_address")
    _, addr = parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or " " in addr:
        raise ChannelError(True, f"not an e-mail address: {value!r}", code="invalid_address")
    return addr


def _error(exc: BaseException) -> ChannelError:
    """What an SMTP failure means for the message: a 5xx answer to the sender, a
    recipient or the data is permanent; a 4xx answer, a refused login (a
    configuration ops fix, then replay), a timeout or a lost connection is transient."""
    if isinstance(exc, ChannelError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        answers = [(r.code, r.recipient, r.message) for r in exc.recipients]
        permanent = all(500 <= code < 600 for code, _, _ in answers)
        code = answers[0][0] if answers else 0
        reason = "; ".join(f"{rcpt}: {code} {msg}" for code, rcpt, msg in answers)
        return ChannelError(permanent, f"recipient refused: {reason}", code=f"smtp {code}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return ChannelError(False, f"SMTP login refused: {exc.code} {exc.message}", code="auth")
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return ChannelError(False, f"SMTP timeout: {exc}", code="timeout")
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code > 0:
        return ChannelError(
            500 <= exc.code < 600,
            f"SMTP server answered {exc.code} {exc.message}",
            code=f"smtp {exc.code}",
        )
    if isinstance(exc, TimeoutError):
        return ChannelError(False, "SMTP timeout", code="timeout")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return ChannelError(False, f"SMTP server does not support it: {exc}", code="unsupported")
    return ChannelError(False, f"SMTP failed: {type(exc).__name__}: {exc}", code="unavailable")


def run_coroutine(factory: Callable[[], Awaitable[T]]) -> T:
    """Run ``factory()``'s coroutine to its end in a fresh event loop and return its
    result: in eventlet's thread pool in a monkey-patched process (the calling
    greenthread waits, the others run), else in this thread or, when this thread
    already runs a loop, in a thread of its own."""

    async def main() -> T:
        return await factory()

    def run() -> T:
        return asyncio.run(main())

    from eventlet import patcher

    if patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        result: T = tpool.execute(run)
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


class EmailChannel:
    """Sends plain-text e-mail through one SMTP server (SMTP_* settings)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.sender_address = mailbox(sender)
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        # EHLO name: this host's name (aiosmtplib's default, socket.getfqdn(), may
        # wait on a DNS lookup per message)
        self.local_hostname = socket.gethostname() or "localhost"

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel:
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            username=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )

    def build(self, to: str, subject: str, text: str, key: str | None = None) -> EmailMessage:
        """The message as it goes out, with its own ``Message-ID`` — made from ``key``
        when given (the same message sent again carries the same one)."""
        recipient = mailbox(to)
        message = EmailMessage()
        name, _ = parseaddr(self.sender)
        local, _, domain = self.sender_address.rpartition("@")
        message["From"] = Address(_one_line(name), local, domain) if name else self.sender_address
        message["To"] = recipient if parseaddr(to)[0] == "" else _one_line(to)
        message["Subject"] = _one_line(subject)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{key}@{domain}>" if key else make_msgid(domain=domain)
        message.set_content(text, charset="utf-8")
        return message

    async def send_async(self, to: str, subject: str, text: str, key: str | None = None) -> str:
        """Send one message; its ``Message-ID``, or :class:`ChannelError`."""
        message = self.build(to, subject, text, key)
        try:
            await aiosmtplib.send(
                message,
                sender=self.sender_address,
                recipients=[mailbox(to)],
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                start_tls=self.starttls,
                timeout=self.timeout,
                local_hostname=self.local_hostname,
            )
        except Exception as exc:
            raise _error(exc) from exc
        return str(message["Message-ID"])

    def send(self, to: str, subject: str, text: str, key: str | None = None) -> str:
        """Send one message (blocking only the calling greenthread); its
        ``Message-ID``, or :class:`ChannelError`. ``key``: an idempotency key."""
        return run_coroutine(lambda: self.send_async(to, subject, text, key))
