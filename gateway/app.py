"""The FastAPI application: ``python -m uvicorn gateway.app:app``.

The lifespan opens the one shared asyncio RPC client (nameko's AMQP RPC
protocol over aio-pika; never the blocking standalone proxy), the Redis client
of the rate limiter and the cache of the identity service's signing keys. The
broker is not required at start-up: calls made while it is unreachable give
503 ``broker_unavailable`` and the client reconnects on the next call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from redis.asyncio import Redis

from gateway.auth import KeySet, TokenVerifier
from gateway.deps import GatewayState
from gateway.errors import install_error_handlers
from gateway.logs import configure_logging, current_request_id
from gateway.middleware import GatewayMiddleware
from gateway.objects import MinioObjects, UploadGate
from gateway.ratelimit import RateLimiter
from gateway.routers import (
    audit,
    auth,
    calendar,
    delegations,
    documents,
    failures,
    files,
    inbox,
    instructions,
    ledger,
    me,
    metrics,
    notices,
    notifications,
    numbering,
    ops,
    org_units,
    outgoing,
    reports,
    tasks,
    templates,
    tenants,
    time_limits,
    users,
)
from gateway.rpc import ServiceRpc
from gateway.web import install_web
from services.common.context import CallContext
from services.common.rpc_client import AsyncRpcClient
from services.common.settings import Settings, get_settings

log = logging.getLogger("gateway")

TAGS: list[dict[str, Any]] = [
    {"name": "auth", "description": "Sign in (登录), token refresh and sign out; signing keys."},
    {"name": "me", "description": "The signed-in user (本人)."},
    {"name": "tenants", "description": "Tenants (租户): province, cities, counties."},
    {"name": "org units", "description": "Org tree: units (单位), divisions (处室), sections."},
    {"name": "users", "description": "Users (用户) and their roles."},
    {"name": "delegations", "description": "Delegations (授权) from leaders to secretaries."},
    {
        "name": "documents",
        "description": (
            "Incoming documents (收文): registration (收文登记) and scans, search (检索), the "
            "processing slip (处理笺) and route, distribution (分办), circulation (传阅)."
        ),
    },
    {
        "name": "inbox",
        "description": (
            "The registry's inbox (收文箱): documents other units sent through the platform "
            "(发送), signed for (签收) without re-typing, or refused (拒收)."
        ),
    },
    {"name": "files", "description": "Scans (扫描件): download by stream or short-lived link."},
    {
        "name": "tasks",
        "description": (
            "To-do (待办) and done (已办) lists; acting on a task: 签收, 拟办, 审核, 批示, "
            "办理, 办结, 归档, 退回; urging (催办)."
        ),
    },
    {"name": "reading", "description": "Circulated documents to read (待阅) and read (已阅)."},
    {
        "name": "templates",
        "description": "Process templates (流程模板) and the units they are assigned to.",
    },
    {
        "name": "calendar",
        "description": (
            "Working-day calendars (工作日历): national holidays and make-up days per year, "
            "local days off of tenants inherited down the tenant tree; deadlines follow them."
        ),
    },
    {"name": "reports", "description": "Overdue reports (超期通报): monthly, per division."},
    {
        "name": "notifications",
        "description": (
            "My notifications (通知): 待办, 催办, 退回, 到期提醒, 超期提醒; unread count, 已读."
        ),
    },
    {
        "name": "notices",
        "description": (
            "Notices with receipts (通知 + 回执): compose, send to units and people, read, "
            "reply with the receipt form, follow and remind, export."
        ),
    },
    {
        "name": "metrics",
        "description": (
            "Operations indicators (运维指标数据): the monthly application indicators "
            "(应用情况) per department, city and unit, ranked, with trend and XLSX."
        ),
    },
    {
        "name": "ledger",
        "description": (
            "Ledgers (台账): the supplier work ledger (专项工作台账) and the daily work "
            "ledger (每日台账)."
        ),
    },
    {"name": "audit", "description": "Audit trail (全程留痕), hash-chained per tenant."},
    {"name": "ops", "description": "Liveness, readiness and metrics."},
]


def operation_id(route: APIRoute) -> str:
    """An operation's ``operationId``: its route function's name (``login``,
    ``list_todo``); the generated web client calls operations by these names."""
    return route.name


def check_operation_ids(app: FastAPI) -> None:
    seen: dict[str, str] = {}
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(route.methods or ()):
                if route.unique_id in seen:
                    raise RuntimeError(
                        f"operationId {route.unique_id!r} of {method} {route.path} is also "
                        f"that of {seen[route.unique_id]}: rename one route function"
                    )
                seen[route.unique_id] = f"{method} {route.path}"


def build_state(settings: Settings) -> GatewayState:
    client = AsyncRpcClient(
        settings.amqp_uri,
        timeout=settings.rpc_timeout,
        connect_timeout=settings.broker_connect_timeout,
        client_name="gateway",
    )
    rpc = ServiceRpc(client)

    async def fetch_jwks() -> dict[str, Any]:
        context = CallContext(request_id=current_request_id(), username="gateway").to_context_data()
        result: dict[str, Any] = await rpc.call("identity", "jwks", context=context)
        return result

    keys = KeySet(fetch_jwks)
    redis = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=0.25,
        socket_timeout=0.25,
        health_check_interval=0,
    )
    limiter = RateLimiter(
        redis,
        prefix=settings.redis_key_prefix,
        limit_per_minute=settings.gateway_rate_limit_per_minute,
    )
    uploads = UploadGate.from_settings(settings)
    return GatewayState(
        settings=settings,
        rpc=rpc,
        keys=keys,
        verifier=TokenVerifier(keys, issuer=settings.jwt_issuer),
        limiter=limiter,
        objects=MinioObjects.from_settings(settings, uploads),
        uploads=uploads,
        # the live streams block on their subscription: no short socket timeout here
        streams=Redis.from_url(settings.redis_url, socket_connect_timeout=1.0),
    )


def create_app(
    settings: Settings | None = None,
    *,
    configure_logs: bool = True,
    state_factory: Callable[[Settings], GatewayState] = build_state,
) -> FastAPI:
    """The application; tests pass their own settings and ``state_factory``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = settings or get_settings()
        if configure_logs:
            configure_logging(current.log_level)
        state = state_factory(current)
        app.state.gateway = state
        try:
            await state.rpc.client.connect()
        except Exception as exc:  # not fatal: every call retries the connection
            log.warning("broker not reachable at start-up: %s", exc)
        log.info("gateway started", extra={"outcome": "started"})
        try:
            yield
        finally:
            app.state.gateway = None
            await state.rpc.close()
            if state.limiter is not None:
                await state.limiter.close()
            if state.uploads is not None:
                state.uploads.close()
            if state.streams is not None:
                await state.streams.aclose()

    app = FastAPI(
        title="Gongwen API",
        summary="公文 — e-government document platform",
        description=(
            "The public HTTP API of Gongwen. Sign in at `POST /api/v1/auth/login`, then send "
            "`Authorization: Bearer <access_token>`. Every error answers "
            '`{"error": {"code": "…", "message": "…"}}`; every response carries `X-Request-ID`.'
        ),
        version="1.0.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # gateway.web serves /docs with local assets; no ReDoc
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    app.add_middleware(GatewayMiddleware)

    # Each router carries its full prefix, so a route's path is its full template
    # (the label of the HTTP metrics).
    for module in (
        auth,
        me,
        tenants,
        org_units,
        users,
        delegations,
        documents,
        inbox,
        files,
        instructions,
        numbering,
        tasks,
        outgoing,
        templates,
        time_limits,
        calendar,
        reports,
        notifications,
        notices,
        ledger,
        metrics,
        audit,
        failures,
        ops,
    ):
        app.include_router(module.router)
    check_operation_ids(app)
    install_web(app)  # /docs and the web workbench at / (after every API route)
    return app


app = create_app()
