"""The lists every user sees: to-do (待办) most urgent first then newest, with paging
and the red overdue flag; done (已办) newest first; documents to read (待阅) unread first."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.support.people import Org, Person
from tests.support.routing import act, distribute, register, todo
from tests.support.stacks import SyncRpc


def _page(rpc: SyncRpc, method: str, person: Person, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = rpc.call("routing", method, context=person.ctx(), query=query)
    return page


def _set_times(engine: Engine, task_id: str, **times: dt.datetime) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in times)
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE tasks SET {assignments} WHERE id = :id"), {"id": task_id, **times}
        )


def test_todo_is_most_urgent_first_then_newest_and_pages(
    rpc: SyncRpc, org: Org, routing_db: Engine
):
    division = org.division()
    docs = {}
    for name, urgency in [
        ("old-normal", "normal"),
        ("extra", "extra_urgent"),
        ("urgent", "urgent"),
        ("new-normal", "平件"),  # the Chinese label is accepted as well
    ]:
        docs[name] = register(rpc, org, f"文件{name}", urgency)
        distribute(rpc, org, docs[name], division)
    title_of = {v: k for k, v in docs.items()}

    items = todo(rpc, division.handler)
    assert [title_of[t["document_id"]] for t in items] == [
        "extra",
        "urgent",
        "new-normal",
        "old-normal",
    ]
    assert [t["urgency"] for t in items] == ["extra_urgent", "urgent", "normal", "normal"]
    assert all(t["allowed_actions"] == ["sign", "return"] for t in items)

    first = _page(rpc, "list_todo", division.handler, limit=2)
    second = _page(rpc, "list_todo", division.handler, limit=2, offset=2)
    assert first["total"] == second["total"] == 4
    assert [t["id"] for t in first["items"] + second["items"]] == [t["id"] for t in items]
    assert _page(rpc, "list_todo", division.handler, limit=2, offset=4)["items"] == []

    # a signed task leaves the pool and comes back as the signer's own proposal task
    sign_old = items[3]
    [propose] = act(rpc, division.handler, sign_old["id"], action="sign")["next_tasks"]
    mine = todo(rpc, division.handler)
    assert [t["id"] for t in mine] == [
        items[0]["id"],
        items[1]["id"],
        propose["id"],
        items[2]["id"],
    ]
    assert [t["id"] for t in todo(rpc, division.handler2)] == [
        items[0]["id"],
        items[1]["id"],
        items[2]["id"],
    ]
    # somebody of the division without a role of the step sees none of it
    assert todo(rpc, org.person(division.id, "supplier")) == []

    # red flag: past due while open
    _set_times(routing_db, items[0]["id"], due_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    flags = {t["id"]: t["overdue"] for t in todo(rpc, division.handler)}
    assert flags[items[0]["id"]] is True
    assert not any(v for k, v in flags.items() if k != items[0]["id"])


def test_done_is_newest_first_and_flags_late_work(rpc: SyncRpc, org: Org, routing_db: Engine):
    division = org.division()
    signed = []
    for i in range(3):
        document_id = register(rpc, org, f"已办{i}")
        [sign] = distribute(rpc, org, document_id, division)["tasks"]
        act(rpc, division.handler, sign["id"], action="sign")
        signed.append(sign["id"])
    done = _page(rpc, "list_done", division.handler)
    assert done["total"] == 3
    assert [t["id"] for t in done["items"]] == signed[::-1]
    assert all(t["status"] == "done" and t["allowed_actions"] == [] for t in done["items"])
    assert not any(t["overdue"] for t in done["items"])

    # finished after its due time: stays flagged in the history
    late = done["items"][1]
    completed = dt.datetime.fromisoformat(late["completed_at"])
    _set_times(routing_db, late["id"], due_at=completed - dt.timedelta(minutes=5))
    flags = [t["overdue"] for t in _page(rpc, "list_done", division.handler)["items"]]
    assert flags == [False, True, False]
    paged = _page(rpc, "list_done", division.handler, limit=1, offset=2)
    assert [t["id"] for t in paged["items"]] == [signed[0]] and paged["total"] == 3
    assert _page(rpc, "list_done", division.handler2)["total"] == 0


def test_list_queries_are_checked(rpc: SyncRpc, org: Org):
    division = org.division()
    for query in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"sort": "title"}):
        try:
            _page(rpc, "list_todo", division.handler, **query)
        except Exception as exc:  # noqa: BLE001 - the code is what matters
            assert getattr(exc, "code", None) == "invalid_input", query
        else:
            raise AssertionError(f"{query} was accepted")
    stranger = {"tenant_id": org.tenant_id, "user_id": str(uuid.uuid4()), "roles": "handler"}
    page = rpc.call("routing", "list_todo", context=stranger, query={})
    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0}
