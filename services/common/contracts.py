"""Typed event contracts (DESIGN 10).

Every event a service publishes is declared once, by its producer, in
``services/<service>/events.py``: a pydantic model per event type, subclassing
:class:`EventData`, with its ``event_type`` and ``version``, collected in the
producer's :class:`EventCatalog`. The producer emits through
:func:`services.common.events.emit`, which validates the data against the model;
consumers subscribe with :func:`services.common.consumers.consumer`, naming the
producer's model, and get the event's data as :class:`DeclaredData`: reading a
field the model does not declare raises :class:`UndeclaredField` (a permanent
failure: the event is parked and the bug shows, instead of a consumer quietly
reading ``None`` for ever).

This module imports nothing of any service: the producers' events modules
import it, and consumers import the producers' events modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventContractError(Exception):
    """Base of the contract violations (all permanent: retrying changes nothing)."""


class UndeclaredEvent(EventContractError):
    """An event type its producer does not declare."""


class UnknownEventVersion(EventContractError):
    """An event of a version the consumer's model does not know."""


class UndeclaredField(EventContractError, KeyError):
    """A consumer read a field the producer's model does not declare."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "undeclared field"


class EventData(BaseModel):
    """Base of every event model. Unknown keys are ignored when a consumer validates
    (a newer producer may add fields); the producer may not send any (see
    :meth:`check_outgoing`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    #: older versions a consumer of this model still accepts
    accepts_versions: ClassVar[frozenset[int]] = frozenset()

    @classmethod
    def fields(cls) -> frozenset[str]:
        return frozenset(cls.model_fields)

    @classmethod
    def check_outgoing(cls, data: dict[str, Any]) -> None:
        """Raise unless ``data`` is what this model declares: no undeclared key, every
        value valid (``ValidationError``)."""
        extra = sorted(set(data) - cls.fields())
        if extra:
            raise UndeclaredField(
                f"{cls.event_type} v{cls.version} does not declare {', '.join(extra)}"
            )
        cls.model_validate(data)

    @classmethod
    def check_version(cls, version: int) -> None:
        if version != cls.version and version not in cls.accepts_versions:
            raise UnknownEventVersion(
                f"{cls.event_type}: version {version} is unknown (this consumer reads "
                f"v{cls.version})"
            )


class DeclaredData(dict[str, Any]):
    """An event's data as a consumer sees it: the values as they came (JSON), every
    declared field present (None when the producer left it out), and reading an
    undeclared one (``[]`` or ``.get``) raises :class:`UndeclaredField`. ``in`` tells
    whether a field is declared; iterating gives what was sent."""

    __slots__ = ("contract",)

    def __init__(self, contract: type[EventData], data: dict[str, Any]) -> None:
        declared = contract.fields()
        super().__init__({k: v for k, v in data.items() if k in declared})
        for name in declared:
            super().setdefault(name, None)
        self.contract = contract

    def _check(self, key: object) -> None:
        if not super().__contains__(key):
            raise UndeclaredField(
                f"{self.contract.event_type} v{self.contract.version} has no field {key!r}"
            )

    def __getitem__(self, key: str) -> Any:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._check(key)
        value = super().__getitem__(key)
        return default if value is None else value


class EventCatalog:
    """The events one service publishes: type name → model."""

    def __init__(self, source: str, models: Iterable[type[EventData]]) -> None:
        self.source = source
        self.models: dict[str, type[EventData]] = {}
        for model in models:
            if model.event_type in self.models:
                raise ValueError(f"{source}: {model.event_type} declared twice")
            self.models[model.event_type] = model

    def __getitem__(self, event_type: str) -> type[EventData]:
        try:
            return self.models[event_type]
        except KeyError:
            raise UndeclaredEvent(f"{self.source} declares no event {event_type!r}") from None

    def __contains__(self, event_type: object) -> bool:
        return event_type in self.models

    def __iter__(self) -> Iterator[type[EventData]]:
        return iter(self.models.values())
