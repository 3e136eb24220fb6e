"""Turning RPC arguments and event payloads into validated values or typed errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.common.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:10]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "input"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def parse(model: type[M], data: Any) -> M:
    """Validate a JSON object against a contract model; unknown fields are refused."""
    if data is None:
        data = {}
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise InvalidInput("invalid_input", f"expected an object for {model.__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("invalid_input", describe(exc)) from None


def parse_id(value: Any, field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput("invalid_id", f"{field} is not a valid id") from None


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
