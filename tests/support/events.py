"""Events as their producers declare them (services/<service>/events.py), for tests
that publish events themselves: :func:`complete` fills every required field a test
does not care about with a plausible value, so what a test publishes is always a
valid event of the contract (consumers park anything else)."""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from typing import Any

from services.common.contracts import EventCatalog, EventData


def _sample(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _sample(options[0]) if options else None
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    if annotation is dt.datetime:
        return dt.datetime.now(dt.UTC).isoformat()
    if annotation is dt.date:
        return dt.date.today().isoformat()
    if annotation is bool:
        return False
    if annotation is int:
        return 1
    if annotation is str:
        return "x"
    return None


def complete(model: type[EventData], data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``data`` with every required field of ``model`` it lacks filled in (JSON values)."""
    out = dict(data or {})
    for name, field in model.model_fields.items():
        if name not in out and field.is_required():
            out[name] = _sample(field.annotation)
    model.check_outgoing(out)
    return out


def sample(model: type[EventData]) -> dict[str, Any]:
    """A full event of ``model``: every declared field, optional ones too."""
    out = {name: _sample(field.annotation) for name, field in model.model_fields.items()}
    model.check_outgoing(out)
    return out


def catalogs() -> dict[str, EventCatalog]:
    """Every producer's catalog, by service."""
    from services.documents.events import EVENTS as documents
    from services.identity.events import EVENTS as identity
    from services.notify.events import EVENTS as notify
    from services.routing.events import EVENTS as routing

    return {c.source: c for c in (identity, documents, routing, notify)}
