"""Documents' business gauges on ``/metrics`` (read when Prometheus scrapes, reused for
30 s: :class:`services.common.observability.DatabaseGauges`).

* ``gongwen_documents_registered{tenant}`` — received documents (收文) registered, per
  tenant (its code);
* ``gongwen_outgoing_documents{tenant}`` — outgoing documents (发文) drafted, per tenant.

Both count through the tenant indexes (``ix_documents_tenant_status``).
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import text
from sqlalchemy.engine import Connection


def documents(connection: Connection) -> list[Metric]:
    rows = connection.execute(
        text(
            "SELECT coalesce(t.code, c.tenant_id::text), c.received, c.outgoing"
            " FROM (SELECT d.tenant_id,"
            "              count(*) FILTER (WHERE o.document_id IS NULL) AS received,"
            "              count(o.document_id) AS outgoing"
            "         FROM documents AS d"
            "         LEFT JOIN outgoing_documents AS o ON o.document_id = d.id"
            "        GROUP BY d.tenant_id) AS c"
            " LEFT JOIN directory_tenants AS t ON t.id = c.tenant_id"
        )
    ).all()
    received = GaugeMetricFamily(
        "gongwen_documents_registered",
        "Received documents (收文) registered, per tenant.",
        labels=["tenant"],
    )
    outgoing = GaugeMetricFamily(
        "gongwen_outgoing_documents",
        "Outgoing documents (发文) drafted, per tenant.",
        labels=["tenant"],
    )
    for tenant, n_received, n_outgoing in rows:
        received.add_metric([tenant], float(n_received))
        outgoing.add_metric([tenant], float(n_outgoing))
    return [received, outgoing]


SOURCES = [documents]
