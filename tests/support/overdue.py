"""Overdue tenants of their own for the reminder, overdue and report flows, routing's
events read from a queue of the test's own, and documents registered and distributed
through the gateway."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from kombu import Queue

from services.common.vocabulary import SHANGHAI
from tests.support.gateway import Gateway, Office, Person, User, ok, register, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

SetClock = Callable[[dt.datetime], None]


#: (unit name) of the overdue tenants, and (username, full name, unit, roles)
UNITS = ("文书处", "电子政务处", "综合处")
STAFF = (
    ("wenshu", "张文书", "文书处", ["registrar"]),
    ("dz_ban1", "李承办", "电子政务处", ["handler"]),
    ("dz_ban2", "吴承办", "电子政务处", ["handler"]),
    ("dz_chu", "王处长", "电子政务处", ["division_head"]),
    ("zh_ban", "郑承办", "综合处", ["handler"]),
    ("zh_chu", "冯处长", "综合处", ["division_head"]),
)


def shanghai(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def build_office(gw: Gateway, platform_admin: User, name: str) -> Office:
    """A tenant of its own: a registry and two business divisions with their staff."""
    office = setup_office(gw, platform_admin, unique("cq"), name)
    for unit in UNITS:
        office.add_unit(unit)
    for username, full_name, unit, roles in STAFF:
        office.add_person(username, full_name, unit, roles)
    return office


class RoutingEvents:
    """What routing publishes, read from an exclusive queue bound to ``routing.events``."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        while (message := self.queue.get(no_ack=True)) is not None:
            self.seen.append(json.loads(message.body))
        return self.seen

    def of(self, event_type: str, **data: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in self.drain()
            if e["type"] == event_type and all(e["data"].get(k) == v for k, v in data.items())
        ]

    def wait(self, event_type: str, count: int = 1, **data: Any) -> list[dict[str, Any]]:
        return list(
            eventually(lambda: len(found := self.of(event_type, **data)) >= count and found)
        )


def new_document(
    office: Office, title: str, lead: str, *assisting: str, number: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """收文登记 and 分办 through the gateway: the document and its 处室签收 tasks."""
    registrar = office["wenshu"]
    fields = {"doc_number": number} if number else {}
    doc = register(registrar, title, **fields)
    out = ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute",
            json={
                "lead_unit_id": office.units[lead],
                "assisting_unit_ids": [office.units[u] for u in assisting],
            },
        )
    )
    return doc, list(out["tasks"])


def task_of(person: Person, task_id: str) -> dict[str, Any]:
    return dict(ok(person.get(f"/tasks/{task_id}")))
