"""Operations endpoints: liveness, readiness, Prometheus metrics (outside /api/v1)."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from gateway.deps import State, request_id
from gateway.errors import ErrorBody, error_response
from services.common.errors import GongwenError

router = APIRouter(tags=["ops"])

ALL_SERVICES = ("identity", "documents", "routing", "notify", "ledger", "metrics")
READINESS_TIMEOUT = 3.0  # seconds a health call may take before the gateway is "not ready"


class ServicesParam(StrEnum):
    identity = "identity"
    all = "all"


class Alive(BaseModel):
    status: str = "alive"


class Ready(BaseModel):
    status: str = "ready"
    broker: str = "ok"
    services: dict[str, str]


@router.get("/healthz", response_model=Alive, summary="The gateway process is alive")
async def healthz() -> Any:
    return {"status": "alive"}


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Ready to serve: broker reachable and identity (or every service) healthy",
    responses={503: {"model": ErrorBody, "description": "not ready"}},
)
async def readyz(
    request: Request,
    state: State,
    services: Annotated[
        ServicesParam, Query(description="identity (default) or all services")
    ] = ServicesParam.identity,
) -> Response:
    names = ALL_SERVICES if services is ServicesParam.all else ("identity",)
    try:
        await state.rpc.client.connect()
    except GongwenError as exc:
        return error_response(503, exc.code, exc.message)
    context = {"request_id": request_id(request) or "", "username": "readyz"}
    timeout = min(state.settings.rpc_timeout, READINESS_TIMEOUT)

    async def check(name: str) -> tuple[str, str | None]:
        try:
            await state.rpc.call(name, "health", context=context, timeout=timeout)
        except GongwenError as exc:
            return name, exc.code
        except Exception as exc:  # a service failing its own health check
            return name, type(exc).__name__
        return name, None

    results = await asyncio.gather(*(check(n) for n in names))
    failed = [(n, code) for n, code in results if code]
    if failed:
        return error_response(
            503,
            "not_ready",
            "not ready: " + ", ".join(f"{n} ({code})" for n, code in failed),
            details=[
                {"loc": ["services", n], "msg": str(code), "type": str(code)} for n, code in failed
            ],
        )
    return JSONResponse({"status": "ready", "broker": "ok", "services": dict.fromkeys(names, "ok")})


@router.get("/metrics", summary="Prometheus metrics of the gateway", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
