"""Operators' view of parked events and set-aside outbox rows (DESIGN 10).

Every service answers four RPCs (``ops_failed_events``, ``ops_replay_failed``,
``ops_set_aside``, ``ops_replay_set_aside``) for callers holding the ``ops`` role;
the gateway exposes them under ``/api/v1/ops/…`` and this module is also the
command-line tool::

    python -m services.common.ops failed SERVICE [--consumer C] [--type T] [--status S]
    python -m services.common.ops replay SERVICE (--id ID ... | --consumer C | --type T | --all)
    python -m services.common.ops outbox SERVICE [--type T]
    python -m services.common.ops release SERVICE (--id ID ... | --type T | --all)

(``python -m services.common.ops --help`` and ``… VERB --help`` explain each.) The tool
talks to the services over RabbitMQ (``AMQP_URI``), as the gateway does.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import uuid
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from services.common.catalog import SERVICES
from services.common.context import CallContext
from services.common.errors import Forbidden, InvalidInput

OPS_ROLE = "ops"


class FailedEventQuery(BaseModel):
    consumer: str | None = Field(default=None, max_length=200)
    event_type: str | None = Field(default=None, max_length=100)
    status: str | None = Field(
        default="parked", pattern="^(parked|replayed)$", description="parked (default) or replayed"
    )
    limit: int = Field(default=100, ge=1, le=1000)


class FailedEventOut(BaseModel):
    id: uuid.UUID
    consumer: str
    source: str
    event_type: str
    event_id: uuid.UUID | None
    error: str
    error_kind: str = Field(description="permanent or transient (retried, then parked)")
    attempts: int
    status: str
    first_failed_at: dt.datetime
    last_failed_at: dt.datetime
    replayed_at: dt.datetime | None
    envelope: dict[str, Any]


class ReplaySelection(BaseModel):
    """Which to replay: some ids, all of a consumer, all of an event type, or all (at
    least one must be given; consumer and type together narrow)."""

    ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    consumer: str | None = Field(default=None, max_length=200)
    event_type: str | None = Field(default=None, max_length=100)
    all: bool = False

    @model_validator(mode="after")
    def _something(self) -> ReplaySelection:
        if not (self.ids or self.consumer or self.event_type or self.all):
            raise ValueError("say what to replay: ids, consumer, event_type or all")
        return self


class SetAsideQuery(BaseModel):
    event_type: str | None = Field(default=None, max_length=100)


class SetAsideRowOut(BaseModel):
    id: uuid.UUID
    event_type: str
    created_at: dt.datetime
    attempts: int
    last_error: str | None
    set_aside_at: dt.datetime


class ReplayOut(BaseModel):
    service: str
    replayed: int
    ids: list[uuid.UUID]


def require_ops(ctx: CallContext) -> None:
    if OPS_ROLE not in ctx.roles:
        raise Forbidden("role_required", "needs the role: ops")


def list_failed(session: Session, query: FailedEventQuery) -> list[FailedEventOut]:
    from services.common.consumers import failed_rows

    rows = failed_rows(
        session,
        consumer=query.consumer,
        event_type=query.event_type,
        status=query.status,
        limit=query.limit,
    )
    session.rollback()
    return [FailedEventOut.model_validate(row._mapping) for row in rows]


def replay_failed(
    session: Session, service: str, amqp_uri: str, selection: ReplaySelection
) -> ReplayOut:
    from services.common.consumers import replay_failed as replay

    ids = replay(
        session,
        amqp_uri,
        ids=selection.ids,
        consumer=selection.consumer,
        event_type=selection.event_type,
    )
    session.commit()
    return ReplayOut(service=service, replayed=len(ids), ids=ids)


def list_set_aside(session: Session, query: SetAsideQuery) -> list[SetAsideRowOut]:
    from services.common.events import set_aside_rows

    rows = set_aside_rows(session, query.event_type)
    session.rollback()
    return [SetAsideRowOut.model_validate(row._mapping) for row in rows]


def release_set_aside(session: Session, service: str, selection: ReplaySelection) -> ReplayOut:
    from services.common.events import release_set_aside

    if selection.consumer:
        raise InvalidInput(
            "invalid_input", "outbox rows have no consumer: choose ids, event_type or all"
        )
    released = release_set_aside(session, selection.ids, selection.event_type)
    session.commit()
    return ReplayOut(service=service, replayed=len(released), ids=released)


# -- the command-line tool ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.common.ops",
        description=(
            "List and replay events a service's consumers parked (failed_events) and "
            "outbox rows its relay set aside. Talks to the services over RabbitMQ "
            "(AMQP_URI). A replayed event keeps its id: a consumer that had applied it "
            "applies it once."
        ),
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    failed = verbs.add_parser("failed", help="list the events a service's consumers parked")
    failed.add_argument("service", choices=SERVICES)
    failed.add_argument("--consumer", help="e.g. documents.on_task_completed")
    failed.add_argument("--type", dest="event_type", help="event type, e.g. task.completed")
    failed.add_argument("--status", default="parked", choices=("parked", "replayed"))
    failed.add_argument("--limit", type=int, default=100)

    replay = verbs.add_parser(
        "replay",
        help="send parked events again to their consumers (one, a consumer's, a type's, all)",
    )
    replay.add_argument("service", choices=SERVICES)
    replay.add_argument(
        "--id", dest="ids", action="append", help="a failed event's id (repeatable)"
    )
    replay.add_argument("--consumer", help="all parked events of this consumer")
    replay.add_argument("--type", dest="event_type", help="all parked events of this type")
    replay.add_argument("--all", action="store_true", help="every parked event of the service")

    outbox = verbs.add_parser("outbox", help="list the outbox rows a service's relay set aside")
    outbox.add_argument("service", choices=SERVICES)
    outbox.add_argument("--type", dest="event_type")

    release = verbs.add_parser(
        "release", help="give set-aside outbox rows back to the relay (one, a type's, all)"
    )
    release.add_argument("service", choices=SERVICES)
    release.add_argument("--id", dest="ids", action="append")
    release.add_argument("--type", dest="event_type")
    release.add_argument("--all", action="store_true")
    return parser


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if args.verb == "failed":
        query = FailedEventQuery(
            consumer=args.consumer, event_type=args.event_type, status=args.status, limit=args.limit
        )
        return "ops_failed_events", {"query": query.model_dump(mode="json")}
    if args.verb == "outbox":
        return "ops_set_aside", {"query": SetAsideQuery(event_type=args.event_type).model_dump()}
    selection = ReplaySelection(
        ids=[uuid.UUID(i) for i in args.ids] if args.ids else None,
        consumer=getattr(args, "consumer", None),
        event_type=args.event_type,
        all=args.all,
    )
    method = "ops_replay_failed" if args.verb == "replay" else "ops_replay_set_aside"
    return method, {"selection": selection.model_dump(mode="json")}


async def _call(service: str, method: str, kwargs: dict[str, Any]) -> Any:
    from services.common.rpc_client import AsyncRpcClient
    from services.common.settings import get_settings

    settings = get_settings()
    client = AsyncRpcClient(settings.amqp_uri, timeout=settings.rpc_timeout, client_name="ops-cli")
    try:
        context = {"roles": OPS_ROLE, "request_id": f"ops-cli-{uuid.uuid4().hex[:12]}"}
        return await client.call(service, method, kwargs, context=context)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        method, kwargs = _request(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(_call(args.service, method, kwargs))
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
