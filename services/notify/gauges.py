"""Notify's business gauges on ``/metrics`` (read when Prometheus scrapes, reused for
30 s: :class:`services.common.observability.DatabaseGauges`).

* ``gongwen_notify_messages{channel,status}`` — e-mails and texts by what became of
  them (scheduled, queued, sending, sent, failed, dropped), whichever replica sent them
  (the sends of one replica are ``gongwen_notify_sends_total``); every channel and
  status is exported, at 0 when none;
* ``gongwen_notifications_unread`` — in-app notifications (站内通知) not read yet.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import text
from sqlalchemy.engine import Connection

CHANNELS = ("email", "sms")
STATUSES = ("scheduled", "queued", "sending", "sent", "failed", "dropped")


def messages(connection: Connection) -> list[Metric]:
    counts = {
        (channel, status): n
        for channel, status, n in connection.execute(
            text("SELECT channel, status, count(*) FROM outbound_messages GROUP BY 1, 2")
        )
    }
    family = GaugeMetricFamily(
        "gongwen_notify_messages",
        "E-mails and SMS by channel and status (what became of them).",
        labels=["channel", "status"],
    )
    for channel in CHANNELS:
        for status in STATUSES:
            family.add_metric([channel, status], float(counts.get((channel, status), 0)))
    return [family]


def unread(connection: Connection) -> list[Metric]:
    n = connection.execute(
        text("SELECT count(*) FROM notifications WHERE read_at IS NULL")
    ).scalar()
    family = GaugeMetricFamily(
        "gongwen_notifications_unread", "In-app notifications (站内通知) not read yet."
    )
    family.add_metric([], float(n or 0))
    return [family]


SOURCES = [messages, unread]
