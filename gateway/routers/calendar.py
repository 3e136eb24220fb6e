"""Working-day calendars (工作日历, DESIGN 4.3): the national schedule of each year and
local days off / working days of tenants, inherited down the tenant tree; a month as
the system counts working days for a tenant."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from gateway.deps import AuthCaller, PlatformAdmin, State, TenantAdmin, examples_of
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.common.text import Text
from services.routing.schemas import (
    MonthOut,
    OverrideChanged,
    OverrideCreate,
    OverrideOut,
    YearOut,
    YearPublish,
    YearPublished,
    YearSummary,
)

router = APIRouter(prefix=API_PREFIX + "/calendar", tags=["calendar"])

Year = Annotated[int, Path(ge=1900, le=2200, description="e.g. 2027", examples=[2027])]
TenantParam = Annotated[
    uuid.UUID | None,
    Query(description="a tenant of mine or below it (default: my tenant); any for the platform"),
]


@router.put(
    "/years/{year}",
    response_model=YearPublished,
    summary="Publish (or replace) the national schedule of a year (发布全年节假日安排) — platform_admin",
    description=(
        "Holidays (法定节假日, whole spans) and make-up working days (调休上班日) of the year, as "
        "the State Council announced them. The year is no longer provisional. In the same "
        "transaction every open deadline that depends on the year is recomputed, once "
        "(`recomputed_tasks`: deadlines rewritten; `moved_tasks`: due times moved); the change "
        "is in routing's audit trail and announced as `calendar.year_published`. Tasks already "
        "marked overdue keep their mark. The gateway waits up to `CALENDAR_RPC_TIMEOUT` "
        "(120 s) for it; a 504 means only that the answer came late: `GET /years/{year}` shows "
        "whether it was published. 422 `date_outside_year`, "
        "`day_both_holiday_and_workday`, `workday_not_weekend`, `bad_year`."
    ),
    responses=error_responses(401, 403, 422, 503, 504),
)
async def publish_year(
    year: Year,
    body: Annotated[YearPublish, Body(openapi_examples=examples_of(YearPublish))],
    caller: PlatformAdmin,
    state: State,
) -> Any:
    return await caller.routing(
        "publish_year",
        year=year,
        schedule=body.model_dump(mode="json"),
        timeout=state.settings.calendar_rpc_timeout,
    )


@router.get(
    "/years",
    response_model=list[YearSummary],
    summary="Years with a published national schedule, and this year and the next if provisional",
    responses=error_responses(401, 503, 504),
)
async def list_years(caller: AuthCaller) -> Any:
    return await caller.routing("list_years")


@router.get(
    "/years/{year}",
    response_model=YearOut,
    summary="The national schedule of a year (provisional: weekends only)",
    responses=error_responses(401, 422, 503, 504),
)
async def get_year(year: Year, caller: AuthCaller) -> Any:
    return await caller.routing("get_year", year=year)


@router.get(
    "/months/{month}",
    response_model=MonthOut,
    summary="A month as the system counts working days for a tenant (工作日历)",
    description=(
        "Each day: working or not and why — `workday`, `weekend`, `national_holiday`, "
        "`makeup_workday` (调休上班), `local_day_off`, `local_working_day` (with the note and "
        "the tenant whose override decided it) — and whether the year is still provisional. "
        "422 `invalid_month`; 404 `tenant_not_found` for a tenant that is not mine or below."
    ),
    responses=error_responses(401, 404, 422, 503, 504),
)
async def calendar_month(
    month: Annotated[Text, Path(description="YYYY-MM", examples=["2026-10"])],
    caller: AuthCaller,
    tenant_id: TenantParam = None,
) -> Any:
    kwargs: dict[str, Any] = {"month": month}
    if tenant_id is not None:
        kwargs["tenant_id"] = str(tenant_id)
    return await caller.routing("calendar_month", **kwargs)


@router.get(
    "/overrides",
    response_model=list[OverrideOut],
    summary="Local days off / working days of a tenant, with those it inherits (本地调整)",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def list_overrides(caller: AuthCaller, tenant_id: TenantParam = None) -> Any:
    if tenant_id is None:
        return await caller.routing("list_overrides")
    return await caller.routing("list_overrides", tenant_id=str(tenant_id))


@router.post(
    "/overrides",
    status_code=201,
    response_model=OverrideChanged,
    summary="Add a local day off or working day of my tenant — tenant_admin",
    description=(
        "Inherited by the tenants below mine (a prefecture's festival is a day off in its "
        "counties too; a more local override wins). The open deadlines of my tenant and those "
        "below that the day can move are recomputed in the same transaction; audited; "
        "announced as `calendar.override_added`. 404 `tenant_not_found` for another tenant, "
        "409 `override_exists` when the day already has one."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def add_override(
    body: Annotated[OverrideCreate, Body(openapi_examples=examples_of(OverrideCreate))],
    caller: TenantAdmin,
    state: State,
) -> Any:
    return await caller.routing(
        "add_override",
        override=body.model_dump(mode="json"),
        timeout=state.settings.calendar_rpc_timeout,
    )


@router.delete(
    "/overrides/{override_id}",
    response_model=OverrideChanged,
    summary="Remove a local day off or working day of my tenant — tenant_admin",
    description="Recomputes the deadlines it had moved; audited; `calendar.override_removed`.",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def remove_override(override_id: uuid.UUID, caller: TenantAdmin, state: State) -> Any:
    return await caller.routing(
        "remove_override",
        override_id=str(override_id),
        timeout=state.settings.calendar_rpc_timeout,
    )
