"""Notifications (通知): my in-app inbox — new to-dos (待办), urges (催办), returned
documents (退回), deadline reminders (到期提醒) and overdue notices (超期提醒) — with the
unread count, and marking them read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from redis.exceptions import RedisError
from starlette.responses import StreamingResponse

from gateway.deps import AuthCaller, CurrentPrincipal, State
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.errors import InvalidInput
from services.notify.schemas import (
    MarkAllReadOut,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferencesIn,
    PreferencesOut,
    stream_channel,
)

router = APIRouter(prefix=API_PREFIX + "/notifications", tags=["notifications"])


@router.get(
    "",
    response_model=NotificationPage,
    summary="我的通知 (my notifications): 待办、催办、退回、到期提醒、超期提醒, with the unread count",
    description=(
        "My in-app notifications, newest first. `kind`: `todo` (新待办), `urge` (催办), "
        "`returned` (退回), `reminder` (到期提醒: the deadline is near), `overdue` "
        "(超期提醒: the deadline has passed). `unread_count` is my unread notifications "
        "(未读) whatever the page. Example: "
        "`GET /api/v1/notifications?unread_only=true&limit=20`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def list_notifications(
    query: Annotated[NotificationQuery, Query()], caller: AuthCaller
) -> Any:
    return await caller.call(
        "notify", "list_notifications", query=query.model_dump(mode="json", exclude_unset=True)
    )


@router.post(
    "/read-all",
    response_model=MarkAllReadOut,
    summary="全部已读: mark all my notifications (通知) read",
    responses=error_responses(401, 403, 503, 504),
)
async def mark_all_read(caller: AuthCaller) -> Any:
    return await caller.call("notify", "mark_all_read")


@router.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    summary="标记已读: mark one of my notifications (通知/提醒) read",
    description="Another user's notification is 404 `notification_not_found`.",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def mark_notification_read(notification_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.call("notify", "mark_read", notification_id=str(notification_id))


# -- the live stream (server-sent events) -----------------------------------------------------------

#: seconds between heartbeats (a comment line) on an idle stream
HEARTBEAT = 15.0
#: seconds between looks at notify when no poke came (a poke lost is found by this)
FALLBACK_POLL = 5.0


def _event(kind: str, data: Any, event_id: int | None = None) -> bytes:
    lines = [f"event: {kind}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def _position(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        found = int(value.strip())
    except ValueError:
        raise InvalidInput("bad_last_event_id", "Last-Event-ID is a stream position") from None
    if found < 0:
        raise InvalidInput("bad_last_event_id", "Last-Event-ID is a stream position")
    return found


@router.get(
    "/stream",
    response_class=StreamingResponse,
    summary="My notifications live (server-sent events), resumable with Last-Event-ID",
    description=(
        "`text/event-stream`. On connect and whenever my unread count changes: `event: "
        'unread` with `{"unread_count"}` and the stream position as its `id`; each new '
        "notification: `event: notification`, "
        '`id: <seq>`, data `{"notification", "unread_count"}`, within a second of it '
        "being written. Reconnect with the header `Last-Event-ID` (or `?after=`) to get "
        "exactly what was missed — nothing lost, nothing twice; without it the stream "
        "starts now. A comment `: ping` every 15 s keeps proxies from closing it. The "
        "stream ends when the access token expires: reconnect with a fresh one. 422 "
        "`bad_last_event_id`."
    ),
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **error_responses(401, 422, 503, 504),
    },
)
async def notification_stream(
    request: Request,
    state: State,
    caller: AuthCaller,
    principal: CurrentPrincipal,
    after: Annotated[int | None, Query(ge=0, description="resume after this position")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    start = _position(last_event_id)
    if start is None:
        start = after
    first = await caller.call("notify", "notifications_since", after=start, limit=100)
    channel = stream_channel(state.settings.redis_key_prefix, principal.user_id)
    ends_at = float(principal.expires_at)

    async def events() -> AsyncIterator[bytes]:
        pubsub = state.streams.pubsub() if state.streams is not None else None
        try:
            if pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.subscribe(channel)
            page, unread, idle = first, None, 0.0
            while True:
                for item in page["items"]:
                    yield _event(
                        "notification",
                        {"notification": item, "unread_count": page["unread_count"]},
                        item["seq"],
                    )
                cursor = page["last_seq"]
                if page["unread_count"] != unread:
                    unread = page["unread_count"]
                    # with the position: a client that got no notification yet knows it
                    yield _event("unread", {"unread_count": unread}, cursor)
                waited = await _wait(pubsub, FALLBACK_POLL)
                idle = 0.0 if waited else idle + FALLBACK_POLL
                if await request.is_disconnected() or time.time() >= ends_at:
                    return
                if idle >= HEARTBEAT:
                    idle = 0.0
                    yield b": ping\n\n"
                page = await caller.call("notify", "notifications_since", after=cursor, limit=100)
        finally:
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _wait(pubsub: Any, seconds: float) -> bool:
    """Until notify pokes this user's channel (True) or ``seconds`` pass (False)."""
    if pubsub is None:
        await asyncio.sleep(seconds)
        return False
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        except (RedisError, OSError):
            await asyncio.sleep(left)
            return False
        if message is not None:
            return True
    return False


@router.get(
    "/preferences",
    response_model=PreferencesOut,
    summary="My channels per kind of notification (站内 always; 邮件, 短信 as I choose)",
    responses=error_responses(401, 503, 504),
)
async def my_preferences(caller: AuthCaller) -> Any:
    return await caller.call("notify", "my_preferences")


@router.put(
    "/preferences",
    response_model=PreferencesOut,
    summary="Set my channels per kind (the in-app inbox cannot be switched off)",
    description="422 `in_app_required` when `in_app` is left out of a kind's channels.",
    responses=error_responses(401, 422, 503, 504),
)
async def set_my_preferences(body: PreferencesIn, caller: AuthCaller) -> Any:
    return await caller.call(
        "notify", "set_my_preferences", preferences=body.model_dump(mode="json")
    )
