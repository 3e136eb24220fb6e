"""Leader instructions (领导批示) for the tests through the gateway: an office with a
provincial leader (省政府领导) and their secretary besides its office leaders, a
second unit with a registry of its own, and a document driven to the leaders'
instruction step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.gateway import Office, Person, act, ok, open_task, real_pdf, register, upload
from tests.support.waiting import eventually

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def add_instruction_staff(office: Office) -> Office:
    """省长 (gov_leader) and the secretary who enters and numbers their instructions; 机关
    事务局 with its registrar (a unit of the same tenant to forward to)."""
    office.add_person("shengzhang", "李省长", None, ["gov_leader"])
    office.add_person("mishu_sz", "周秘书", "秘书处", ["secretary"])
    office.add_unit("机关事务局", "unit")
    office.add_person("jg_wenshu", "机关文书", "机关事务局", ["registrar"])
    return office


def delegate(leader: Person, secretary: Person, *, hours: int = 2) -> dict[str, Any]:
    now = dt.datetime.now(SHANGHAI)
    body = {
        "secretary_id": secretary.id,
        "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=hours)).isoformat(),
    }
    return dict(ok(leader.post("/delegations", json=body), 201))


def to_leaders(
    office: Office,
    title: str,
    leaders: list[Person],
    *,
    restricted: bool = False,
    **fields: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Register ``title`` (one PDF scan), distribute it to 电子政务处, sign (declaring a
    领导批示件 when ``restricted``), propose, approve to ``leaders``: the document and
    the leaders' open instruction tasks."""
    registrar, handler, head = office["wenshu"], office["dz_ban1"], office["dz_chu"]
    doc = register(registrar, title, **fields)
    ok(upload(registrar, doc["id"], ("正文.pdf", real_pdf("Leader instruction"))), 201)
    open_task(registrar, doc["id"], "registry_distribute")
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["电子政务处"]}
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign", is_leader_instruction=restricted)[
        "next_tasks"
    ]
    [review] = act(handler, propose["id"], action="propose", opinion="拟请领导批示。")["next_tasks"]
    approved = act(
        head,
        review["id"],
        action="approve",
        opinion="同意拟办意见。",
        leader_ids=[p.id for p in leaders],
    )
    return doc, list(approved["next_tasks"])


def task_of(tasks: list[dict[str, Any]], leader: Person) -> dict[str, Any]:
    return next(t for t in tasks if t["assignee_id"] == leader.id)


def instructions_of(person: Person, **params: Any) -> list[dict[str, Any]]:
    return list(ok(person.get("/instructions", params={"limit": 200, **params}))["items"])


def recorded(person: Person, document_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The instructions on a document once documents has recorded ``count`` of them."""

    def found() -> list[dict[str, Any]] | None:
        rows = [i for i in instructions_of(person) if i["document_id"] == document_id]
        return rows if len(rows) >= count else None

    return list(eventually(found, 20, "the instructions"))
