"""What every service's SQLAlchemy declarative base shares.

Each service keeps its own declarative base with its own registry (its own
``MetaData``: its own database and migrations), made here::

    class Base(DeclarativeBase):
        registry = service_registry()

UUIDs are PostgreSQL ``uuid``, datetimes ``timestamptz`` (always aware), dates
``date`` and ``dict[str, Any]`` ``jsonb``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import registry

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    uuid.UUID: UUID(as_uuid=True),
    dt.datetime: DateTime(timezone=True),
    dt.date: Date,
    dict[str, Any]: JSONB,
}


def service_registry() -> registry:
    """A new registry (with new, empty metadata) for one service's declarative base."""
    return registry(metadata=MetaData(), type_annotation_map=TYPE_ANNOTATION_MAP)


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a check constraint: ``column`` holds one of ``values`` (e.g. the
    members of a vocabulary enum), as ``column IN ('a', 'b')``."""
    return f"{column} IN (" + ", ".join(f"'{str(v)}'" for v in values) + ")"
