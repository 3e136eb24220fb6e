"""Document numbers of outgoing documents (发文字号, GB/T 9704-2012): a unit's series
(机关代字 such as 黔府办函), the numbers given in a year — assigned, reserved (预留),
voided (作废) — so that a year's series has no unexplained hole."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from gateway.deps import AuthCaller
from gateway.errors import error_responses
from gateway.routers import API_PREFIX
from services.documents.schemas import (
    DocumentNumberOut,
    NumberReserve,
    NumberVoid,
    SeriesCreate,
    SeriesOut,
    SeriesYearOut,
)

router = APIRouter(prefix=API_PREFIX, tags=["numbering"])

_UNIT = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@router.post(
    "/number-series",
    status_code=201,
    response_model=SeriesOut,
    summary="A unit's series of document numbers (tenant admin, or a registrar of the unit)",
    description=(
        "Numbers read `<prefix>〔<year>〕<n>号`. 422 `bad_series_prefix` (a year, brackets, "
        "第, 号 or digits in the prefix); 409 `series_exists`; 403 `not_own_series`."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_series(
    body: Annotated[
        SeriesCreate,
        Body(
            openapi_examples={
                "default": {
                    "value": {"unit_id": _UNIT, "prefix": "黔府办函", "name": "省政府办公厅函"}
                }
            }
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents("create_series", series=body.model_dump(mode="json"))


@router.get(
    "/number-series",
    response_model=list[SeriesOut],
    summary="The tenant's series, each with this year's last and next number",
    responses=error_responses(401, 503, 504),
)
async def list_series(caller: AuthCaller) -> Any:
    return await caller.documents("list_series")


@router.get(
    "/number-series/{series_id}/numbers",
    response_model=SeriesYearOut,
    summary="Every number of a series in a year (1…last: assigned, reserved or voided)",
    responses=error_responses(401, 404, 422, 503, 504),
)
async def series_numbers(
    series_id: uuid.UUID,
    caller: AuthCaller,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")] = None,
) -> Any:
    return await caller.documents("series_numbers", series_id=str(series_id), year=year)


@router.post(
    "/number-series/{series_id}/reserve",
    status_code=201,
    response_model=DocumentNumberOut,
    summary="预留: the next number of the series (e.g. for a document issued on paper)",
    description="The series' registry only: 403 `not_own_series` for another unit's series.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def reserve_number(
    series_id: uuid.UUID,
    body: Annotated[
        NumberReserve,
        Body(
            openapi_examples={"default": {"value": {"purpose": "关于春运工作的紧急通知（纸质）"}}}
        ),
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "reserve_number", series_id=str(series_id), reservation=body.model_dump(mode="json")
    )


@router.post(
    "/document-numbers/{number_id}/void",
    response_model=DocumentNumberOut,
    summary="作废: void a reserved or assigned number, with the reason (never given again)",
    description="409 `number_voided` (already); 403 `not_own_series`.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def void_number(
    number_id: uuid.UUID,
    body: Annotated[
        NumberVoid, Body(openapi_examples={"default": {"value": {"reason": "文件撤销，号码作废"}}})
    ],
    caller: AuthCaller,
) -> Any:
    return await caller.documents(
        "void_number", number_id=str(number_id), voiding=body.model_dump(mode="json")
    )
