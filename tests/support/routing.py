"""Acting on routing through its RPC methods (register, distribute, act, the lists) and
reading the events it publishes, for the routing test suite."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kombu import Queue

from tests.support.people import Division, Org, Person
from tests.support.stacks import SyncRpc
from tests.support.waiting import eventually


def register(
    rpc: SyncRpc, org: Org, title: str = "关于加强政务数据共享的通知", urgency: str = "normal"
) -> str:
    """Register a document with documents and wait for routing's 分办 task."""
    assert org.registrar is not None
    doc = rpc.call(
        "documents",
        "register_document",
        context=org.registrar.ctx(),
        document={
            "title": title,
            "source_org": "国务院办公厅",
            "doc_number": f"国办发〔2026〕{uuid.uuid4().int % 1000}号",
            "received_date": "2026-11-20",
            "urgency": urgency,
        },
    )
    document_id = str(doc["id"])
    eventually(
        lambda: rpc.call(
            "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
        ),
        what=f"routing to open the distribution task of {document_id}",
    )
    return document_id


class EventLog:
    """Every event routing publishes, read from a queue bound to ``routing.events``."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.seen: list[dict[str, Any]] = []

    def _drain(self) -> None:
        while (message := self.queue.get(no_ack=True)) is not None:
            self.seen.append(json.loads(message.body))

    def of(self, document_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        self._drain()
        return [
            e
            for e in self.seen
            if e["data"].get("document_id") == document_id
            and (event_type is None or e["type"] == event_type)
        ]

    def wait(
        self, document_id: str, event_type: str, count: int = 1, timeout: float = 15
    ) -> list[dict[str, Any]]:
        return list(
            eventually(
                lambda: (found := self.of(document_id, event_type))
                and len(found) >= count
                and found,
                timeout,
                f"{count} {event_type} of {document_id}",
            )
        )


def todo(rpc: SyncRpc, person: Person, **query: Any) -> list[dict[str, Any]]:
    page = rpc.call("routing", "list_todo", context=person.ctx(), query=query)
    return list(page["items"])


def act(
    rpc: SyncRpc, person: Person, task_id: str, ctx: dict[str, str] | None = None, **action: Any
) -> dict[str, Any]:
    result: dict[str, Any] = rpc.call(
        "routing", "act", context=ctx or person.ctx(), task_id=task_id, action=action
    )
    return result


def the_task(tasks: list[dict[str, Any]], document_id: str) -> dict[str, Any]:
    [task] = [t for t in tasks if t["document_id"] == document_id]
    return task


def route(rpc: SyncRpc, org: Org, document_id: str) -> list[dict[str, Any]]:
    assert org.registrar is not None
    tasks: list[dict[str, Any]] = rpc.call(
        "routing", "document_tasks", context=org.registrar.ctx(), document_id=document_id
    )
    return tasks


def distribute(
    rpc: SyncRpc, org: Org, document_id: str, lead: Division, *assisting: Division
) -> dict[str, Any]:
    assert org.registrar is not None
    result: dict[str, Any] = rpc.call(
        "routing",
        "distribute",
        context=org.registrar.ctx(),
        distribution={
            "document_id": document_id,
            "lead_unit_id": lead.id,
            "assisting_unit_ids": [d.id for d in assisting],
        },
    )
    return result


def at_review(
    rpc: SyncRpc, org: Org, division: Division, **register_args: Any
) -> tuple[str, dict[str, Any]]:
    """A new document distributed to ``division``, signed and proposed by its handler:
    the division_review task, pooled to the division heads."""
    document_id = register(rpc, org, **register_args)
    [sign] = distribute(rpc, org, document_id, division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    [review] = act(rpc, division.handler, propose["id"], action="propose", opinion="拟办")[
        "next_tasks"
    ]
    return document_id, review
