"""What routing refuses, each with its own error: wrong role, somebody else's task, an
action the step does not allow, a missing opinion, another tenant's task, a task
already taken, and distributions that cannot be made."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from services.common.errors import Conflict, Forbidden, GongwenError, InvalidInput, NotFound
from tests.support.people import Org
from tests.support.routing import act, distribute, register, route, the_task, todo
from tests.support.stacks import SyncRpc


def test_a_user_without_the_steps_role_cannot_act(rpc: SyncRpc, org: Org):
    assert org.registrar
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    clerk = org.person(division.id, "supplier")  # in the division, but not a handler
    for person in (clerk, org.registrar):
        with pytest.raises(Forbidden) as err:
            act(rpc, person, sign["id"], action="sign")
        assert err.value.code == "not_task_holder"
    assert [t["allowed_actions"] for t in route(rpc, org, sign["document_id"])][-1] == []


def test_a_handler_of_another_division_cannot_act(rpc: SyncRpc, org: Org):
    division, other = org.division(), org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    with pytest.raises(Forbidden) as err:
        act(rpc, other.handler, sign["id"], action="sign")
    assert err.value.code == "not_task_holder"
    assert not [t for t in todo(rpc, other.handler) if t["id"] == sign["id"]]


def test_somebody_elses_task_is_theirs_alone(rpc: SyncRpc, org: Org):
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    with pytest.raises(Forbidden) as err:
        act(rpc, division.handler2, propose["id"], action="propose", opinion="我来拟办")
    assert err.value.code == "not_task_holder"


def test_an_action_the_step_does_not_allow_and_a_missing_opinion_are_refused(
    rpc: SyncRpc, org: Org
):
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    [propose] = act(rpc, division.handler, sign["id"], action="sign")["next_tasks"]
    with pytest.raises(InvalidInput) as err:
        act(rpc, division.handler, propose["id"], action="approve")
    assert err.value.code == "action_not_allowed"
    with pytest.raises(InvalidInput) as err:
        act(rpc, division.handler, propose["id"], action="propose")
    assert err.value.code == "opinion_required"
    with pytest.raises(InvalidInput) as err:
        act(rpc, division.handler, propose["id"], action="return")
    assert err.value.code == "opinion_required"
    with pytest.raises(InvalidInput) as err:
        act(rpc, division.handler, propose["id"], action="fly")
    assert err.value.code == "invalid_input"
    # nothing was written by the refusals
    assert the_task(todo(rpc, division.handler), propose["document_id"])["version"] == 1


def test_a_closed_task_cannot_be_acted_on_again(rpc: SyncRpc, org: Org):
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    act(rpc, division.handler, sign["id"], action="sign")
    with pytest.raises(Conflict) as err:
        act(rpc, division.handler, sign["id"], action="sign")
    assert err.value.code == "task_closed"


def test_another_tenants_task_does_not_exist(rpc: SyncRpc, org: Org, other_org: Org):
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    stranger = other_org.division().handler
    forged = stranger.ctx(org_unit_id=division.id)  # even claiming the division's unit
    with pytest.raises(NotFound) as err:
        act(rpc, stranger, sign["id"], ctx=forged, action="sign")
    assert err.value.code == "task_not_found"
    with pytest.raises(NotFound) as err:
        rpc.call("routing", "get_task", context=stranger.ctx(), task_id=sign["id"])
    assert err.value.code == "task_not_found"
    with pytest.raises(NotFound):
        rpc.call(
            "routing", "document_tasks", context=stranger.ctx(), document_id=sign["document_id"]
        )
    assert not [t for t in todo(rpc, stranger) if t["id"] == sign["id"]]
    with pytest.raises(NotFound) as err:
        act(rpc, division.handler, str(uuid.uuid4()), action="sign")
    assert err.value.code == "task_not_found"


def test_of_two_holders_acting_at_once_exactly_one_wins(rpc: SyncRpc, org: Org):
    division = org.division()
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def sign_as(person_name: str) -> None:
        person = getattr(division, person_name)
        barrier.wait()
        try:
            outcomes[person_name] = act(
                rpc, person, sign["id"], action="sign", expected_version=sign["version"]
            )
        except GongwenError as exc:
            outcomes[person_name] = exc

    threads = [threading.Thread(target=sign_as, args=(n,)) for n in ("handler", "handler2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [n for n, o in outcomes.items() if isinstance(o, dict)]
    losers = [o for o in outcomes.values() if isinstance(o, GongwenError)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Conflict) and losers[0].code == "task_already_taken"
    # nothing half-written: one signature, one proposal task, for the winner
    tasks = route(rpc, org, sign["document_id"])
    winner = getattr(division, winners[0])
    assert [(t["step"], t["status"], t["assignee_id"]) for t in tasks[1:]] == [
        ("division_sign", "done", winner.id),
        ("propose", "open", winner.id),
    ]


def test_many_racers_on_one_task_leave_one_result(rpc: SyncRpc, org: Org):
    division = org.division()
    racers = [
        division.handler,
        division.handler2,
        *(org.person(division.id, "handler") for _ in range(4)),
    ]
    [sign] = distribute(rpc, org, register(rpc, org), division)["tasks"]
    barrier = threading.Barrier(len(racers))
    errors: list[str] = []
    wins: list[str] = []

    def race(i: int) -> None:
        barrier.wait()
        try:
            act(rpc, racers[i], sign["id"], action="sign")
            wins.append(racers[i].id)
        except GongwenError as exc:
            errors.append(exc.code)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(racers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(wins) == 1
    assert set(errors) <= {"task_already_taken", "task_closed"} and len(errors) == len(racers) - 1
    assert [t["step"] for t in route(rpc, org, sign["document_id"])] == [
        "registry_distribute",
        "division_sign",
        "propose",
    ]


# -- distribution ------------------------------------------------------------------------------------


def _distribute(rpc: SyncRpc, org: Org, document_id: str, lead: str, *assisting: str) -> Any:
    assert org.registrar
    return rpc.call(
        "routing",
        "distribute",
        context=org.registrar.ctx(),
        distribution={
            "document_id": document_id,
            "lead_unit_id": lead,
            "assisting_unit_ids": list(assisting),
        },
    )


def test_distribution_refuses_what_cannot_be_distributed(rpc: SyncRpc, org: Org, other_org: Org):
    division, other = org.division(), org.division()
    document_id = register(rpc, org)
    cases: list[tuple[tuple[str, ...], type[GongwenError], str]] = [
        ((division.id, other.id, division.id), InvalidInput, "duplicate_unit"),
        ((division.id, str(uuid.uuid4())), NotFound, "unit_not_found"),
        ((other_org.registry_id,), NotFound, "unit_not_found"),
        ((org.root_id,), InvalidInput, "not_a_division"),
        ((org.unit("科室", kind="section", parent=division.id),), InvalidInput, "not_a_division"),
    ]
    for units, error, code in cases:
        with pytest.raises(error) as err:
            _distribute(rpc, org, document_id, *units)
        assert err.value.code == code, units
    assert [t["status"] for t in route(rpc, org, document_id)] == ["open"]  # still to distribute

    _distribute(rpc, org, document_id, division.id, other.id)
    with pytest.raises(Conflict) as err:
        _distribute(rpc, org, document_id, other.id)
    assert err.value.code == "already_distributed"
    with pytest.raises(NotFound) as err:
        _distribute(rpc, org, str(uuid.uuid4()), division.id)
    assert err.value.code == "document_not_found"


def test_only_a_registrar_of_the_registry_distributes(rpc: SyncRpc, org: Org):
    division = org.division()
    document_id = register(rpc, org)
    for person in (division.head, org.person(division.id, "registrar")):
        with pytest.raises(Forbidden):
            rpc.call(
                "routing",
                "distribute",
                context=person.ctx(),
                distribution={"document_id": document_id, "lead_unit_id": division.id},
            )
