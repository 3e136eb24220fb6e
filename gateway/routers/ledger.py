"""The ledgers (台账): the supplier work ledger (专项工作台账) — suppliers, their work
items, progress updates by the suppliers, status changes by the e-government division,
the monthly summary, XLSX exports — and the daily work ledger (每日台账) — my entries of
a day, the day's done tasks as suggestions, the division's view (who has not filled in
the previous working day), the monthly summary per person, XLSX export.

Thin: the ledger service decides (who may, the delayed rule, the checks) and asks
identity and routing what it needs; this router validates the requests and lays out
the workbooks (:mod:`gateway.ledger_exports`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import ledger_exports
from gateway.deps import AuthCaller, CurrentPrincipal, State
from gateway.errors import error_responses
from gateway.kept_files import keep_uploads, stream_kept
from gateway.routers import API_PREFIX
from gateway.routers.documents import (
    _UPLOAD_BODY,
)
from gateway.routers.reports import attachment
from services.ledger.schemas import (
    DivisionDay,
    DivisionMonth,
    DivisionMonthQuery,
    DivisionQuery,
    EntryIn,
    EntryOut,
    EntryUpdate,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemQuery,
    ItemUpdate,
    LedgerFileDownload,
    MonthlySummary,
    MyDays,
    MyDaysQuery,
    ProgressFileOut,
    ProgressIn,
    StatusIn,
    Suggestion,
    SummaryQuery,
    SupplierCreate,
    SupplierOut,
    SupplierUpdate,
)

router = APIRouter(prefix=API_PREFIX + "/ledger", tags=["ledger"])

#: the object-store prefix of progress attachments: ledger/<tenant>/<item>/<file>
LEDGER_PREFIX = "ledger"

XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the workbook",
        "content": {
            ledger_exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
        },
    }
}
EXPORT_LIMIT = 2000


def _xlsx(content: bytes, filename: str, fallback: str) -> Response:
    return Response(
        content,
        media_type=ledger_exports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(filename, fallback)},
    )


# -- suppliers -----------------------------------------------------------------------------------------


@router.post(
    "/suppliers",
    status_code=201,
    response_model=SupplierOut,
    summary="登记供应商: register a supplier company and its people",
    description=(
        "The e-government division's staff (`tenant_admin`, `division_head`, `handler`; "
        "else 403 `ledger_manager_required`). `user_ids`: users of this tenant with the "
        "`supplier` role (422 `not_a_supplier_user`), each in one supplier at most (409 "
        "`user_in_other_supplier`); 409 `supplier_name_taken`."
    ),
    responses=error_responses(401, 403, 409, 422, 503, 504),
)
async def create_supplier(body: SupplierCreate, caller: AuthCaller) -> Any:
    return await caller.call("ledger", "create_supplier", supplier=body.model_dump(mode="json"))


@router.get(
    "/suppliers",
    response_model=list[SupplierOut],
    summary="供应商: the tenant's suppliers (a supplier's people: their own only)",
    responses=error_responses(401, 503, 504),
)
async def list_suppliers(caller: AuthCaller) -> Any:
    return await caller.call("ledger", "list_suppliers")


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=SupplierOut,
    summary="修改供应商: name, contact, people, active",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def update_supplier(supplier_id: uuid.UUID, body: SupplierUpdate, caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger",
        "update_supplier",
        supplier_id=str(supplier_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


# -- work items --------------------------------------------------------------------------------------


@router.post(
    "/items",
    status_code=201,
    response_model=ItemOut,
    summary="新建台账事项: a supplier's work item (the division's staff)",
    description=(
        "Refusals: 403 `ledger_manager_required`, 404 `supplier_not_found`, 409 "
        "`supplier_inactive`, 422 `end_before_start`, `person_not_of_supplier` (the "
        "supplier's responsible person is one of its people), `unknown_owner` (the "
        "division's responsible person: an active member of staff)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def create_item(body: ItemCreate, caller: AuthCaller) -> Any:
    return await caller.call("ledger", "create_item", item=body.model_dump(mode="json"))


@router.get(
    "/items",
    response_model=ItemPage,
    summary="专项工作台账: query the items (by supplier, project, status, person, delayed, dates)",
    description=(
        "An item past its planned end (Asia/Shanghai day) and neither 已完成 nor 已暂停 is "
        "shown 已延期 (`shown_status: delayed`, `delayed: true`) whatever its stored status. "
        "`status` filters the shown status. A supplier's people see their company's items only."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def list_items(query: Annotated[ItemQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger", "list_items", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/items.xlsx",
    response_class=Response,
    summary="专项工作台账 as an XLSX workbook (the same filters as the list)",
    responses={**XLSX_RESPONSE, **error_responses(401, 422, 503, 504)},
)
async def items_xlsx(query: Annotated[ItemQuery, Query()], caller: AuthCaller) -> Response:
    wanted = query.model_dump(mode="json", exclude_none=True)
    wanted.update(limit=EXPORT_LIMIT, offset=0)
    page = ItemPage.model_validate(await caller.call("ledger", "list_items", query=wanted))
    content = await run_in_threadpool(ledger_exports.items_xlsx, page.items)
    return _xlsx(content, "专项工作台账.xlsx", "ledger-items.xlsx")


@router.get(
    "/items/{item_id}",
    response_model=ItemOut,
    summary="A work item with its history (进度与状态变更, newest first)",
    responses=error_responses(401, 404, 503, 504),
)
async def get_item(item_id: uuid.UUID, caller: AuthCaller) -> Any:
    return await caller.call("ledger", "get_item", item_id=str(item_id))


@router.patch(
    "/items/{item_id}",
    response_model=ItemOut,
    summary="修改台账事项 (the division's staff); the edit goes into its history",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def update_item(item_id: uuid.UUID, body: ItemUpdate, caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger",
        "update_item",
        item_id=str(item_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


@router.post(
    "/items/{item_id}/progress",
    response_model=ItemOut,
    summary="进度更新: a supplier's people report progress on their company's item",
    description=(
        "Refusals: 403 `suppliers_only` (staff), 403 `not_own_item` (another supplier's "
        "item), 409 `item_done`, 409 `item_suspended`, 422 `percent_out_of_range` (0–100). "
        "A first update starts a 未开始 item (进行中)."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def post_progress(item_id: uuid.UUID, body: ProgressIn, caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger", "post_progress", item_id=str(item_id), progress=body.model_dump(mode="json")
    )


@router.post(
    "/items/{item_id}/progress/{entry_id}/attachments",
    status_code=201,
    response_model=list[ProgressFileOut],
    summary="进度附件: attach files to one's own progress update (multipart, field `files`)",
    description=(
        "Documents and pictures (PDF, OFD, DOCX, JPEG, PNG, TIFF: sniffed from the bytes, "
        "else 422 `file_type_not_allowed`), at most 10 per update. Refusals before a byte is "
        "read: 403 `suppliers_only`, `not_progress_author`; 404 `progress_not_found`; 409 "
        "`item_done`, `item_suspended`; 422 `too_many_files`."
    ),
    responses=error_responses(401, 403, 404, 408, 409, 413, 415, 422, 503, 504),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_progress_attachments(
    item_id: uuid.UUID,
    entry_id: uuid.UUID,
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    caller: AuthCaller,
) -> Any:
    tenant_id = principal.tenant_id
    assert tenant_id is not None

    async def check() -> None:
        await caller.call(
            "ledger", "check_progress_upload", item_id=str(item_id), entry_id=str(entry_id)
        )

    async def record(files: list[dict[str, Any]]) -> Any:
        return await caller.call(
            "ledger",
            "add_progress_files",
            item_id=str(item_id),
            entry_id=str(entry_id),
            files=files,
        )

    return await keep_uploads(
        request,
        state,
        tenant_id,
        check=check,
        prefix=f"{LEDGER_PREFIX}/{tenant_id}/{item_id}",
        record=record,
    )


@router.get(
    "/items/{item_id}/attachments/{file_id}",
    response_class=Response,
    summary="Download a progress attachment (whoever may see the item)",
    responses={
        200: {"description": "the file", "content": {"application/octet-stream": {}}},
        **error_responses(401, 404, 503, 504),
    },
)
async def progress_attachment(
    item_id: uuid.UUID, file_id: uuid.UUID, state: State, caller: AuthCaller
) -> Response:
    info = LedgerFileDownload.model_validate(
        await caller.call("ledger", "progress_file", item_id=str(item_id), file_id=str(file_id))
    )
    return await stream_kept(state, info)


@router.post(
    "/items/{item_id}/status",
    response_model=ItemOut,
    summary="状态变更 (the division's staff): 未开始, 进行中, 已完成, 已延期, 已暂停",
    description="409 `status_unchanged`; 已完成 sets the progress to 100 %.",
    responses=error_responses(401, 403, 404, 409, 422, 503, 504),
)
async def change_status(item_id: uuid.UUID, body: StatusIn, caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger", "change_status", item_id=str(item_id), change=body.model_dump(mode="json")
    )


@router.get(
    "/summary",
    response_model=MonthlySummary,
    summary="供应商月度汇总: per supplier, the month's items done, in progress, delayed…",
    description=(
        "The items whose planned period overlaps the month, counted by their shown status "
        "today, and those completed within the month."
    ),
    responses=error_responses(401, 422, 503, 504),
)
async def monthly_summary(query: Annotated[SummaryQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call("ledger", "monthly_summary", query=query.model_dump(mode="json"))


@router.get(
    "/summary.xlsx",
    response_class=Response,
    summary="供应商月度汇总 as an XLSX workbook",
    responses={**XLSX_RESPONSE, **error_responses(401, 422, 503, 504)},
)
async def monthly_summary_xlsx(
    query: Annotated[SummaryQuery, Query()], caller: AuthCaller
) -> Response:
    summary = MonthlySummary.model_validate(
        await caller.call("ledger", "monthly_summary", query=query.model_dump(mode="json"))
    )
    content = await run_in_threadpool(ledger_exports.summary_xlsx, summary)
    return _xlsx(content, f"供应商月度汇总-{summary.month}.xlsx", "ledger-summary.xlsx")


# -- the daily ledger (每日台账) --------------------------------------------------------------------


@router.post(
    "/daily",
    status_code=201,
    response_model=EntryOut,
    summary="登记台账: an entry of my daily ledger (today by default)",
    description="Refusals: 422 `future_day` (a day after today, Shanghai), 403 `staff_only`.",
    responses=error_responses(401, 403, 422, 503, 504),
)
async def add_entry(body: EntryIn, caller: AuthCaller) -> Any:
    return await caller.call("ledger", "add_entry", entry=body.model_dump(mode="json"))


@router.get(
    "/daily/mine",
    response_model=MyDays,
    summary="我的台账: my entries of a month (default this month), newest day first",
    responses=error_responses(401, 422, 503, 504),
)
async def my_days(query: Annotated[MyDaysQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call("ledger", "my_days", month=query.month)


@router.get(
    "/daily/suggestions",
    response_model=list[Suggestion],
    summary="The tasks I completed on a day (default today): to link from an entry",
    responses=error_responses(401, 403, 422, 503, 504),
)
async def suggestions(caller: AuthCaller, day: dt.date | None = None) -> Any:
    return await caller.call(
        "ledger", "suggestions", day=day.isoformat() if day is not None else None
    )


@router.get(
    "/daily/division",
    response_model=DivisionDay,
    summary="处室台账: a division's entries of a day and who has not filled it in",
    description=(
        "Default day: the previous working day (the tenant's calendar). A division head "
        "sees their own unit (403 `not_own_division`), the tenant administrator any "
        "(`unit_id`); others 403 `division_head_required`."
    ),
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def division_day(query: Annotated[DivisionQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger", "division_day", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/daily/summary",
    response_model=DivisionMonth,
    summary="台账月度汇总: per person of the division, entries, days filled, working days missed",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def division_month(query: Annotated[DivisionMonthQuery, Query()], caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger", "division_month", query=query.model_dump(mode="json", exclude_none=True)
    )


@router.get(
    "/daily/summary.xlsx",
    response_class=Response,
    summary="每日台账 of a division and month as an XLSX workbook (台账明细, 人员汇总)",
    responses={**XLSX_RESPONSE, **error_responses(401, 403, 404, 422, 503, 504)},
)
async def division_month_xlsx(
    query: Annotated[DivisionMonthQuery, Query()], caller: AuthCaller
) -> Response:
    month = DivisionMonth.model_validate(
        await caller.call(
            "ledger", "division_month", query=query.model_dump(mode="json", exclude_none=True)
        )
    )
    content = await run_in_threadpool(ledger_exports.daily_xlsx, month)
    return _xlsx(content, f"每日台账-{month.month}.xlsx", "daily-ledger.xlsx")


@router.patch(
    "/daily/{entry_id}",
    response_model=EntryOut,
    summary="修改台账: change one of my entries (403 `not_own_entry`)",
    responses=error_responses(401, 403, 404, 422, 503, 504),
)
async def update_entry(entry_id: uuid.UUID, body: EntryUpdate, caller: AuthCaller) -> Any:
    return await caller.call(
        "ledger",
        "update_entry",
        entry_id=str(entry_id),
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


@router.delete(
    "/daily/{entry_id}",
    status_code=204,
    response_class=Response,
    summary="删除台账: remove one of my entries (403 `not_own_entry`)",
    responses=error_responses(401, 403, 404, 503, 504),
)
async def delete_entry(entry_id: uuid.UUID, caller: AuthCaller) -> Response:
    await caller.call("ledger", "delete_entry", entry_id=str(entry_id))
    return Response(status_code=204)
