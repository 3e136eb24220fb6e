"""Prometheus metrics of the gateway (served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "gateway_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "gateway_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge("gateway_http_requests_in_flight", "HTTP requests being answered now.")

RPC_LATENCY = Histogram(
    "gateway_rpc_duration_seconds",
    "Time of an RPC call to a service, by service and method (whatever the outcome).",
    ["service", "method"],
    buckets=_LATENCY_BUCKETS,
)
RPC_ERRORS = Counter(
    "gateway_rpc_errors_total",
    "RPC calls that failed, by service, method and error code.",
    ["service", "method", "code"],
)

RATE_LIMITED = Counter("gateway_rate_limited_total", "Requests refused by the rate limit.")
RATE_LIMIT_BACKEND_ERRORS = Counter(
    "gateway_rate_limit_backend_errors_total",
    "Rate-limit checks that could not reach Redis (the request was let through).",
)

UPLOADS_IN_PROGRESS = Gauge("gateway_uploads_in_progress", "Uploads holding an upload slot now.")
UPLOADS_REFUSED = Counter(
    "gateway_uploads_refused_total", "Uploads refused with 503 uploads_busy (every slot taken)."
)
