"""notify's outbound channels against the loopback sinks, for real: ``python -m
devstack.sinks`` runs as its own process on loopback (as ``make run`` and the test
stacks start it), the e-mail channel speaks SMTP to it with aiosmtplib, the generic
SMS adapter POSTs to it with httpx, and the tests read what arrived through the
sink's HTTP API. No broker or database is needed: the channels are pure transport.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import pytest

from devstack.sinks import SinkClient
from devstack.stack import ROOT, free_port, port_open, wait_for
from services.common.settings import Settings
from services.notify.channels import ChannelError, ProviderResult
from services.notify.channels.email import EmailChannel
from services.notify.channels.sms import HttpSmsProvider, provider_from_settings

SENDER = "公文系统 <gongwen@example.gov.cn>"
SUBJECT = "关于召开全省公文处理工作会议的通知（特急）"
BODY = (
    "各市、县（区）人民政府办公室：\n"
    "定于2026年3月12日上午9时在省政府三楼会议室召开全省公文处理工作会议，请准时参加。\n"
    "联系人：王芳，电话：0571-87050000。\n"
)


@dataclass
class RunningSinks:
    client: SinkClient
    smtp_port: int


@pytest.fixture(scope="module")
def sinks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSinks]:
    smtp_port, http_port = free_port(), free_port()
    log = (tmp_path_factory.mktemp("sinks") / "sinks.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack.sinks",
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(http_port),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = SinkClient(f"http://127.0.0.1:{http_port}")
    try:
        # the HTTP side answers before aiosmtpd listens: wait for both, as the stack does
        wait_for(lambda: client.healthy() and port_open("127.0.0.1", smtp_port), 20, "the sinks")
        yield RunningSinks(client, smtp_port)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture()
def sink(sinks: RunningSinks) -> RunningSinks:
    sinks.client.clear()
    sinks.client.control(reset=True)
    return sinks


def channel(sink: RunningSinks, **kwargs: Any) -> EmailChannel:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=sink.smtp_port,
        smtp_from=SENDER,
        smtp_timeout=5,
        **kwargs,
    )
    return EmailChannel.from_settings(settings)


def sms_provider(sink: RunningSinks, **kwargs: Any) -> HttpSmsProvider:
    settings = Settings(sms_provider="http", sms_http_url=sink.client.sms_url, **kwargs)
    provider = provider_from_settings(settings)
    assert isinstance(provider, HttpSmsProvider)
    return provider


# -- e-mail ---------------------------------------------------------------------------------------------


def test_an_email_with_a_chinese_subject_and_body_arrives_intact(sink: RunningSinks) -> None:
    mail = channel(sink, smtp_user="notify", smtp_password="mail-pw")
    message_id = mail.send("张三 <zhangsan@example.gov.cn>", SUBJECT, BODY)

    [kept] = sink.client.wait_for(1, "email")
    assert kept["to"] == "zhangsan@example.gov.cn"  # the envelope recipient
    assert kept["from"] == "gongwen@example.gov.cn"
    assert kept["smtp_user"] == "notify"  # logged in with SMTP_USER
    # decode the message as it went over the wire, independently of the sink's reading
    received = email.message_from_string(kept["raw"], policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    assert received["Subject"] == SUBJECT
    assert received["Message-ID"] == message_id
    assert parseaddr(str(received["From"])) == ("公文系统", "gongwen@example.gov.cn")
    assert parseaddr(str(received["To"])) == ("张三", "zhangsan@example.gov.cn")
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content().replace("\r\n", "\n") == BODY
    # the wire itself is ASCII headers: the Chinese subject is an encoded word
    raw_headers = kept["raw"].split("\n\n", 1)[0]
    assert "=?utf-8?" in raw_headers and "公文" not in raw_headers


def test_the_smtp_server_refusing_a_message_is_transient_for_4xx_permanent_for_5xx(
    sink: RunningSinks,
) -> None:
    mail = channel(sink)
    sink.client.control(smtp_fail=1, smtp_code=451)
    with pytest.raises(ChannelError) as busy:
        mail.send("lisi@example.gov.cn", SUBJECT, BODY)
    assert not busy.value.permanent and busy.value.code == "smtp 451"

    sink.client.control(smtp_fail=1, smtp_code=550)
    with pytest.raises(ChannelError) as refused:
        mail.send("lisi@example.gov.cn", SUBJECT, BODY)
    assert refused.value.permanent and refused.value.code == "smtp 550"

    mail.send("lisi@example.gov.cn", SUBJECT, BODY)  # the server takes mail again
    assert [m["to"] for m in sink.client.messages("email")] == ["lisi@example.gov.cn"]
    assert sink.client.stats()["email_refused"] == 2


def test_an_smtp_server_that_is_down_is_transient(sink: RunningSinks) -> None:
    closed = free_port()
    mail = EmailChannel("127.0.0.1", closed, SENDER, timeout=2)
    with pytest.raises(ChannelError) as down:
        mail.send("lisi@example.gov.cn", SUBJECT, BODY)
    assert not down.value.permanent


def test_an_address_that_is_none_is_permanent_and_nothing_is_sent(sink: RunningSinks) -> None:
    mail = channel(sink)
    for address in ("王五", "wangwu@", "a@b.cn\r\nBcc: x@y.cn"):
        with pytest.raises(ChannelError) as invalid:
            mail.send(address, SUBJECT, BODY)
        assert invalid.value.permanent, address
    assert sink.client.messages("email") == []


# -- SMS through the generic HTTP adapter ------------------------------------------------------------------


def test_the_generic_sms_adapter_delivers_to_the_sink(sink: RunningSinks) -> None:
    provider = sms_provider(sink, sms_http_token="gw-token")
    text = (
        "【省政府办公厅】您有一件特急公文待办：关于召开全省公文处理工作会议的通知，请及时登录办理。"
    )
    result = provider.send("13800138000", text, "notif-42:sms")

    [kept] = sink.client.messages("sms")
    assert result == ProviderResult(kept["id"])  # the id the gateway answered
    assert kept["to"] == "13800138000"
    assert kept["text"] == text
    assert kept["message_key"] == "notif-42:sms"
    assert kept["authorization"] == "Bearer gw-token"
    assert kept["received_at"].endswith("Z")


def test_a_gateway_told_to_fail_gives_transient_errors_then_sends(sink: RunningSinks) -> None:
    provider = sms_provider(sink)
    sink.client.control(fail=3, status=503)
    for _ in range(3):
        with pytest.raises(ChannelError) as unavailable:
            provider.send("13800138000", "催办：请尽快签收。", "urge-1:sms")
        assert not unavailable.value.permanent
        assert unavailable.value.code == "http 503"
    assert provider.send("13800138000", "催办：请尽快签收。", "urge-1:sms").message_id
    assert [m["message_key"] for m in sink.client.messages("sms")] == ["urge-1:sms"]
    assert sink.client.stats()["sms_refused"] == 3


def test_a_4xx_is_permanent_but_throttling_is_not(sink: RunningSinks) -> None:
    provider = sms_provider(sink)
    sink.client.control(fail=1, status=400)
    with pytest.raises(ChannelError) as bad:
        provider.send("13800138000", "text", "k-400")
    assert bad.value.permanent and bad.value.code == "http 400"

    sink.client.control(fail=1, status=429)
    with pytest.raises(ChannelError) as throttled:
        provider.send("13800138000", "text", "k-429")
    assert not throttled.value.permanent

    # the sink's own refusal of a message without a number is a 4xx too
    with pytest.raises(ChannelError) as no_number:
        provider.send("  ", "text", "k-blank")
    assert no_number.value.permanent
    assert sink.client.messages("sms") == []


def test_a_slow_gateway_answers_late_and_past_the_timeout_is_transient(
    sink: RunningSinks,
) -> None:
    sink.client.control(delay_ms=50)
    provider = sms_provider(sink)
    started = time.monotonic()
    provider.send("13800138000", "到期提醒", "k-slow")
    assert time.monotonic() - started >= 0.05

    sink.client.control(delay_ms=800)
    impatient = sms_provider(sink, sms_timeout=0.2)
    with pytest.raises(ChannelError) as late:
        impatient.send("13800138000", "到期提醒", "k-late")
    assert not late.value.permanent and late.value.code == "timeout"
    # the gateway got it all the same, late: a timeout is "maybe sent" (at-least-once)
    assert sink.client.wait_for(2, "sms")[-1]["message_key"] == "k-late"


def test_an_sms_gateway_that_is_not_configured_or_down_is_transient(sink: RunningSinks) -> None:
    with pytest.raises(ChannelError) as unset:
        HttpSmsProvider("").send("13800138000", "text")
    assert not unset.value.permanent and unset.value.code == "not_configured"

    down = HttpSmsProvider(f"http://127.0.0.1:{free_port()}/sms", timeout=2)
    with pytest.raises(ChannelError) as refused:
        down.send("13800138000", "text")
    assert not refused.value.permanent


# -- as notify runs them: in an eventlet-patched process ----------------------------------------------------

EVENTLET_SCRIPT = """
import json, sys, warnings
warnings.filterwarnings("ignore", message=r"\\s*Eventlet is deprecated")
import eventlet
eventlet.monkey_patch()
from services.common.settings import Settings
from services.notify.channels.email import EmailChannel
from services.notify.channels.sms import provider_from_settings

settings = Settings()
mail, sms = EmailChannel.from_settings(settings), provider_from_settings(settings)
pool = eventlet.GreenPool(8)
ids = list(pool.imap(lambda i: mail.send(f"user{i}@example.gov.cn", f"待办提醒 {i}", "请登录办理。"), range(8)))
results = list(pool.imap(lambda i: sms.send("13800138000", f"待办提醒 {i}", f"k{i}").message_id, range(8)))
print(json.dumps({"emails": ids, "sms": results}))
"""


def test_both_channels_work_from_eventlet_greenthreads(sink: RunningSinks) -> None:
    """notify's workers are greenthreads: e-mail runs its asyncio client in eventlet's
    thread pool, SMS uses green sockets; eight of each at once all arrive."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.smtp_port),
        "SMS_PROVIDER": "http",
        "SMS_HTTP_URL": sink.client.sms_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", EVENTLET_SCRIPT],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sent = json.loads(done.stdout.strip().splitlines()[-1])
    emails = sink.client.messages("email")
    assert sorted(m["message_id"] for m in emails) == sorted(sent["emails"])
    assert {m["subject"] for m in emails} == {f"待办提醒 {i}" for i in range(8)}
    assert sorted(m["id"] for m in sink.client.messages("sms")) == sorted(sent["sms"])
