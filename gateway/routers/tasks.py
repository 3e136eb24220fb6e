"""Tasks (待办/已办): the lists, acting on a task (签收, 拟办, 审核, 批示, 办理, 办结, 归档,
退回), urging (催办); and the to-read list of circulated documents (待阅)."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller, CurrentPrincipal
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from gateway.routers.outgoing import check_outgoing_action
from services.common.errors import NotFound
from services.routing.schemas import (
    Action,
    ActResult,
    ReadItemOut,
    ReadPage,
    Reassign,
    ReturnTargetOut,
    TaskAction,
    TaskOut,
    TaskPage,
    Urge,
    UrgeOut,
)

#: outgoing actions whose record documents keeps (and checks first)
OUTGOING_RECORDED = frozenset({Action.issue, Action.number, Action.seal, Action.dispatch})

router = APIRouter(prefix=API_PREFIX)  # tags per route: tasks, reading
TASKS: list[str | Enum] = ["tasks"]
READING: list[str | Enum] = ["reading"]

Limit = Annotated[int, Query(ge=1, le=200, description="rows per page")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]

_LEADER = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

_ACTION_EXAMPLES: dict[str, dict[str, Any]] = {
    "sign": {"summary": "处室签收 (sign for it)", "value": {"action": "sign"}},
    "propose": {
        "summary": "拟办意见 (the handler's proposed opinion)",
        "value": {"action": "propose", "opinion": "拟请电子政务处牵头办理,报厅领导阅示。"},
    },
    "approve": {
        "summary": "审核通过, to leaders for 批示 (division head)",
        "value": {"action": "approve", "opinion": "同意拟办意见。", "leader_ids": [_LEADER]},
    },
    "instruct": {
        "summary": "批示 (leader)",
        "value": {"action": "instruct", "opinion": "请抓紧办理,按时报送。"},
    },
    "instruct_on_behalf": {
        "summary": "代领导批示 (a secretary with a valid delegation)",
        "value": {"action": "instruct", "opinion": "同意。", "on_behalf_of": _LEADER},
    },
    "instruct_numbered": {
        "summary": "省政府领导批示, numbered by hand by the secretary",
        "value": {
            "action": "instruct",
            "opinion": "请省发展改革委牵头研究。",
            "on_behalf_of": _LEADER,
            "instruction_number": "省长批〔2026〕118号",
        },
    },
    "handle": {
        "summary": "办理完毕, back to the registry (handler)",
        "value": {"action": "handle", "opinion": "已按批示要求落实。"},
    },
    "complete": {"summary": "办结 (registry)", "value": {"action": "complete", "opinion": "办结"}},
    "archive": {"summary": "归档 (registry)", "value": {"action": "archive"}},
    "return": {
        "summary": "退回 with a reason",
        "value": {"action": "return", "opinion": "拟办意见不明确,请补充。"},
    },
    "checked_version": {
        "summary": "only if nobody acted since I read it (version 1)",
        "value": {"action": "sign", "expected_version": 1},
    },
}


@router.get(
    "/tasks/todo",
    response_model=TaskPage,
    summary="My to-do list (待办): most urgent first (特急, 加急, 平件), then newest",
    description=(
        "Open tasks assigned to me, or pooled to my division at a step one of my roles may "
        "act on. Each row has its deadline (`due_at`, 24:00 Asia/Shanghai of the last "
        "working day) and the red `overdue` flag. Example: `GET /api/v1/tasks/todo?limit=20`."
    ),
    tags=TASKS,
    responses=error_responses(401, 422, 503, 504),
)
async def list_todo(caller: AuthCaller, limit: Limit = 20, offset: Offset = 0) -> Any:
    return await caller.routing("list_todo", query={"limit": limit, "offset": offset})


@router.get(
    "/tasks/delegated",
    response_model=TaskPage,
    summary="代录批示: open tasks of the leaders whose instructions I may enter (secretary)",
    description=(
        "For a secretary holding a delegation (授权) valid now: the open tasks assigned to "
        "the leaders who granted it, most urgent first. A leader's instruction step offers "
        "`instruct`, entered with `on_behalf_of` = the task's `assignee_id` "
        "(`POST /tasks/{id}/actions`); the slip shows it as the leader's, entered by the "
        "secretary. Empty for anyone else. Example: `GET /api/v1/tasks/delegated`."
    ),
    tags=TASKS,
    responses=error_responses(401, 422, 503, 504),
)
async def list_delegated(caller: AuthCaller, limit: Limit = 20, offset: Offset = 0) -> Any:
    return await caller.routing("list_delegated", query={"limit": limit, "offset": offset})


@router.get(
    "/tasks/done",
    response_model=TaskPage,
    summary="My done list (已办): tasks I acted on, newest first",
    tags=TASKS,
    responses=error_responses(401, 422, 503, 504),
)
async def list_done(caller: AuthCaller, limit: Limit = 20, offset: Offset = 0) -> Any:
    return await caller.routing("list_done", query={"limit": limit, "offset": offset})


@router.get(
    "/tasks/{task_id}",
    response_model=TaskOut,
    summary="One task (任务), with the actions I may take on it",
    tags=TASKS,
    responses=error_responses(401, 404, 422, 503, 504),
)
async def get_task(task_id: uuid.UUID, caller: AuthCaller, principal: CurrentPrincipal) -> Any:
    task = await caller.routing("get_task", task_id=str(task_id))
    # routing finds any task of the tenant; who neither holds it nor may see its
    # document (documents decides that) learns nothing of it
    held = task.get("assignee_id") == str(principal.user_id) or (
        task.get("assignee_id") is None and task.get("unit_id") == str(principal.org_unit_id)
    )
    if not held:
        try:
            await caller.documents("get_document", document_id=str(task["document_id"]))
        except NotFound:
            raise NotFound("task_not_found", "no such task") from None
    return task


@router.post(
    "/tasks/{task_id}/actions",
    response_model=ActResult,
    summary="Act on a task (办理): sign, propose, approve, instruct, handle, complete, archive, return",
    description=(
        "Answers the task acted on and the tasks the action opened. Refusals: 403 "
        "`not_task_holder` (not yours), 403 `no_valid_delegation` (代领导批示 without a valid "
        "delegation), 409 `instruction_number_taken` (that leader has the number this year), "
        "422 `instruction_number_by_system` (a 厅领导's instructions are numbered by the "
        "system), 422 `action_not_allowed` (the template does not allow it at this "
        "step), 422 `opinion_required`, 409 `task_already_taken` / `task_closed` (somebody "
        "acted first: of two concurrent actions exactly one wins)."
    ),
    tags=TASKS,
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def act(
    task_id: uuid.UUID,
    body: Annotated[TaskAction, Body(openapi_examples=_ACTION_EXAMPLES)],
    caller: AuthCaller,
    principal: CurrentPrincipal,
) -> Any:
    if body.instruction_number is not None and body.action is Action.instruct:
        # a hand number already given to this leader this year: 409 before anything is written
        await caller.documents(
            "check_instruction_number",
            check={
                "leader_id": str(body.on_behalf_of or principal.user_id),
                "number": body.instruction_number,
            },
        )
    if body.action in OUTGOING_RECORDED:
        # 签发 / 编号 / 用印 / 分发: documents refuses what the document is not ready for
        task = await caller.routing("get_task", task_id=str(task_id))
        await check_outgoing_action(
            caller, uuid.UUID(str(task["document_id"])), body.action, body.series_id
        )
    return await caller.routing(
        "act",
        task_id=str(task_id),
        action=body.model_dump(mode="json", exclude_unset=True, exclude={"series_id"}),
    )


@router.post(
    "/tasks/{task_id}/urge",
    response_model=UrgeOut,
    summary="Urge (催办) the holder of an open task — the registry or whoever sent it",
    description="Recorded on the document's trace and announced (`task.urged`).",
    tags=TASKS,
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def urge(
    task_id: uuid.UUID,
    caller: AuthCaller,
    body: Annotated[
        Urge | None,
        Body(
            openapi_examples={
                "default": {"summary": "with a message", "value": {"message": "请于今日内签收"}},
                "bare": {"summary": "without a message", "value": {}},
            }
        ),
    ] = None,
) -> Any:
    urge_body = (body or Urge()).model_dump(mode="json", exclude_unset=True)
    return await caller.routing("urge", task_id=str(task_id), urge=urge_body)


# -- 待阅 ----------------------------------------------------------------------------------------


@router.get(
    "/reading",
    response_model=ReadPage,
    summary="My to-read list (待阅): circulated documents, unread first, then newest",
    responses=error_responses(401, 422, 503, 504),
    tags=READING,
)
async def list_to_read(caller: AuthCaller, limit: Limit = 20, offset: Offset = 0) -> Any:
    return await caller.routing("list_to_read", query={"limit": limit, "offset": offset})


@router.post(
    "/reading/{read_item_id}/read",
    response_model=ReadItemOut,
    summary="Mark a circulated document read (已阅)",
    responses=error_responses(401, 403, 404, 422, 503, 504),
    tags=READING,
)
async def mark_reading_read(read_item_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.routing("mark_read", read_item_id=str(read_item_id))


@router.get(
    "/tasks/{task_id}/return-targets",
    response_model=list[ReturnTargetOut],
    summary="退回: the earlier steps of the route this task may be returned to (its holder)",
    description=(
        "The nearest first, each with who held it last (they get it back); `default` marks "
        "the template's step before. Return with `POST /tasks/{id}/actions` "
        '`{"action": "return", "opinion": "…", "return_to_step": "<step>"}`; a step the '
        "route never passed is 422 `return_step_not_passed`. Empty when the task is not "
        "mine or cannot be returned."
    ),
    tags=TASKS,
    responses=error_responses(401, 404, 503, 504),
)
async def return_targets(task_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.routing("return_targets", task_id=str(task_id))


@router.post(
    "/tasks/{task_id}/withdraw",
    response_model=ActResult,
    summary="撤回: take back a step I acted on while the next holder has not acted",
    description=(
        "`task_id` is the task I acted on. The tasks my action opened are cancelled and "
        "the step is mine again (`task`). 403 `not_task_sender`; 409 `next_holder_acted`, "
        "`nothing_to_withdraw` (the action ended the branch). In the trail as `task.withdraw`."
    ),
    tags=TASKS,
    responses=error_responses(401, 403, 404, 409, 503, 504),
)
async def withdraw(task_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.routing("withdraw", task_id=str(task_id))


@router.post(
    "/tasks/{task_id}/reassign",
    response_model=ActResult,
    summary="转交: the division head gives an open task to another handler of the division",
    description=(
        "The deadline stays. 403 `not_division_head` (not the head of the task's division); "
        "422 `not_a_handler`, `not_handler_step`; 409 `already_assigned`, `task_closed`. In "
        "the trail as `task.reassign`."
    ),
    tags=TASKS,
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def reassign(
    task_id: uuid.UUID,
    body: Annotated[
        Reassign,
        Body(openapi_examples={"default": {"value": {"handler_id": _LEADER, "reason": "出差"}}}),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.routing(
        "reassign", task_id=str(task_id), reassignment=body.model_dump(mode="json")
    )
