"""Process templates (流程模板): steps, who acts, transitions and time limits, as data;
assigned to org units (a unit's documents follow the template assigned to it, else
the platform default ``incoming-default``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field

from gateway.deps import AuthCaller, TenantAdmin
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.vocabulary import Strict
from services.routing.schemas import DEFAULT_INCOMING, TemplateDef, TemplateOut

router = APIRouter(prefix=API_PREFIX + "/templates", tags=["templates"])


class TemplateAssignment(Strict):
    unit_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=200, description="units or divisions (处室) to use it"
    )


def _without_leaders() -> dict[str, Any]:
    """The default template with the leaders' step left out (an example of a variant)."""
    template = DEFAULT_INCOMING.model_dump(mode="json")
    template.update(code="incoming-no-leaders", name="收文办理(无需领导批示)")
    template["steps"] = [s for s in template["steps"] if s["key"] != "leader_instruction"]
    for step in template["steps"]:
        if step["key"] == "division_review":
            step["actions"] = {"approve": "handle", "return": "propose"}
    return template


@router.get(
    "",
    response_model=list[TemplateOut],
    summary="Process templates (流程模板) of my tenant and the platform's defaults",
    responses=error_responses(401, 503, 504),
)
async def list_templates(caller: AuthCaller) -> Any:
    return await caller.routing("list_templates")


@router.get(
    "/{template_id}",
    response_model=TemplateOut,
    summary="One process template (流程模板) with the units it is assigned to",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_template(template_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.routing("get_template", template_id=str(template_id))


@router.post(
    "",
    status_code=201,
    response_model=TemplateOut,
    summary="Create a process template (新建流程模板), or a new version of a code — tenant_admin",
    description=(
        "Steps name the roles that act there, the actions allowed and the step each leads "
        "to (`null`: the branch ends), a time limit in working days and whether it may be "
        "returned (退回), urged (催办) or circulated (传阅). Running documents keep the "
        "version they started with. A template the engine could not run is 422 "
        "`bad_template`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def create_template(
    body: Annotated[
        TemplateDef,
        Body(
            openapi_examples={
                "default": {
                    "summary": "the platform default 收文办理 (DESIGN 4.1)",
                    "value": DEFAULT_INCOMING.model_dump(mode="json"),
                },
                "no_leaders": {
                    "summary": "a division that never sends documents to leaders",
                    "value": _without_leaders(),
                },
            }
        ),
    ],
    caller: TenantAdmin,
) -> Any:
    return await caller.routing("create_template", template=body.model_dump(mode="json"))


@router.post(
    "/{template_id}/assign",
    response_model=TemplateOut,
    summary="Assign a template to units or divisions (分配流程模板) — tenant_admin",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def assign_template(
    template_id: uuid.UUID,
    body: Annotated[
        TemplateAssignment,
        Body(
            openapi_examples={
                "default": {
                    "summary": "two divisions",
                    "value": {
                        "unit_ids": [
                            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                            "9b2e4c1a-0d7f-4f5e-8a51-2b0c7d6e9f10",
                        ]
                    },
                }
            }
        ),
    ],
    caller: TenantAdmin,
) -> Any:
    return await caller.routing(
        "assign_template",
        template_id=str(template_id),
        unit_ids=[str(u) for u in body.unit_ids],
    )
