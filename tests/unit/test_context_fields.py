"""Context fields that end up in the trails (request id, client address) never exceed
what the columns hold, whoever sent them: cut, without control characters or lone
surrogates."""

from __future__ import annotations

from services.common.audit import AUDIT_LOG
from services.common.context import (
    CLIENT_IP,
    CLIENT_IP_MAX,
    REQUEST_ID,
    REQUEST_ID_MAX,
    CallContext,
    stored_text,
)


def test_the_limits_are_the_trail_columns() -> None:
    assert AUDIT_LOG.c.request_id.type.length == REQUEST_ID_MAX == 100
    assert AUDIT_LOG.c.client_ip.type.length == CLIENT_IP_MAX == 64


def test_a_context_from_any_producer_is_cut_to_what_is_stored() -> None:
    ctx = CallContext.from_context_data({REQUEST_ID: "r" * 120, CLIENT_IP: "2001:db8::" + "f" * 80})
    assert ctx.request_id == "r" * 100
    assert ctx.client_ip is not None and len(ctx.client_ip) == 64
    assert CallContext.from_context_data({REQUEST_ID: "ok-1"}).request_id == "ok-1"


def test_control_characters_and_lone_surrogates_are_not_stored() -> None:
    assert stored_text("a\x00b\r\nc", 100) == "abc"
    assert stored_text("x\ud800y", 100) == "x?y"
    assert stored_text("\x00\x01", 100) is None
    assert stored_text(None, 100) is None
    assert stored_text("  10.0.0.1 ", 64) == "10.0.0.1"
