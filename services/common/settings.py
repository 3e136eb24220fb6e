"""Settings from the environment (pydantic-settings).

Every process reads the same variables; each has a local default so that
`make run` works on a developer machine with nothing set. In production
(`GONGWEN_ENV=production`) the secrets have no default and must be given: a
process refuses to start while the platform administrator's password, the
application database password or a MinIO key is empty or a local default, or
while AMQP_URI has no credentials or RabbitMQ's ``guest:guest``; and while a
channel it is told to use lacks its credentials (``SMTP_USER`` without
``SMTP_PASSWORD``; ``SMS_PROVIDER=aliyun`` without the AccessKey pair, the sign
name or the template code).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_PLATFORM_ADMIN_PASSWORD = "gongwen-admin-local"
#: the object store keys of a developer machine (moto takes any); refused in production
LOCAL_MINIO_ACCESS_KEY = "gongwen"
LOCAL_MINIO_SECRET_KEY = "gongwen-secret"


def amqp_uses_default_credentials(uri: str) -> bool:
    """True when an AMQP URI names no user or password, or RabbitMQ's ``guest:guest``
    (what a client falls back to when the URI names none)."""
    parts = urlsplit(uri)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    return not user or not password or (user, password) == ("guest", "guest")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    gongwen_env: str = Field(default="local", description="local | test | production")

    # RabbitMQ (nameko RPC and events)
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    rpc_timeout: float = Field(default=10.0, gt=0, description="seconds before a call gives 504")
    outbox_retention_days: float = Field(
        default=7, gt=0, description="days a published event stays in a service's outbox"
    )
    processed_events_retention_days: float = Field(
        default=30,
        gt=0,
        description="days a consumer remembers an event it applied (redeliveries come within minutes)",
    )
    calendar_rpc_timeout: float = Field(
        default=120.0,
        gt=0,
        description="seconds the gateway waits for a calendar change (it recomputes every"
        " dependent open deadline in one transaction)",
    )
    broker_connect_timeout: float = Field(default=1.5, gt=0)

    # PostgreSQL: one database per service, named <db_prefix><service>
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_admin_user: str = "postgres"
    pg_admin_password: str = ""
    pg_app_user: str = "gongwen_app"
    pg_app_password: str = ""
    db_prefix: str = "gongwen_"
    db_pool_size: int = 10

    # Redis
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "gw:"

    # Object storage (MinIO in production; moto's S3 server locally)
    minio_endpoint: str = ""
    minio_access_key: str = LOCAL_MINIO_ACCESS_KEY
    minio_secret_key: str = LOCAL_MINIO_SECRET_KEY
    minio_secure: bool = False
    minio_bucket: str = "gongwen-scans"

    # E-mail (SMTP). Locally and in the tests the loopback sink that devstack starts.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_user: str = Field(default="", description="empty: no AUTH")
    smtp_password: str = ""
    smtp_starttls: bool = Field(default=False, description="STARTTLS before AUTH and the message")
    smtp_from: str = Field(
        default="公文系统 <gongwen@localhost>", description="From: of every notification e-mail"
    )
    smtp_timeout: float = Field(default=10.0, gt=0, description="seconds per SMTP step")

    # SMS (短信): a generic HTTP gateway (locally the loopback sink) or Aliyun SMS
    sms_provider: Literal["http", "aliyun"] = "http"
    sms_timeout: float = Field(default=5.0, gt=0, description="seconds per provider request")
    sms_http_url: str = Field(default="", description="the generic adapter POSTs JSON here")
    sms_http_token: str = Field(default="", description="bearer token of the generic adapter")
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    aliyun_sms_sign_name: str = Field(default="", description="签名, as approved by Aliyun")
    aliyun_sms_template_code: str = Field(default="", description="模板 CODE (SMS_...)")
    aliyun_sms_template_param: str = Field(
        default="content", description="the template's variable that takes the text"
    )
    # notify: which channel when (DESIGN 5), and the providers' rate limits
    notify_sms_unread_minutes: int = Field(
        default=30, ge=0, le=7 * 24 * 60, description="SMS only if still unread after this"
    )
    notify_quiet_hours: str = Field(
        default="22:00-07:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="no SMS (but 特急)"
    )
    notify_notice_unread_minutes: int = Field(
        default=120,
        ge=1,
        le=7 * 24 * 60,
        description="a notice's recipients still not reading it after this get an SMS to sign in",
    )
    notify_release_interval: float = Field(
        default=5.0, gt=0, description="seconds between passes over scheduled messages"
    )
    sms_rate_per_second: float = Field(default=10.0, ge=0, description="0: no limit")
    email_rate_per_second: float = Field(default=20.0, ge=0, description="0: no limit")

    # Identity
    platform_admin_username: str = "admin"
    platform_admin_password: str = ""
    access_token_ttl: int = Field(default=900, gt=0, description="seconds")
    refresh_token_ttl: int = Field(default=30 * 24 * 3600, gt=0, description="seconds")
    jwt_issuer: str = "gongwen-identity"
    login_fail_window: int = Field(default=900, gt=0, description="seconds")
    login_max_failures_account: int = Field(default=5, gt=0)
    login_max_failures_address: int = Field(default=20, gt=0)

    # Gateway
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    gateway_rate_limit_per_minute: int = Field(default=600, gt=0)
    upload_slots: int = Field(
        default=8, gt=0, description="uploads one gateway process streams at once (then 503)"
    )
    upload_deadline: float = Field(
        default=600.0, gt=0, description="seconds one upload request may take in all"
    )
    upload_idle_timeout: float = Field(
        default=30.0, gt=0, description="seconds an upload may send nothing (then 408)"
    )
    upload_retry_after: int = Field(
        default=5, gt=0, description="Retry-After (seconds) of a 503 uploads_busy"
    )

    # Prometheus: each service process serves /metrics on its own port (0 = off)
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    metrics_gauges_ttl: float = Field(
        default=30.0, ge=0, description="seconds a scrape's database gauges are reused"
    )

    log_level: str = "INFO"

    @field_validator("sms_provider", mode="before")
    @classmethod
    def _provider_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _secrets_in_production(self) -> Settings:
        if self.gongwen_env == "production":
            missing = self.default_secrets()
            incomplete = self.incomplete_channels()
            problems = []
            if missing:
                problems.append(
                    "in production every secret must be set and not be a local default: "
                    + ", ".join(missing)
                )
            if incomplete:
                problems.append("a channel in use lacks its settings: " + ", ".join(incomplete))
            if problems:
                raise ValueError("; ".join(problems))
        elif not self.platform_admin_password:
            self.platform_admin_password = LOCAL_PLATFORM_ADMIN_PASSWORD
        return self

    def default_secrets(self) -> list[str]:
        """The variables whose secret is empty or a well-known default (production refuses
        to start with any)."""
        out = []
        if not self.platform_admin_password.strip():
            out.append("PLATFORM_ADMIN_PASSWORD (empty)")
        if not self.pg_app_password.strip():
            out.append("PG_APP_PASSWORD (empty)")
        for name, value, default in (
            ("MINIO_ACCESS_KEY", self.minio_access_key, LOCAL_MINIO_ACCESS_KEY),
            ("MINIO_SECRET_KEY", self.minio_secret_key, LOCAL_MINIO_SECRET_KEY),
        ):
            if not value.strip():
                out.append(f"{name} (empty)")
            elif value == default:
                out.append(f"{name} (the local default)")
        if amqp_uses_default_credentials(self.amqp_uri):
            out.append("AMQP_URI (no user and password, or RabbitMQ's guest:guest)")
        if self.smtp_user.strip() and not self.smtp_password.strip():
            out.append("SMTP_PASSWORD (empty while SMTP_USER is set)")
        if self.sms_provider == "aliyun":
            for name, value in (
                ("ALIYUN_ACCESS_KEY_ID", self.aliyun_access_key_id),
                ("ALIYUN_ACCESS_KEY_SECRET", self.aliyun_access_key_secret),
            ):
                if not value.strip():
                    out.append(f"{name} (empty while SMS_PROVIDER=aliyun)")
        return out

    def incomplete_channels(self) -> list[str]:
        """Settings (not secrets) that the configured SMS provider cannot send without."""
        out = []
        if self.sms_provider == "aliyun":
            for name, value in (
                ("ALIYUN_SMS_SIGN_NAME", self.aliyun_sms_sign_name),
                ("ALIYUN_SMS_TEMPLATE_CODE", self.aliyun_sms_template_code),
                ("ALIYUN_SMS_ENDPOINT", self.aliyun_sms_endpoint),
            ):
                if not value.strip():
                    out.append(f"{name} (empty while SMS_PROVIDER=aliyun)")
        return out

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}{service}"

    def app_database_url(self, service: str) -> str:
        pw = f":{self.pg_app_password}" if self.pg_app_password else ""
        return (
            f"postgresql+psycopg2://{self.pg_app_user}{pw}@{self.pg_host}:{self.pg_port}/"
            f"{self.database_name(service)}"
        )

    def admin_database_url(self, database: str) -> str:
        pw = f":{self.pg_admin_password}" if self.pg_admin_password else ""
        return (
            f"postgresql+psycopg2://{self.pg_admin_user}{pw}@{self.pg_host}:{self.pg_port}/"
            f"{database}"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
