"""Parked events and set-aside outbox rows, for operators (``ops`` role; DESIGN 10).

The same four operations as ``python -m services.common.ops``: each service answers
for its own ``failed_events`` table and outbox.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gateway.deps import require_roles
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from gateway.rpc import Caller
from services.common.catalog import SERVICES
from services.common.ops import (
    OPS_ROLE,
    FailedEventOut,
    FailedEventQuery,
    ReplayOut,
    ReplaySelection,
    SetAsideQuery,
    SetAsideRowOut,
)
from services.common.text import Text
from services.notify.schemas import MessagePage, MessageQuery

router = APIRouter(prefix=API_PREFIX + "/ops", tags=["ops"])

Ops = Annotated[Caller, Depends(require_roles(OPS_ROLE))]

ServiceName = StrEnum("ServiceName", {name: name for name in SERVICES})  # type: ignore[misc]


@router.get(
    "/{service}/failed-events",
    response_model=list[FailedEventOut],
    summary="Events a service's consumers parked (ops)",
    description=(
        "A consumer parks an event it cannot apply for a permanent reason (invalid data, "
        "a constraint violation, an unknown version) at once, and one failing for a "
        "transient reason (database or another service away) after 5 tries with backoff. "
        "Example: `GET /api/v1/ops/documents/failed-events?consumer=documents.on_task_completed`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_failed_events(
    caller: Ops,
    service: ServiceName,  # type: ignore[valid-type]
    consumer: Annotated[Text | None, Query(max_length=200)] = None,
    event_type: Annotated[Text | None, Query(max_length=100)] = None,
    status: Annotated[Text, Query(pattern="^(parked|replayed)$")] = "parked",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    query = FailedEventQuery(consumer=consumer, event_type=event_type, status=status, limit=limit)
    return await caller.call(
        service.value, "ops_failed_events", query=query.model_dump(mode="json")
    )


@router.post(
    "/{service}/failed-events/replay",
    response_model=ReplayOut,
    summary="Replay parked events: some ids, all of a consumer, all of a type, or all (ops)",
    description=(
        "Each event goes again to its own consumer's queue, with its own id: a consumer "
        "that had applied it applies it once. One that fails again is parked again."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def replay_failed_events(
    caller: Ops,
    service: ServiceName,  # type: ignore[valid-type]
    selection: ReplaySelection,
) -> Any:
    return await caller.call(
        service.value, "ops_replay_failed", selection=selection.model_dump(mode="json")
    )


@router.get(
    "/{service}/outbox/set-aside",
    response_model=list[SetAsideRowOut],
    summary="Outbox rows a service's relay set aside (ops)",
    description=(
        "A row the relay could not build or the broker refused 3 times is set aside with "
        "its error; the events after it are still published."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_set_aside(
    caller: Ops,
    service: ServiceName,  # type: ignore[valid-type]
    event_type: Annotated[Text | None, Query(max_length=100)] = None,
) -> Any:
    query = SetAsideQuery(event_type=event_type)
    return await caller.call(service.value, "ops_set_aside", query=query.model_dump())


@router.post(
    "/{service}/outbox/replay",
    response_model=ReplayOut,
    summary="Give set-aside outbox rows back to the relay (ops)",
    responses=error_responses(401, 403, 422, 503, 504),
)
async def replay_set_aside(
    caller: Ops,
    service: ServiceName,  # type: ignore[valid-type]
    selection: ReplaySelection,
) -> Any:
    return await caller.call(
        service.value, "ops_replay_set_aside", selection=selection.model_dump(mode="json")
    )


@router.get(
    "/messages",
    response_model=MessagePage,
    summary="Outbound e-mails and texts with their status per channel (ops)",
    description=(
        "`scheduled` (waiting: an SMS sent only if still unread), `queued`, `sending`, "
        "`sent` (with the provider's id), `failed` (refused for good, with the reason), "
        "`dropped` (read before its time); `attempts` and `last_error` of each."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_messages(query: Annotated[MessageQuery, Query()], caller: Ops) -> Any:
    return await caller.call(
        "notify", "message_status", query=query.model_dump(mode="json", exclude_none=True)
    )
