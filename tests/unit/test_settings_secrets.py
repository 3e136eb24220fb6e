"""In production every process refuses to start while a secret is empty or a default:
the platform administrator's password, the application database password, the MinIO
keys, RabbitMQ credentials in AMQP_URI. The error names each one."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.common.settings import (
    LOCAL_MINIO_ACCESS_KEY,
    LOCAL_MINIO_SECRET_KEY,
    LOCAL_PLATFORM_ADMIN_PASSWORD,
    Settings,
)

GOOD: dict[str, Any] = {
    "gongwen_env": "production",
    "platform_admin_password": "Admin-7f3a9c",
    "pg_app_password": "db-2b8e11",
    "minio_access_key": "gongwen-prod",
    "minio_secret_key": "minio-5d0c77",
    "amqp_uri": "amqp://gongwen:mq-9a1f@rabbitmq:5672/",
}

SECRET_VARS = (
    "PLATFORM_ADMIN_PASSWORD",
    "PG_APP_PASSWORD",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
    "AMQP_URI",
)


@pytest.fixture(autouse=True)
def no_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SECRET_VARS, "GONGWEN_ENV"):
        monkeypatch.delenv(name, raising=False)


def refusal(**fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        Settings(**{**GOOD, **fields})
    return str(info.value)


def test_production_starts_with_every_secret_given() -> None:
    settings = Settings(**GOOD)
    assert settings.default_secrets() == []
    assert settings.minio_access_key == "gongwen-prod"


def test_production_with_nothing_set_names_every_missing_secret() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(gongwen_env="production")
    message = str(info.value)
    for name in SECRET_VARS:
        assert name in message, (name, message)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"platform_admin_password": ""}, "PLATFORM_ADMIN_PASSWORD (empty)"),
        ({"pg_app_password": ""}, "PG_APP_PASSWORD (empty)"),
        ({"pg_app_password": "   "}, "PG_APP_PASSWORD (empty)"),
        ({"minio_access_key": ""}, "MINIO_ACCESS_KEY (empty)"),
        ({"minio_access_key": LOCAL_MINIO_ACCESS_KEY}, "MINIO_ACCESS_KEY (the local default)"),
        ({"minio_secret_key": LOCAL_MINIO_SECRET_KEY}, "MINIO_SECRET_KEY (the local default)"),
        ({"amqp_uri": "amqp://guest:guest@rabbitmq:5672/"}, "AMQP_URI"),
        ({"amqp_uri": "amqp://rabbitmq:5672/"}, "AMQP_URI"),  # a client falls back to guest
        ({"amqp_uri": "amqp://gongwen@rabbitmq:5672/"}, "AMQP_URI"),  # no password
    ],
)
def test_production_refuses_each_empty_or_default_secret_by_name(
    fields: dict[str, Any], named: str
) -> None:
    message = refusal(**fields)
    assert named in message
    others = [name for name in SECRET_VARS if name not in named]
    assert not any(name in message for name in others), message  # only the culprit


def test_a_guest_user_with_a_real_password_is_not_the_default() -> None:
    assert Settings(**{**GOOD, "amqp_uri": "amqp://guest:Zq81-x@rabbitmq:5672/"})


def test_local_runs_keep_their_defaults() -> None:
    settings = Settings(gongwen_env="local")
    assert settings.platform_admin_password == LOCAL_PLATFORM_ADMIN_PASSWORD
    assert settings.minio_access_key == LOCAL_MINIO_ACCESS_KEY
    assert settings.amqp_uri.startswith("amqp://guest:guest@")
