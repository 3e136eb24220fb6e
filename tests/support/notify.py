"""Routing-shaped events published by the notify tests themselves, and reading inboxes
through notify's RPC methods."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

from devstack.stack import Stack
from tests.support.identity import connect
from tests.support.people import Org, Person
from tests.support.stacks import SyncRpc, settings_for


def envelope(
    event_type: str, org: Org, data: dict[str, Any], actor: Person | None = None
) -> dict[str, Any]:
    """An event as routing's outbox relay publishes it (services.common.events.EventEnvelope),
    valid for routing's contract: the fields a test leaves out are filled in."""
    from services.routing.events import EVENTS
    from tests.support.events import complete

    if event_type in EVENTS:
        data = complete(EVENTS[event_type], data)
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "routing",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "tenant_id": org.tenant_id,
        "actor_id": actor.id if actor else None,
        "request_id": f"test-{uuid.uuid4().hex[:8]}",
        "data": data,
    }


def task_data(
    *,
    unit_id: str,
    assignee: Person | None = None,
    roles: list[str] | None = None,
    title: str = "关于加强政务数据共享的通知",
    step: str = "division_sign",
    step_name: str = "处室签收",
    due_at: str | None = "2026-12-10T16:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    """The payload of ``task.created`` (services.routing.operations._open_task)."""
    return {
        "task_id": str(uuid.uuid4()),
        "document_id": str(uuid.uuid4()),
        "instance_id": str(uuid.uuid4()),
        "step": step,
        "step_name": step_name,
        "unit_id": unit_id,
        "assignee_id": assignee.id if assignee else None,
        "roles": roles if roles is not None else ["division_head", "handler"],
        "due_at": due_at,
        "due_provisional": False,
        "remind_at": None,
        "role_in_document": "lead",
        "title": title,
        "urgency": "normal",
        **extra,
    }


Publish = Callable[..., None]


def inbox(rpc: SyncRpc, person: Person, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = rpc.call(
        "notify", "list_notifications", context=person.ctx(), query={"limit": 200, **query}
    )
    return page


def about(rpc: SyncRpc, person: Person, task_id: str) -> list[dict[str, Any]]:
    """The person's notifications about one task."""
    return [n for n in inbox(rpc, person)["items"] if n["task_id"] == task_id]


def settle(seconds: float = 1.0) -> None:
    """Give a duplicate delivery the time it would need to show up."""
    time.sleep(seconds)


def consumed(stack: Stack, handler: str, event_id: str) -> bool:
    """Whether notify's ``handler`` has taken the event (its processed-events record; the
    first delivery of it, or a later one found it there)."""
    settings = settings_for(stack.env)
    with (
        connect(settings, settings.database_name("notify"), superuser=True) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(
            "SELECT 1 FROM processed_events WHERE handler = %s AND event_id = %s",
            (handler, event_id),
        )
        return cur.fetchone() is not None
