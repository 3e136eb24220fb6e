"""Notifications (通知): my in-app inbox — new to-dos (待办), urges (催办), returned
documents (退回), deadline reminders (到期提醒) and overdue notices (超期提醒) — with the
unread count, and marking them read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gateway.deps import AuthCaller
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.notify.schemas import (
    MarkAllReadOut,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferencesIn,
    PreferencesOut,
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
