"""Turning RPC arguments and event payloads into validated values or typed errors.

Every service's entrypoints use these, so that a bad argument is always an
``InvalidInput`` with a stable code and never a crash.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.common.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError) -> str:
    """A short message naming each invalid field (never echoing the input)."""
    parts = []
    for error in exc.errors(include_url=False)[:10]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "input"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def parse(model: type[M], data: Any, code: str = "invalid_input") -> M:
    """Validate a JSON object against a contract model; unknown fields are refused."""
    if isinstance(data, model):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(code, f"expected an object for {model.__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(code, describe(exc)) from None


def parse_over(model: type[M], data: Any, code: str = "invalid_input", **defaults: Any) -> M:
    """Like :func:`parse`, with ``data`` (an object or None) laid over ``defaults``: for
    RPCs that take some fields as their own arguments and the rest in one object."""
    if data is not None and not isinstance(data, dict):
        raise InvalidInput(code, f"expected an object for {model.__name__}")
    return parse(model, {**defaults, **(data or {})}, code)


def parse_id(value: Any, field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput("invalid_id", f"{field} is not a valid id") from None


def parse_ids(value: Any, field: str, limit: int = 500) -> list[uuid.UUID]:
    if not isinstance(value, list | tuple) or len(value) > limit:
        raise InvalidInput("invalid_input", f"{field} is a list of at most {limit} ids")
    return [parse_id(v, field) for v in value]


def require_aware(value: dt.datetime, field: str) -> dt.datetime:
    """A timestamp with a time zone, in UTC; a naive one is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("naive_datetime", f"{field} needs a time zone (e.g. +08:00 or Z)")
    return value.astimezone(dt.UTC)


def parse_instant(value: Any, field: str = "at") -> dt.datetime:
    """An ISO 8601 timestamp with a time zone."""
    if isinstance(value, dt.datetime):
        return require_aware(value, field)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_input", f"{field} is not an ISO 8601 timestamp") from None
    return require_aware(parsed, field)


# -- event payloads: lenient (an event is a fact; a malformed field is skipped) -------------


def optional_id(value: Any) -> uuid.UUID | None:
    """An id from an event payload, or None when absent or malformed."""
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def id_list(values: Any) -> list[uuid.UUID]:
    out: list[uuid.UUID] = []
    for value in values or []:
        parsed = optional_id(value)
        if parsed is not None and parsed not in out:
            out.append(parsed)
    return out


def instant(value: Any, default: dt.datetime) -> dt.datetime:
    """An aware timestamp from an event payload, else ``default``."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return default
