"""The Aliyun SMS adapter (阿里云短信服务 SendSms): its RPC signature against the worked
example in Aliyun's SMS documentation, and whole requests against a stand-in of the
API on loopback that checks each request's signature as Aliyun does and answers with
Aliyun's codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from pydantic import ValidationError

from services.common.settings import Settings
from services.notify.channels import ChannelError, ProviderResult
from services.notify.channels.sms import (
    AliyunSmsProvider,
    percent_encode,
    provider_from_settings,
    rpc_signature,
    string_to_sign,
)

# Aliyun's worked example (SMS "HTTP 协议及签名"): AccessKeyId testId, AccessKeySecret
# testSecret, these parameters, a GET request.
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8"
    "%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0"
    "%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A"
    "%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
DOC_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_signature_of_aliyuns_documented_example() -> None:
    assert string_to_sign("GET", DOC_PARAMS) == DOC_STRING_TO_SIGN
    assert rpc_signature("GET", DOC_PARAMS, "testSecret") == DOC_SIGNATURE
    # Signature itself never takes part in what is signed
    assert rpc_signature("GET", {**DOC_PARAMS, "Signature": "x"}, "testSecret") == DOC_SIGNATURE


def test_percent_encoding_follows_aliyuns_rules() -> None:
    assert percent_encode("a b") == "a%20b"  # not "+"
    assert percent_encode("*") == "%2A"
    assert percent_encode("~-_.AZaz09") == "~-_.AZaz09"
    assert percent_encode("/=&+:") == "%2F%3D%26%2B%3A"
    assert percent_encode("公") == "%E5%85%AC"


def provider(secret: str = "gw-secret", endpoint: str = "http://127.0.0.1:9/") -> AliyunSmsProvider:
    return AliyunSmsProvider(
        "LTAI-gongwen",
        secret,
        "浙江省人民政府办公厅",
        "SMS_480000001",
        endpoint=endpoint,
        timeout=3,
    )


def test_a_sendsms_request_carries_every_parameter_signed() -> None:
    params = provider().request_params(
        "13800138000",
        "您有一件特急公文待办，请及时办理。",
        "notif-7:sms",
        nonce="f0e1d2c3",
        timestamp="2026-03-12T01:02:03Z",
    )
    assert params["Action"] == "SendSms"
    assert params["Version"] == "2017-05-25"
    assert params["SignatureMethod"] == "HMAC-SHA1"
    assert params["SignatureVersion"] == "1.0"
    assert params["SignatureNonce"] == "f0e1d2c3"
    assert params["Timestamp"] == "2026-03-12T01:02:03Z"
    assert params["AccessKeyId"] == "LTAI-gongwen"
    assert params["PhoneNumbers"] == "13800138000"
    assert params["SignName"] == "浙江省人民政府办公厅"
    assert params["TemplateCode"] == "SMS_480000001"
    assert json.loads(params["TemplateParam"]) == {"content": "您有一件特急公文待办，请及时办理。"}
    assert params["OutId"] == "notif-7:sms"
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    assert params["Signature"] == rpc_signature("POST", unsigned, "gw-secret")
    # a fresh nonce and the current UTC time when none is given
    a, b = provider().request_params("1", "x"), provider().request_params("1", "x")
    assert a["SignatureNonce"] != b["SignatureNonce"]
    sent_at = datetime.strptime(a["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60


# -- a stand-in of the API on loopback ---------------------------------------------------------------------

SECRETS = {"LTAI-gongwen": "gw-secret"}


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    """The server's own reckoning (written apart from the adapter's)."""
    canonical = urlencode(sorted(params.items()), quote_via=quote, safe="~")
    to_sign = "&".join((method, quote("/", safe=""), quote(canonical, safe="~")))
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class AliyunStandIn(BaseHTTPRequestHandler):
    """Answers SendSms like Aliyun: 400 SignatureDoesNotMatch for a bad signature, a
    business code by the number, ``{"Code": "OK", "BizId"}`` otherwise."""

    nonces: set[str] = set()
    requests: list[dict[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def answer(self, status: int, body: dict[str, Any] | str) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
        params = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
        self.requests.append(params)
        signature = params.pop("Signature", "")
        secret = SECRETS.get(params.get("AccessKeyId", ""))
        if secret is None:
            return self.answer(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "?"})
        if signature != aliyun_signature("POST", params, secret):
            return self.answer(400, {"Code": "SignatureDoesNotMatch", "Message": "bad"})
        if params["SignatureNonce"] in self.nonces:
            return self.answer(400, {"Code": "SignatureNonceUsed", "Message": "replay"})
        self.nonces.add(params["SignatureNonce"])
        assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
        datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        phone = params["PhoneNumbers"]
        if phone == "13900000000":
            return self.answer(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "业务限流"})
        if phone == "13700000000":
            return self.answer(503, "<html>Service Unavailable</html>")
        if not (phone.isdigit() and len(phone) == 11):
            return self.answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        if "content" not in json.loads(params["TemplateParam"]):
            return self.answer(200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "缺参"})
        biz_id = f"9001{len(self.requests):04d}^0"
        self.answer(200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "R1"})


@pytest.fixture()
def aliyun() -> Iterator[str]:
    AliyunStandIn.nonces = set()
    AliyunStandIn.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), AliyunStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def configured(monkeypatch: pytest.MonkeyPatch, endpoint: str, secret: str = "gw-secret") -> Any:
    """The provider notify gets from the environment."""
    for name, value in {
        "SMS_PROVIDER": "aliyun",
        "ALIYUN_SMS_ENDPOINT": endpoint,
        "ALIYUN_ACCESS_KEY_ID": "LTAI-gongwen",
        "ALIYUN_ACCESS_KEY_SECRET": secret,
        "ALIYUN_SMS_SIGN_NAME": "浙江省人民政府办公厅",
        "ALIYUN_SMS_TEMPLATE_CODE": "SMS_480000001",
    }.items():
        monkeypatch.setenv(name, value)
    result = provider_from_settings(Settings())
    assert isinstance(result, AliyunSmsProvider)
    return result


def test_aliyun_accepting_a_message_is_sent_with_its_bizid(
    aliyun: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = configured(monkeypatch, aliyun)
    result = sms.send(
        "13800138000", "您有一件特急公文待办：关于春节值班安排的通知。", "notif-1:sms"
    )
    assert result == ProviderResult("90010001^0")
    [request] = AliyunStandIn.requests
    assert request["OutId"] == "notif-1:sms"
    assert request["SignName"] == "浙江省人民政府办公厅"
    assert json.loads(request["TemplateParam"]) == {
        "content": "您有一件特急公文待办：关于春节值班安排的通知。"
    }
    # a second message has a nonce of its own (the stand-in refuses a replay)
    assert sms.send("13800138000", "第二条", "notif-2:sms").message_id == "90010002^0"


def test_aliyun_refusing_the_number_or_template_is_permanent(
    aliyun: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = configured(monkeypatch, aliyun)
    with pytest.raises(ChannelError) as illegal:
        sms.send("1380013", "text", "k1")
    assert illegal.value.permanent
    assert illegal.value.code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert "非法手机号" in illegal.value.reason

    monkeypatch.setenv("ALIYUN_SMS_TEMPLATE_PARAM", "name")
    other_template = provider_from_settings(Settings())
    with pytest.raises(ChannelError) as missing:
        other_template.send("13800138000", "text", "k2")
    assert missing.value.permanent and missing.value.code == "isv.TEMPLATE_MISSING_PARAMETERS"


def test_aliyun_throttling_a_5xx_or_a_bad_signature_is_transient(
    aliyun: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = configured(monkeypatch, aliyun)
    with pytest.raises(ChannelError) as throttled:
        sms.send("13900000000", "text", "k1")
    assert not throttled.value.permanent and throttled.value.code == "isv.BUSINESS_LIMIT_CONTROL"

    with pytest.raises(ChannelError) as unavailable:
        sms.send("13700000000", "text", "k2")
    assert not unavailable.value.permanent and unavailable.value.code == "http 503"

    wrong_secret = configured(monkeypatch, aliyun, secret="not-the-secret")
    with pytest.raises(ChannelError) as unsigned:
        wrong_secret.send("13800138000", "text", "k3")
    # a configuration ops fix, then replay: not the message's fault
    assert not unsigned.value.permanent and unsigned.value.code == "SignatureDoesNotMatch"


def test_aliyun_unreachable_is_transient() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChannelError) as down:
        provider(endpoint=f"http://127.0.0.1:{port}/").send("13800138000", "text")
    assert not down.value.permanent


# -- settings ----------------------------------------------------------------------------------------------

PRODUCTION: dict[str, Any] = {
    "gongwen_env": "production",
    "platform_admin_password": "Admin-7f3a9c",
    "pg_app_password": "db-2b8e11",
    "minio_access_key": "gongwen-prod",
    "minio_secret_key": "minio-5d0c77",
    "amqp_uri": "amqp://gongwen:mq-9a1f@rabbitmq:5672/",
}


def test_production_refuses_aliyun_sms_without_its_keys_sign_name_or_template() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**PRODUCTION, sms_provider="aliyun", aliyun_access_key_id="LTAI-x")
    refusal = str(info.value)
    for name in ("ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"):
        assert name in refusal
    assert "ALIYUN_ACCESS_KEY_ID" not in refusal
    complete = Settings(
        **PRODUCTION,
        sms_provider="ALIYUN",
        aliyun_access_key_id="LTAI-x",
        aliyun_access_key_secret="s",
        aliyun_sms_sign_name="浙江省人民政府办公厅",
        aliyun_sms_template_code="SMS_1",
    )
    assert complete.sms_provider == "aliyun"


def test_production_refuses_an_smtp_login_without_a_password() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**PRODUCTION, smtp_user="notify")
    assert "SMTP_PASSWORD" in str(info.value)
    assert Settings(**PRODUCTION, smtp_user="notify", smtp_password="pw").smtp_user == "notify"
