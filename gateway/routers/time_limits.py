"""Time limits of process-template steps (办理时限): the handler step (承办节点) and the
division-review step (处室审核节点) in particular, in working days."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from gateway.deps import AuthCaller
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.text import Text
from services.routing.schemas import StepTimeLimit, TemplateOut

router = APIRouter(prefix=API_PREFIX + "/templates", tags=["templates"])


@router.patch(
    "/{template_id}/steps/{step_key}",
    response_model=TemplateOut,
    summary="Set the time limit of a step in working days (设置办理时限) — the template's owner",
    description=(
        "A new version of the template with the step's `time_limit_days` changed (null: no "
        "limit); the units assigned to the changed version move to the new one, documents "
        "already running keep theirs. The owner changes it: the tenant administrator a "
        "template of the tenant, the platform administrator the platform's default "
        "(`incoming-default`, 3 working days unless changed). 422 `bad_time_limit` (zero, "
        "negative, over 365); 403 `not_template_owner`; 404 `step_not_found`; 409 "
        "`template_not_latest` for an older version."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def set_step_time_limit(
    template_id: uuid.UUID,
    step_key: Annotated[Text, Path(max_length=64, examples=["propose", "division_review"])],
    body: Annotated[
        StepTimeLimit,
        Body(
            openapi_examples={
                "default": {"summary": "承办节点: 5 working days", "value": {"time_limit_days": 5}},
                "no_limit": {"summary": "no time limit", "value": {"time_limit_days": None}},
            }
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.routing(
        "set_step_time_limit",
        template_id=str(template_id),
        step_key=step_key,
        limit=body.model_dump(mode="json"),
    )
