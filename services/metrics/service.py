"""nameko entrypoints of the metrics service (monthly operations indicators (运维指标数据) and Prometheus business gauges)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.db import DatabaseSession
from services.common.health import CommonEntrypoints
from services.common.observability import Observability


class MetricsService(CommonEntrypoints):
    name = "metrics"

    db: Session = DatabaseSession("metrics")  # type: ignore[assignment]
    obs = Observability()


SERVICE = MetricsService
