"""Sample overdue reports (超期通报), for the tests of its files and of the gateway."""

from __future__ import annotations

import datetime as dt
import uuid

from services.common.vocabulary import SHANGHAI
from services.routing import reports
from services.routing.schemas import OverdueItem, OverdueReport, TaskStatus

D = dt.date


def sh(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time."""
    return dt.datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def sample_report() -> OverdueReport:
    """An 超期通报 of October 2026 with one task still open and one finished a day late."""
    unit, person = uuid.uuid4(), uuid.uuid4()
    base = {
        "document_id": uuid.uuid4(),
        "doc_number": "黔府办函〔2026〕65号",
        "title": "关于报送材料的通知",
        "unit_id": unit,
        "unit_name": "电子政务处",
        "step": "division_sign",
        "step_name": "处室签收",
        "due_at": sh(2026, 10, 11),
        "due_date": D(2026, 10, 10),
    }
    items = [
        OverdueItem(
            task_id=uuid.uuid4(),
            handler_id=None,
            handler_name=None,
            finished_at=None,
            status=TaskStatus.open,
            still_open=True,
            working_days_late=16,
            **base,
        ),
        OverdueItem(
            task_id=uuid.uuid4(),
            handler_id=person,
            handler_name="李承办",
            finished_at=sh(2026, 10, 12, 10, 30),
            status=TaskStatus.done,
            still_open=False,
            working_days_late=1,
            **base,
        ),
    ]
    return OverdueReport(
        month="2026-10",
        tenant_id=uuid.uuid4(),
        generated_at=sh(2026, 11, 2, 10),
        period_start=D(2026, 10, 1),
        period_end=D(2026, 10, 31),
        totals=reports.totals(items, 4),
        by_division=reports.by_division(items),
        by_person=reports.by_person(items),
        items=items,
    )
