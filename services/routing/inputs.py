"""Turning RPC arguments into validated contract models (schemas.py) or typed errors."""

from __future__ import annotations

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


def parse(model: type[M], data: Any, code: str = "invalid_input") -> M:
    """Validate a JSON object against a contract model; unknown fields are refused."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(code, f"expected an object for {model.__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(code, describe(exc)) from None


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
