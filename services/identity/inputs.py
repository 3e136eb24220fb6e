"""Turning RPC arguments into validated contract models (schemas.py) or typed errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.common.errors import InvalidInput
from services.identity.rules import require_aware

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


def parse_instant(value: Any, field: str = "at") -> dt.datetime:
    """An ISO 8601 timestamp with a time zone."""
    if isinstance(value, dt.datetime):
        return require_aware(value, field)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_input", f"{field} is not an ISO 8601 timestamp") from None
    return require_aware(parsed, field)
