"""Pure rules of the shared kernel: call context, error transport, settings."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from services.common.context import CallContext
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RemoteError,
    error_from_remote,
)
from services.common.settings import LOCAL_PLATFORM_ADMIN_PASSWORD, Settings


def test_call_context_survives_the_trip_through_amqp_headers():
    ctx = CallContext(
        tenant_id=uuid.uuid4(),
        tenant_code="gz",
        user_id=uuid.uuid4(),
        username="wenshu1",
        roles=frozenset({"registrar", "handler"}),
        org_unit_id=uuid.uuid4(),
        request_id="req-1",
        client_ip="127.0.0.1",
    )
    assert CallContext.from_context_data(ctx.to_context_data()) == ctx


def test_forged_or_garbled_ids_in_context_count_as_absent():
    ctx = CallContext.from_context_data({"user_id": "not-a-uuid", "roles": ""})
    assert ctx.user_id is None and ctx.roles == frozenset()
    with pytest.raises(Exception) as err:
        ctx.require_user()
    assert getattr(err.value, "code", "") == "not_authenticated"


def test_role_check_names_the_roles_needed():
    ctx = CallContext(user_id=uuid.uuid4(), roles=frozenset({"handler"}))
    ctx.require_any_role("handler", "registrar")
    with pytest.raises(Forbidden) as err:
        ctx.require_any_role("tenant_admin")
    assert err.value.code == "role_required" and "tenant_admin" in err.value.message


@pytest.mark.parametrize(
    ("cls", "status"), [(InvalidInput, 422), (NotFound, 404), (Conflict, 409), (Forbidden, 403)]
)
def test_typed_errors_keep_their_code_across_rpc(cls, status):
    original = cls("some_code", "what went wrong")
    payload = {"exc_type": cls.__name__, "exc_args": list(original.args), "value": str(original)}
    rebuilt = error_from_remote(payload)
    assert type(rebuilt) is cls
    assert (rebuilt.code, rebuilt.message, rebuilt.http_status) == (
        "some_code",
        "what went wrong",
        status,
    )


def test_unexpected_remote_errors_stay_unexpected():
    rebuilt = error_from_remote({"exc_type": "KeyError", "exc_args": ["x"], "value": "'x'"})
    assert isinstance(rebuilt, RemoteError)


def test_production_requires_a_platform_admin_password(monkeypatch):
    monkeypatch.delenv("PLATFORM_ADMIN_PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="PLATFORM_ADMIN_PASSWORD"):
        Settings(gongwen_env="production")
    assert Settings(gongwen_env="local").platform_admin_password == LOCAL_PLATFORM_ADMIN_PASSWORD
