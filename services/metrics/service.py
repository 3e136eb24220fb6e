"""nameko entrypoints of the metrics service: the facts of the monthly application
indicators (运维指标数据 — 应用情况) from identity's, documents' and routing's events
(one durable queue per event, consumed idempotently), and the RPC methods that compute
the indicators from them (:mod:`services.metrics.indicators`)."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from sqlalchemy.orm import Session

from services.common.consumers import consumer
from services.common.context import CallContext, Caller
from services.common.db import DatabaseSession
from services.common.errors import EXPECTED_ERRORS
from services.common.events import EventEnvelope
from services.common.health import CommonEntrypoints
from services.common.inputs import parse
from services.common.observability import Observability
from services.documents import events as documents_events
from services.identity import events as identity_events
from services.metrics import indicators, site_reports
from services.metrics.schemas import (
    IndicatorQuery,
    SiteReportHistoryQuery,
    SiteReportIn,
    SiteReportQuery,
    TrendQuery,
)
from services.routing import events as routing_events

JSON = dict[str, Any]


class MetricsService(CommonEntrypoints):
    name = "metrics"

    db: Session = DatabaseSession("metrics")  # type: ignore[assignment]
    obs = Observability()
    ctx: CallContext = Caller()  # type: ignore[assignment]

    def _record(self, handler: str, envelope: EventEnvelope) -> None:
        indicators.record(self.db, f"metrics.{handler}", envelope)

    # -- identity: the directory, accounts and sign-ins ----------------------------------------

    @consumer("identity", identity_events.TenantCreated)
    def on_tenant_created(self, envelope: EventEnvelope) -> None:
        self._record("on_tenant_created", envelope)

    @consumer("identity", identity_events.OrgUnitCreated)
    def on_org_unit_created(self, envelope: EventEnvelope) -> None:
        self._record("on_org_unit_created", envelope)

    @consumer("identity", identity_events.OrgUnitUpdated)
    def on_org_unit_updated(self, envelope: EventEnvelope) -> None:
        self._record("on_org_unit_updated", envelope)

    @consumer("identity", identity_events.UserCreated)
    def on_user_created(self, envelope: EventEnvelope) -> None:
        self._record("on_user_created", envelope)

    @consumer("identity", identity_events.UserUpdated)
    def on_user_updated(self, envelope: EventEnvelope) -> None:
        self._record("on_user_updated", envelope)

    @consumer("identity", identity_events.UserDeactivated)
    def on_user_deactivated(self, envelope: EventEnvelope) -> None:
        self._record("on_user_deactivated", envelope)

    @consumer("identity", identity_events.UserLoggedIn)
    def on_user_logged_in(self, envelope: EventEnvelope) -> None:
        self._record("on_user_logged_in", envelope)

    # -- documents: received, sent, processed --------------------------------------------------

    @consumer("documents", documents_events.DocumentRegistered)
    def on_document_registered(self, envelope: EventEnvelope) -> None:
        self._record("on_document_registered", envelope)

    @consumer("documents", documents_events.OutgoingDrafted)
    def on_outgoing_drafted(self, envelope: EventEnvelope) -> None:
        self._record("on_outgoing_drafted", envelope)

    @consumer("documents", documents_events.OutgoingDispatched)
    def on_outgoing_dispatched(self, envelope: EventEnvelope) -> None:
        self._record("on_outgoing_dispatched", envelope)

    @consumer("documents", documents_events.DocumentCompleted)
    def on_document_completed(self, envelope: EventEnvelope) -> None:
        self._record("on_document_completed", envelope)

    # -- routing: items started, overdue -------------------------------------------------------

    @consumer("routing", routing_events.TaskCreated)
    def on_task_created(self, envelope: EventEnvelope) -> None:
        self._record("on_task_created", envelope)

    @consumer("routing", routing_events.TaskOverdue)
    def on_task_overdue(self, envelope: EventEnvelope) -> None:
        self._record("on_task_overdue", envelope)

    # -- the indicators -------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def indicator_table(self, query: Any) -> JSON:
        q = parse(IndicatorQuery, query, "invalid_month")
        return indicators.table(self.db, self.ctx, q.month, q.level).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def indicator_trend(self, query: Any) -> JSON:
        q = parse(TrendQuery, query, "invalid_month")
        return indicators.trend(self.db, self.ctx, q.month, q.level, q.key).model_dump(mode="json")

    # -- 服务站点运维 ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def submit_site_report(self, report: Any) -> JSON:
        req = parse(SiteReportIn, report)
        return site_reports.submit(self.db, self.ctx, req).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def site_report_board(self, query: Any) -> JSON:
        q = parse(SiteReportQuery, query, "invalid_month")
        return site_reports.board(self.db, self.ctx, q.month).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def site_report_history(self, query: Any) -> JSON:
        q = parse(SiteReportHistoryQuery, query)
        return site_reports.history(self.db, self.ctx, q.month, q.tenant_id).model_dump(mode="json")


SERVICE = MetricsService
