"""Documents sent through the platform (发送) for the browser tests: a sender's registry
registers a document with a real PDF and sends it to another tenant's registry, once
documents has heard of the recipient's registry (identity's events)."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import Office, ok, real_pdf, register, upload
from tests.support.waiting import eventually


def send_to(
    sender: Office, recipient: Office, title: str, *, unit: str = "文书处", **fields: Any
) -> dict[str, Any]:
    """Register ``title`` in ``sender``'s registry (with one PDF scan) and send it to
    ``recipient``'s ``unit``; the delivery (with ``inbox_item_id``) is returned."""
    clerk = sender["wenshu"]
    doc = register(clerk, title, **fields)
    ok(upload(clerk, doc["id"], ("正文.pdf", real_pdf("Sent through the platform"))), 201)
    body = {
        "recipients": [{"tenant_code": recipient.code, "unit_id": recipient.units[unit]}],
        "note": "请查收",
    }

    def sent() -> dict[str, Any] | None:
        response = clerk.post(f"/documents/{doc['id']}/send", json=body)
        if response.status_code == 404:  # documents has not heard of the unit yet
            return None
        out = ok(response, 201)
        return dict(out["deliveries"][0])

    return dict(eventually(sent, 20, "the delivery"))
