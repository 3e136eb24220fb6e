"""Write the Grafana dashboards of this folder: ``python deploy/grafana/generate.py``.

The dashboards are plain JSON (``dashboards/*.json``, provisioned by
``provisioning/dashboards/gongwen.yml`` from the Prometheus data source of
``provisioning/datasources/prometheus.yml``); this script is how they are kept
consistent (one data source, one layout, the same units and legends). Edit here,
regenerate, commit both; ``tests/deploy/test_dashboards.py`` fails when they disagree,
and ``tests/e2e/test_metrics_scrape.py`` when a query names a metric that a running
stack does not expose.

Gauges read from a service's database (outbox backlog, to-dos, documents, messages)
are exported by every replica alike: they are taken with ``max by (...)``, never summed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "gongwen-prometheus"}
RATE = "$__rate_interval"
WIDTH = 24  # Grafana's grid


# -- panels ---------------------------------------------------------------------------------------


def target(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
    }
    if instant:
        out.update(instant=True, range=False, format="table")
    return out


def _targets(queries: list[tuple[str, str]], instant: bool = False) -> list[dict[str, Any]]:
    return [
        target(expr, legend, chr(ord("A") + i), instant) for i, (expr, legend) in enumerate(queries)
    ]


def timeseries(
    title: str,
    queries: list[tuple[str, str]],
    unit: str = "short",
    description: str = "",
    width: int = 12,
    stack: bool = False,
) -> dict[str, Any]:
    custom: dict[str, Any] = {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _targets(queries),
        "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
        "options": {
            "legend": {
                "displayMode": "table",
                "placement": "bottom",
                "calcs": ["lastNotNull", "max"],
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "_size": (width, 8),
    }


def stat(
    title: str,
    expr: str,
    unit: str = "short",
    description: str = "",
    thresholds: list[tuple[float | None, str]] | None = None,
    width: int = 4,
    legend: str = "",
) -> dict[str, Any]:
    steps = [{"color": color, "value": value} for value, color in (thresholds or [(None, "green")])]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _targets([(expr, legend)]),
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                "color": {"mode": "thresholds"},
            },
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "auto",
        },
        "_size": (width, 4),
    }


def table(
    title: str, queries: list[tuple[str, str]], columns: dict[str, str], width: int = 24
) -> dict[str, Any]:
    """An instant table, one row per label set; ``columns``: Value #A… → header."""
    return {
        "type": "table",
        "title": title,
        "datasource": DATASOURCE,
        "targets": _targets(queries, instant=True),
        "transformations": [
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {"excludeByName": {"Time": True}, "renameByName": columns},
            },
        ],
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"showHeader": True, "sortBy": [{"displayName": "超期待办", "desc": True}]},
        "_size": (width, 10),
    }


def row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_size": (WIDTH, 1)}


def layout(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Place panels left to right, wrapping at the grid's width; ids in order."""
    x = y = line_height = 0
    out = []
    for i, item in enumerate(items, start=1):
        w, h = item.pop("_size")
        if x + w > WIDTH or item["type"] == "row":
            x, y, line_height = 0, y + line_height, 0
        out.append({"id": i, "gridPos": {"h": h, "w": w, "x": x, "y": y}, **item})
        x += w
        line_height = max(line_height, h)
        if item["type"] == "row":
            x, y, line_height = 0, y + h, 0
    return out


def variable(name: str, label: str, query: str, multi: bool = True) -> dict[str, Any]:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": multi,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    items: list[dict[str, Any]],
    variables: list[dict[str, Any]] | None = None,
    time_from: str = "now-6h",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["gongwen"],
        "timezone": "Asia/Shanghai",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables or []},
        "annotations": {"list": []},
        "links": [
            {"type": "dashboards", "tags": ["gongwen"], "asDropdown": True, "title": "Gongwen"}
        ],
        "panels": layout(items),
    }


# -- the dashboards ---------------------------------------------------------------------------------


def quantile(q: float, metric: str, sel: str = "", by: str = "") -> str:
    grouping = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({grouping}) (rate({metric}_bucket{sel}[{RATE}])))"


def platform() -> dict[str, Any]:
    up = 'up{job!="prometheus"}'
    return dashboard(
        "gongwen-platform",
        "Gongwen · 平台总览",
        "Targets, the gateway's traffic, and the kernel's health in every service: the "
        "outbox, the relay, parked events, the overdue scanner.",
        [
            stat("在线目标", f"sum({up})", description="Scraped targets answering."),
            stat(
                "离线目标",
                f"count({up} == 0) or vector(0)",
                thresholds=[(None, "green"), (1, "red")],
                description="Targets Prometheus cannot scrape (alert GongwenServiceDown).",
            ),
            stat(
                "网关请求/秒",
                f"sum(rate(gateway_http_requests_total[{RATE}]))",
                unit="reqps",
            ),
            stat(
                "网关 5xx 比例",
                f'sum(rate(gateway_http_requests_total{{status=~"5.."}}[{RATE}]))'
                f" / sum(rate(gateway_http_requests_total[{RATE}]))",
                unit="percentunit",
                thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")],
            ),
            stat(
                "搁置事件",
                "sum(max by (service, consumer, event_type) (gongwen_failed_events)) or vector(0)",
                thresholds=[(None, "green"), (1, "red")],
                description="Events consumers parked (GET /api/v1/ops/{service}/failed-events).",
            ),
            stat(
                "发件箱积压",
                "sum(max by (service) (gongwen_outbox_backlog))",
                thresholds=[(None, "green"), (1000, "orange"), (10000, "red")],
            ),
            row("网关"),
            timeseries(
                "网关请求（按状态码）",
                [(f"sum by (status) (rate(gateway_http_requests_total[{RATE}]))", "{{status}}")],
                unit="reqps",
                stack=True,
            ),
            timeseries(
                "网关响应时间",
                [
                    (quantile(0.5, "gateway_http_request_duration_seconds"), "p50"),
                    (quantile(0.95, "gateway_http_request_duration_seconds"), "p95"),
                    (quantile(0.99, "gateway_http_request_duration_seconds"), "p99"),
                ],
                unit="s",
            ),
            timeseries(
                "处理中的请求与上传",
                [
                    ("sum(gateway_http_requests_in_flight)", "请求"),
                    ("sum(gateway_uploads_in_progress)", "上传"),
                ],
            ),
            timeseries(
                "限流与拒绝",
                [
                    (f"sum(rate(gateway_rate_limited_total[{RATE}]))", "限流"),
                    (f"sum(rate(gateway_uploads_refused_total[{RATE}]))", "上传繁忙"),
                    (f"sum(rate(gateway_rate_limit_backend_errors_total[{RATE}]))", "Redis 不可达"),
                ],
                unit="reqps",
            ),
            row("事件内核"),
            timeseries(
                "发件箱积压（按服务）",
                [("max by (service) (gongwen_outbox_backlog)", "{{service}}")],
                description="Outbox rows waiting for the relay (alert GongwenOutboxBacklogGrowing).",
            ),
            timeseries(
                "最早未发布事件的等待时间",
                [("max by (service) (gongwen_outbox_oldest_age_seconds)", "{{service}}")],
                unit="s",
                description="Alert GongwenOutboxStale above 10 minutes.",
            ),
            timeseries(
                "中继发布速率",
                [
                    (
                        f"sum by (service) (rate(gongwen_outbox_published_total[{RATE}]))",
                        "{{service}}",
                    )
                ],
                unit="ops",
                description="Events the outbox relays publish to the broker.",
            ),
            timeseries(
                "搁置事件与搁置的发件箱记录",
                [
                    (
                        "sum by (service) (max by (service, consumer, event_type)"
                        " (gongwen_failed_events))",
                        "搁置事件 {{service}}",
                    ),
                    (
                        "sum by (service) (max by (service, event_type) (gongwen_outbox_set_aside))",
                        "搁置记录 {{service}}",
                    ),
                ],
            ),
            timeseries(
                "事件重试与搁置（速率）",
                [
                    (
                        f"sum by (service) (rate(gongwen_event_retries_total[{RATE}]))",
                        "重试 {{service}}",
                    ),
                    (
                        f"sum by (service, kind) (rate(gongwen_events_parked_total[{RATE}]))",
                        "搁置 {{service}} {{kind}}",
                    ),
                ],
                unit="ops",
            ),
            timeseries(
                "繁忙的工作线程",
                [("sum by (service) (gongwen_workers_busy)", "{{service}}")],
            ),
            row("超期扫描"),
            timeseries(
                "扫描耗时",
                [
                    (quantile(0.5, "gongwen_scanner_pass_duration_seconds"), "p50"),
                    (quantile(0.99, "gongwen_scanner_pass_duration_seconds"), "p99"),
                ],
                unit="s",
            ),
            timeseries(
                "扫描标记（每小时）",
                [
                    (
                        "sum by (kind) (increase(gongwen_scanner_marked_total[1h]))",
                        "{{kind}}",
                    )
                ],
            ),
        ],
    )


def services() -> dict[str, Any]:
    sel = '{service=~"$service", kind="rpc"}'
    return dashboard(
        "gongwen-services",
        "Gongwen · 服务 RPC",
        "Per service: RPC rate, errors and latency as the service measures them, and as "
        "the gateway sees its calls; event handlers and timers.",
        [
            timeseries(
                "RPC 调用/秒（按方法）",
                [
                    (
                        f"sum by (service, entrypoint) (rate(gongwen_entrypoint_calls_total{sel}[{RATE}]))",
                        "{{service}}.{{entrypoint}}",
                    )
                ],
                unit="reqps",
            ),
            timeseries(
                "RPC 错误/秒（按结果）",
                [
                    (
                        "sum by (service, outcome) (rate(gongwen_entrypoint_calls_total"
                        f'{{service=~"$service", kind="rpc", outcome!="ok"}}[{RATE}]))',
                        "{{service}} {{outcome}}",
                    )
                ],
                unit="reqps",
                description="expected_error: a typed 4xx answer; error: an unexpected failure "
                "(alert GongwenServiceErrorRate).",
            ),
            timeseries(
                "RPC 错误率",
                [
                    (
                        "sum by (service) (rate(gongwen_entrypoint_calls_total"
                        f'{{service=~"$service", outcome="error"}}[{RATE}]))'
                        " / sum by (service) (rate(gongwen_entrypoint_calls_total"
                        f'{{service=~"$service"}}[{RATE}]))',
                        "{{service}}",
                    )
                ],
                unit="percentunit",
            ),
            timeseries(
                "RPC p99（按服务）",
                [
                    (
                        quantile(0.99, "gongwen_entrypoint_duration_seconds", sel, "service"),
                        "p99 {{service}}",
                    ),
                    (
                        quantile(0.5, "gongwen_entrypoint_duration_seconds", sel, "service"),
                        "p50 {{service}}",
                    ),
                ],
                unit="s",
                description="Alert GongwenRpcLatencyP99 above 1 s.",
            ),
            timeseries(
                "最慢的方法（p99）",
                [
                    (
                        f"topk(10, {quantile(0.99, 'gongwen_entrypoint_duration_seconds', sel, 'service, entrypoint')})",
                        "{{service}}.{{entrypoint}}",
                    )
                ],
                unit="s",
                width=24,
            ),
            row("网关调用服务"),
            timeseries(
                "网关的 RPC 调用/秒",
                [
                    (
                        "sum by (service) (rate(gateway_rpc_duration_seconds_count"
                        f'{{service=~"$service"}}[{RATE}]))',
                        "{{service}}",
                    )
                ],
                unit="reqps",
            ),
            timeseries(
                "网关的 RPC 错误（按错误码）",
                [
                    (
                        "sum by (service, code) (rate(gateway_rpc_errors_total"
                        f'{{service=~"$service"}}[{RATE}]))',
                        "{{service}} {{code}}",
                    )
                ],
                unit="reqps",
            ),
            timeseries(
                "网关看到的 RPC p99",
                [
                    (
                        quantile(
                            0.99, "gateway_rpc_duration_seconds", '{service=~"$service"}', "service"
                        ),
                        "{{service}}",
                    )
                ],
                unit="s",
            ),
            row("事件处理与定时任务"),
            timeseries(
                "事件处理/秒",
                [
                    (
                        "sum by (service, entrypoint) (rate(gongwen_entrypoint_calls_total"
                        f'{{service=~"$service", kind="event"}}[{RATE}]))',
                        "{{service}}.{{entrypoint}}",
                    )
                ],
                unit="ops",
            ),
            timeseries(
                "定时任务耗时 p99",
                [
                    (
                        quantile(
                            0.99,
                            "gongwen_entrypoint_duration_seconds",
                            '{service=~"$service", kind="timer"}',
                            "service, entrypoint",
                        ),
                        "{{service}}.{{entrypoint}}",
                    )
                ],
                unit="s",
            ),
        ],
        variables=[
            variable("service", "服务", "label_values(gongwen_entrypoint_calls_total, service)")
        ],
    )


def notify() -> dict[str, Any]:
    return dashboard(
        "gongwen-notify",
        "Gongwen · 通知",
        "Notify: in-app notifications, e-mails and texts — what became of them, the "
        "providers' latency, the queues' lag.",
        [
            stat(
                "notify 实例",
                'count(up{job="notify"} == 1 or up{service="notify"} == 1)',
                description="Replicas answering their scrape.",
            ),
            stat("未读站内通知", "max(gongwen_notifications_unread)"),
            stat(
                "发送失败（邮件+短信）",
                'sum(max by (channel) (gongwen_notify_messages{status="failed"}))',
                thresholds=[(None, "green"), (1, "orange")],
            ),
            stat(
                "排队中",
                'sum(max by (channel) (gongwen_notify_messages{status=~"queued|sending"}))',
            ),
            stat(
                "等待发送时间",
                'sum(max by (channel) (gongwen_notify_messages{status="scheduled"}))',
                description="Messages waiting for their time (quiet hours, SMS only if unread).",
            ),
            stat(
                "已发送",
                'sum(max by (channel) (gongwen_notify_messages{status="sent"}))',
            ),
            timeseries(
                "邮件与短信（按渠道与结果）/秒",
                [
                    (
                        f"sum by (channel, outcome) (rate(gongwen_notify_sends_total[{RATE}]))",
                        "{{channel}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            timeseries(
                "消息状态（按渠道）",
                [
                    (
                        "max by (channel, status) (gongwen_notify_messages)",
                        "{{channel}} {{status}}",
                    )
                ],
            ),
            timeseries(
                "发送耗时 p95（按渠道）",
                [
                    (
                        quantile(0.95, "gongwen_notify_send_seconds", "", "channel"),
                        "{{channel}}",
                    )
                ],
                unit="s",
            ),
            timeseries(
                "队列延迟 p95（事件到 notify 取走）",
                [
                    (
                        quantile(0.95, "gongwen_notify_queue_lag_seconds", "", "event_type"),
                        "{{event_type}}",
                    )
                ],
                unit="s",
            ),
            timeseries(
                "新建站内通知（按类型）/分钟",
                [
                    (
                        f"sum by (kind) (rate(gongwen_notifications_created_total[{RATE}])) * 60",
                        "{{kind}}",
                    )
                ],
                stack=True,
            ),
            timeseries(
                "定时消息的去向",
                [
                    (
                        f"sum by (outcome) (rate(gongwen_notify_scheduled_total[{RATE}]))",
                        "{{outcome}}",
                    )
                ],
                unit="ops",
            ),
        ],
    )


def business() -> dict[str, Any]:
    tenant = '{tenant=~"$tenant"}'
    return dashboard(
        "gongwen-business",
        "Gongwen · 业务",
        "Per tenant: open and overdue to-dos, received and outgoing documents; the national "
        "calendar's latest published year.",
        [
            stat("待办总数", f"sum(max by (tenant) (gongwen_tasks_open{tenant}))"),
            stat(
                "超期待办",
                f"sum(max by (tenant) (gongwen_tasks_overdue{tenant}))",
                thresholds=[(None, "green"), (1, "orange"), (50, "red")],
            ),
            stat(
                "超期占比",
                f"sum(max by (tenant) (gongwen_tasks_overdue{tenant}))"
                f" / sum(max by (tenant) (gongwen_tasks_open{tenant}))",
                unit="percentunit",
                thresholds=[(None, "green"), (0.05, "orange"), (0.2, "red")],
            ),
            stat("登记收文", f"sum(max by (tenant) (gongwen_documents_registered{tenant}))"),
            stat("发文", f"sum(max by (tenant) (gongwen_outgoing_documents{tenant}))"),
            stat(
                "已发布节假日年度",
                "max(gongwen_calendar_latest_published_year)",
                description="The latest year whose national working-day calendar is "
                "published (alert GongwenNationalCalendarUnpublished in December).",
                thresholds=[(None, "blue")],
            ),
            timeseries(
                "待办（按租户）",
                [(f"max by (tenant) (gongwen_tasks_open{tenant})", "{{tenant}}")],
            ),
            timeseries(
                "超期待办（按租户）",
                [(f"max by (tenant) (gongwen_tasks_overdue{tenant})", "{{tenant}}")],
                description="Alert GongwenOverdueSpike: up by 20 within an hour.",
            ),
            timeseries(
                "登记收文（按租户）",
                [(f"max by (tenant) (gongwen_documents_registered{tenant})", "{{tenant}}")],
            ),
            timeseries(
                "每小时新增超期与提醒",
                [
                    (
                        "sum by (kind) (increase(gongwen_scanner_marked_total[1h]))",
                        "{{kind}}",
                    )
                ],
            ),
            table(
                "租户一览",
                [
                    (f"max by (tenant) (gongwen_tasks_open{tenant})", ""),
                    (f"max by (tenant) (gongwen_tasks_overdue{tenant})", ""),
                    (f"max by (tenant) (gongwen_documents_registered{tenant})", ""),
                    (f"max by (tenant) (gongwen_outgoing_documents{tenant})", ""),
                ],
                {
                    "tenant": "租户",
                    "Value #A": "待办",
                    "Value #B": "超期待办",
                    "Value #C": "登记收文",
                    "Value #D": "发文",
                },
            ),
        ],
        variables=[variable("tenant", "租户", "label_values(gongwen_tasks_open, tenant)")],
        time_from="now-7d",
    )


def files() -> dict[str, dict[str, Any]]:
    return {
        "platform.json": platform(),
        "services.json": services(),
        "notify.json": notify(),
        "business.json": business(),
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    out = HERE / "dashboards"
    out.mkdir(exist_ok=True)
    for name, doc in files().items():
        (out / name).write_text(render(doc))
    print(f"wrote {len(files())} dashboards to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
