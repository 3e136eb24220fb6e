"""nameko entrypoints of the ledger service: the supplier work ledger (专项工作台账,
:mod:`services.ledger.work`) and the daily work ledger (每日台账, :mod:`services.ledger.daily`).

Thin: each method validates its arguments against :mod:`services.ledger.schemas`, calls
the use case and returns the pydantic-dumped result. identity (people) and routing (the
calendar's working days, the caller's done tasks) are asked over RPC as the caller."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy, rpc
from sqlalchemy.orm import Session

from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS, InvalidInput
from services.common.health import CommonEntrypoints
from services.common.inputs import parse, parse_id
from services.common.observability import Observability
from services.ledger import daily, work
from services.ledger.remote import RemoteDirectory
from services.ledger.schemas import (
    DivisionMonthQuery,
    DivisionQuery,
    EntryIn,
    EntryUpdate,
    ItemCreate,
    ItemQuery,
    ItemUpdate,
    LedgerFileIn,
    ProgressIn,
    StatusIn,
    SummaryQuery,
    SupplierCreate,
    SupplierUpdate,
)

JSON = dict[str, Any]


class LedgerService(CommonEntrypoints):
    name = "ledger"

    db: Session = DatabaseSession("ledger")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]
    identity = RpcProxy("identity")
    routing = RpcProxy("routing")

    def _directory(self) -> RemoteDirectory:
        return RemoteDirectory(self.identity, self.routing)

    # -- suppliers -----------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_supplier(self, supplier: Any) -> JSON:
        req = parse(SupplierCreate, supplier)
        return work.create_supplier(self.db, self.ctx, self._directory(), req).model_dump(
            mode="json"
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_supplier(self, supplier_id: Any, changes: Any) -> JSON:
        sid = parse_id(supplier_id, "supplier_id")
        req = parse(SupplierUpdate, changes)
        out = work.update_supplier(self.db, self.ctx, self._directory(), sid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_suppliers(self) -> list[JSON]:
        return [s.model_dump(mode="json") for s in work.list_suppliers(self.db, self.ctx)]

    # -- work items ------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_item(self, item: Any) -> JSON:
        req = parse(ItemCreate, item)
        return work.create_item(self.db, self.ctx, self._directory(), req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_item(self, item_id: Any, changes: Any) -> JSON:
        iid = parse_id(item_id, "item_id")
        req = parse(ItemUpdate, changes)
        out = work.update_item(self.db, self.ctx, self._directory(), iid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_item(self, item_id: Any) -> JSON:
        iid = parse_id(item_id, "item_id")
        return work.get_item(self.db, self.ctx, iid).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_items(self, query: Any = None) -> JSON:
        q = parse(ItemQuery, query or {})
        return work.list_items(self.db, self.ctx, q).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def post_progress(self, item_id: Any, progress: Any) -> JSON:
        iid = parse_id(item_id, "item_id")
        req = parse(ProgressIn, progress)
        out = work.post_progress(self.db, self.ctx, self._directory(), iid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_progress_upload(self, item_id: Any, entry_id: Any) -> JSON:
        work.check_upload(
            self.db, self.ctx, parse_id(item_id, "item_id"), parse_id(entry_id, "entry_id")
        )
        return {"ok": True}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_progress_files(self, item_id: Any, entry_id: Any, files: Any) -> list[JSON]:
        if not isinstance(files, list) or not files:
            raise InvalidInput("no_files", "no files to attach")
        parsed = [parse(LedgerFileIn, f) for f in files]
        out = work.add_files(
            self.db,
            self.ctx,
            parse_id(item_id, "item_id"),
            parse_id(entry_id, "entry_id"),
            parsed,
        )
        return [a.model_dump(mode="json") for a in out]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def progress_file(self, item_id: Any, file_id: Any) -> JSON:
        out = work.file_download(
            self.db, self.ctx, parse_id(item_id, "item_id"), parse_id(file_id, "file_id")
        )
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def change_status(self, item_id: Any, change: Any) -> JSON:
        iid = parse_id(item_id, "item_id")
        req = parse(StatusIn, change)
        out = work.change_status(self.db, self.ctx, self._directory(), iid, req)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def monthly_summary(self, query: Any) -> JSON:
        q = parse(SummaryQuery, query)
        return work.monthly_summary(self.db, self.ctx, q.month).model_dump(mode="json")

    # -- the daily ledger ------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_entry(self, entry: Any) -> JSON:
        req = parse(EntryIn, entry)
        return daily.add_entry(self.db, self.ctx, self._directory(), req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_entry(self, entry_id: Any, changes: Any) -> JSON:
        eid = parse_id(entry_id, "entry_id")
        req = parse(EntryUpdate, changes)
        return daily.update_entry(self.db, self.ctx, eid, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_entry(self, entry_id: Any) -> JSON:
        daily.delete_entry(self.db, self.ctx, parse_id(entry_id, "entry_id"))
        return {"deleted": True}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_days(self, month: Any = None) -> JSON:
        q = parse(SummaryQuery, {"month": month}) if month is not None else None
        return daily.my_days(self.db, self.ctx, q.month if q else None).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def suggestions(self, day: Any = None) -> list[JSON]:
        q = parse(DivisionQuery, {"day": day})
        return [
            s.model_dump(mode="json") for s in daily.suggestions(self.ctx, self._directory(), q.day)
        ]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def division_day(self, query: Any = None) -> JSON:
        q = parse(DivisionQuery, query or {})
        out = daily.division_day(self.db, self.ctx, self._directory(), q.unit_id, q.day)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def division_month(self, query: Any) -> JSON:
        q = parse(DivisionMonthQuery, query)
        out = daily.division_month(self.db, self.ctx, self._directory(), q.unit_id, q.month)
        return out.model_dump(mode="json")


SERVICE = LedgerService
