"""Routing's business gauges on ``/metrics`` (read when Prometheus scrapes, reused for
30 s: :class:`services.common.observability.DatabaseGauges`).

* ``gongwen_tasks_open{tenant}`` and ``gongwen_tasks_overdue{tenant}`` — open to-dos
  per tenant (its code), and those of them past their deadline (marked by the scanner);
  read through the partial indexes of open tasks.
* ``gongwen_calendar_latest_published_year`` — the latest year whose national
  schedule is published (0: none), for the alert that the next year's is still
  missing in December; ``gongwen_calendar_published_year{year}`` (1) for each.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import text
from sqlalchemy.engine import Connection


def tasks(connection: Connection) -> list[Metric]:
    rows = connection.execute(
        text(
            "SELECT coalesce(n.code, t.tenant_id::text) AS tenant, t.open, t.overdue"
            " FROM (SELECT tenant_id, count(*) AS open,"
            "              count(*) FILTER (WHERE overdue_at IS NOT NULL) AS overdue"
            "         FROM tasks WHERE status = 'open' GROUP BY tenant_id) AS t"
            " LEFT JOIN tenant_nodes AS n ON n.id = t.tenant_id"
        )
    ).all()
    open_ = GaugeMetricFamily(
        "gongwen_tasks_open", "Open to-dos (待办) per tenant.", labels=["tenant"]
    )
    overdue = GaugeMetricFamily(
        "gongwen_tasks_overdue",
        "Open to-dos past their deadline (超期) per tenant.",
        labels=["tenant"],
    )
    for tenant, n_open, n_overdue in rows:
        open_.add_metric([tenant], float(n_open))
        overdue.add_metric([tenant], float(n_overdue))
    return [open_, overdue]


def calendar(connection: Connection) -> list[Metric]:
    years = [y for (y,) in connection.execute(text("SELECT year FROM calendar_years ORDER BY 1"))]
    latest = GaugeMetricFamily(
        "gongwen_calendar_latest_published_year",
        "The latest year whose national working-day calendar is published (0: none).",
    )
    latest.add_metric([], float(max(years, default=0)))
    each = GaugeMetricFamily(
        "gongwen_calendar_published_year",
        "1 for each year whose national working-day calendar is published.",
        labels=["year"],
    )
    for year in years:
        each.add_metric([str(year)], 1.0)
    return [latest, each]


SOURCES = [tasks, calendar]
