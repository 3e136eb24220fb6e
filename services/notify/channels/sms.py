"""SMS (短信) provider adapters: Aliyun SMS and a generic HTTP gateway.

Every provider has ``send(phone, text, message_key) -> ProviderResult`` and raises
:class:`~services.notify.channels.ChannelError` when the message was not accepted:
permanent when the provider refused the message itself (an invalid number, a template
or signature it rejects, a 4xx of the generic gateway), transient for timeouts, 5xx,
throttling and anything an operator can fix and replay (credentials, balance,
quotas). ``SMS_PROVIDER`` chooses the adapter (:func:`provider_from_settings`).

**Aliyun SMS (阿里云短信服务, dysmsapi ``SendSms``, API version 2017-05-25)** is the
real provider implemented here: the province's government cloud is commonly Aliyun's
政务云, where the SMS service is available on the same account, network and contract,
and Aliyun SMS is among the most widely used by Chinese government bodies for
notification texts (通知短信) with approved signatures (签名) and templates (模板).
``ALIYUN_SMS_ENDPOINT`` points it at the 政务云's own endpoint when it has one. The
request is Aliyun's RPC style with signature version 1.0: every parameter but
``Signature`` sorted by name, names and values percent-encoded (RFC 3986: only
``A-Z a-z 0-9 - _ . ~`` stay, a space is ``%20``), joined with ``=`` and ``&``; the
string to sign is ``POST&%2F&`` + the percent-encoded query; the signature is
Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)). The text goes into the
template's variable (``ALIYUN_SMS_TEMPLATE_PARAM``, default ``content``) as
``TemplateParam`` JSON; ``message_key`` goes as ``OutId``, which Aliyun hands back
in its delivery receipts. Aliyun answers ``{"Code": "OK", "BizId": ...}`` when it
took the message. SendSms is not idempotent: a timeout is transient although the
text may have gone out (at-least-once; ``OutId`` lets ops find it).

**The generic HTTP adapter** (``SMS_PROVIDER=http``, the default; locally the loopback
sink of ``devstack.sinks``) POSTs ``{"phone", "text", "message_key"}`` as JSON to
``SMS_HTTP_URL``, with ``Authorization: Bearer SMS_HTTP_TOKEN`` when a token is set:
a carrier's or a province's own SMS gateway behind a small adapter speaks it.
2xx is sent (the id from the answer's ``id``, if any), 408 and 429 are transient
like every 5xx and timeout, any other 4xx is permanent.

Both use httpx's synchronous client: under eventlet its sockets are green, so a
request waits without stalling the other greenthreads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from services.common.settings import Settings
from services.notify.channels import ChannelError, ProviderResult

ALIYUN_API_VERSION = "2017-05-25"
ALIYUN_REGION = "cn-hangzhou"

#: Aliyun answers that refuse the message itself: sending it again cannot succeed.
ALIYUN_PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # 非法手机号
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",  # 模板缺少变量
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",  # 模板不合法
        "isv.SMS_SIGNATURE_ILLEGAL",  # 签名不合法
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",  # 内容含禁止发送内容
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.EXTEND_CODE_ERROR",
    }
)
#: Named for the reader: these and every code not in ALIYUN_PERMANENT_CODES are
#: transient (throttling, quotas, balance, credentials, Aliyun's own errors).
ALIYUN_TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # 业务限流 (per number per minute/hour/day)
        "Throttling.User",
        "Throttling",
        "isv.DAY_LIMIT_CONTROL",
        "isv.MONTH_LIMIT_CONTROL",
        "isv.OUT_OF_SERVICE",  # 业务停机 (balance)
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
        "ServiceUnavailable",
        "InternalError",
    }
)


class SmsProvider(Protocol):
    """Hands one text to an SMS provider."""

    name: str

    def send(self, phone: str, text: str, message_key: str | None = None) -> ProviderResult:
        """The provider's id of the accepted message, or :class:`ChannelError`."""
        ...


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _client(url: str, timeout: float) -> httpx.Client:
    # a proxy from the environment applies to the internet, not to a loopback sink
    return httpx.Client(timeout=timeout, trust_env=not _is_loopback(url))


def _snippet(body: str, limit: int = 200) -> str:
    text = " ".join(body.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _transport_error(provider: str, exc: httpx.HTTPError) -> ChannelError:
    if isinstance(exc, httpx.TimeoutException):
        return ChannelError(False, f"{provider}: timeout ({type(exc).__name__})", code="timeout")
    return ChannelError(
        False, f"{provider}: {type(exc).__name__}: {exc}".rstrip(": "), code="unavailable"
    )


class _ClientHolder:
    """One httpx client per provider object (its connection pool), made on first use."""

    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _client(self._url, self._timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


# -- the generic HTTP gateway -------------------------------------------------------------------------


class HttpSmsProvider:
    """POSTs ``{"phone", "text", "message_key"}`` to a gateway (SMS_HTTP_URL)."""

    name = "http"

    def __init__(self, url: str, *, token: str = "", timeout: float = 5.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._http = _ClientHolder(url, timeout)

    def send(self, phone: str, text: str, message_key: str | None = None) -> ProviderResult:
        if not self.url:
            raise ChannelError(False, "SMS_HTTP_URL is not set", code="not_configured")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"phone": phone, "text": text, "message_key": message_key}
        try:
            response = self._http.get().post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _transport_error("SMS gateway", exc) from exc
        status = response.status_code
        if 200 <= status < 300:
            message_id = None
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("id") is not None:
                message_id = str(answer["id"])
            return ProviderResult(message_id)
        reason = f"SMS gateway answered {status}: {_snippet(response.text)}".rstrip(": ")
        permanent = 400 <= status < 500 and status not in (408, 429)
        raise ChannelError(permanent, reason, code=f"http {status}")

    def close(self) -> None:
        self._http.close()


# -- Aliyun SMS (阿里云短信服务) -------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """Aliyun's POP encoding of a name or value: UTF-8, RFC 3986 (``A-Z a-z 0-9 - _ .
    ~`` kept, a space is ``%20``, ``*`` is ``%2A``)."""
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: dict[str, str]) -> str:
    """The parameters but ``Signature``, sorted by name, encoded, joined with ``&``."""
    return "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )


def string_to_sign(method: str, params: dict[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def rpc_signature(method: str, params: dict[str, str], access_key_secret: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", string to sign)): signature version 1.0."""
    digest = hmac.new(
        (access_key_secret + "&").encode("utf-8"),
        string_to_sign(method, params).encode("utf-8"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def aliyun_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC, to the second: ``2017-07-12T02:42:19Z``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSmsProvider:
    """Aliyun SMS ``SendSms`` over its RPC HTTP API, one number per request."""

    name = "aliyun"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        *,
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        template_param: str = "content",
        timeout: float = 5.0,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.endpoint = endpoint
        self.template_param = template_param
        self.timeout = timeout
        self._http = _ClientHolder(endpoint, timeout)

    def request_params(
        self,
        phone: str,
        text: str,
        message_key: str | None = None,
        *,
        nonce: str | None = None,
        timestamp: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Every parameter of one SendSms request, ``Signature`` included."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": ALIYUN_REGION,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(
                {self.template_param: text}, ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": timestamp or aliyun_timestamp(),
            "Version": ALIYUN_API_VERSION,
        }
        if message_key:
            params["OutId"] = message_key
        params["Signature"] = rpc_signature(method, params, self.access_key_secret)
        return params

    def send(self, phone: str, text: str, message_key: str | None = None) -> ProviderResult:
        params = self.request_params(phone, text, message_key)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        try:
            response = self._http.get().post(
                self.endpoint,
                content=body.encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise _transport_error("Aliyun SMS", exc) from exc
        return self.result(response.status_code, response.text)

    @staticmethod
    def result(status: int, body: str) -> ProviderResult:
        """What Aliyun's answer means: ``Code == "OK"`` is sent (its ``BizId``);
        a code in :data:`ALIYUN_PERMANENT_CODES` is permanent; any other code, a
        5xx or an answer that is no JSON object is transient."""
        try:
            answer: Any = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not answer.get("Code"):
            raise ChannelError(
                False,
                f"Aliyun SMS answered {status} without a Code: {_snippet(body)}".rstrip(": "),
                code=f"http {status}",
            )
        code = str(answer["Code"])
        if code == "OK" and 200 <= status < 300:
            biz_id = answer.get("BizId")
            return ProviderResult(str(biz_id) if biz_id else None)
        message = str(answer.get("Message") or "")
        raise ChannelError(
            code in ALIYUN_PERMANENT_CODES,
            f"Aliyun SMS: {code} {message}".strip(),
            code=code,
        )

    def close(self) -> None:
        self._http.close()


def provider_from_settings(settings: Settings) -> HttpSmsProvider | AliyunSmsProvider:
    """The provider SMS_PROVIDER names, configured from the settings."""
    if settings.sms_provider == "aliyun":
        return AliyunSmsProvider(
            settings.aliyun_access_key_id,
            settings.aliyun_access_key_secret,
            settings.aliyun_sms_sign_name,
            settings.aliyun_sms_template_code,
            endpoint=settings.aliyun_sms_endpoint,
            template_param=settings.aliyun_sms_template_param,
            timeout=settings.sms_timeout,
        )
    return HttpSmsProvider(
        settings.sms_http_url, token=settings.sms_http_token, timeout=settings.sms_timeout
    )


__all__ = [
    "ALIYUN_PERMANENT_CODES",
    "AliyunSmsProvider",
    "HttpSmsProvider",
    "SmsProvider",
    "provider_from_settings",
    "rpc_signature",
    "string_to_sign",
]
