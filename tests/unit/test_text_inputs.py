"""Text a client sends never holds a NUL or a lone surrogate: the shared type refuses
both, and every string field of every request model (the services' schemas and the
gateway's own) and every free-text query or path parameter of the gateway uses it."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import typing
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

import gateway.routers
from services.common.catalog import SERVICES
from services.common.text import Text, check_text
from services.common.vocabulary import Strict

BAD = ["a\x00b", "\x00", "title\ud800", "\udfff", "ok\udc80ok"]
GOOD = ["关于做好年底工作的通知", "", "tab\tand\nnewline", "emoji 🙂", "\u2028"]


@pytest.mark.parametrize("value", BAD)
def test_nul_and_lone_surrogates_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(Text).validate_python(value)
    assert "NUL" in str(info.value) or "surrogate" in str(info.value)


@pytest.mark.parametrize("value", GOOD)
def test_any_other_text_passes_unchanged(value: str) -> None:
    assert TypeAdapter(Text).validate_python(value) == value


def _strings_unchecked(annotation: Any, metadata: list[Any]) -> bool:
    """True when ``annotation`` holds a ``str`` without :func:`check_text` on it."""
    checked = any(getattr(m, "func", None) is check_text for m in metadata)
    if annotation is str:
        return not checked
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _strings_unchecked(base, [*metadata, *extra])
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return False  # a nested model is checked on its own
    if inspect.isclass(annotation) and issubclass(annotation, str):
        return False  # an enum of fixed values
    args = typing.get_args(annotation)
    if origin is dict and args:
        return _strings_unchecked(args[1], []) or _strings_unchecked(args[0], [])
    return any(_strings_unchecked(arg, []) for arg in args if arg is not type(None))


def request_models() -> list[type[BaseModel]]:
    modules = [
        importlib.import_module(f"services.{s}.schemas")
        for s in SERVICES
        if importlib.util.find_spec(f"services.{s}.schemas") is not None
    ]
    modules += [importlib.import_module(f"gateway.routers.{m}") for m in ROUTERS]
    found: list[type[BaseModel]] = []
    for module in modules:
        for _, value in vars(module).items():
            is_request = inspect.isclass(value) and issubclass(value, Strict)
            if is_request and value is not Strict and value not in found:
                found.append(value)
    return found


ROUTERS = tuple(m.name for m in pkgutil.iter_modules(gateway.routers.__path__))


def test_every_string_field_of_a_request_model_is_text() -> None:
    offenders = [
        f"{model.__module__}.{model.__name__}.{name}"
        for model in request_models()
        for name, info in model.model_fields.items()
        if _strings_unchecked(info.annotation, list(info.metadata))
    ]
    assert not offenders, "use services.common.text.Text for:\n" + "\n".join(offenders)


def test_every_free_text_query_and_path_parameter_of_the_gateway_is_text() -> None:
    from gateway.app import create_app

    def api_routes(routes: Any) -> Any:
        for route in routes:
            nested = getattr(route, "original_router", None)  # a router FastAPI included
            if nested is not None:
                yield from api_routes(nested.routes)
            elif isinstance(route, APIRoute):
                yield route

    offenders = []
    seen = 0
    for route in api_routes(create_app(configure_logs=False).routes):
        seen += 1
        for param in (*route.dependant.query_params, *route.dependant.path_params):
            info = param.field_info
            if _strings_unchecked(param.field_info.annotation, list(info.metadata)):
                offenders.append(f"{route.path} {param.name}")
    assert not offenders, "use services.common.text.Text for:\n" + "\n".join(offenders)
    assert seen > 50  # every route was looked at


def test_stripped_text_must_still_have_its_minimum_length():
    """A constrained text field strips before it counts: "   " is not a title."""
    from services.documents.schemas import Title

    with pytest.raises(ValidationError):
        TypeAdapter(Title).validate_python("   ")
    with pytest.raises(ValidationError):
        TypeAdapter(Title).validate_python("标题\x00")
    assert TypeAdapter(Title).validate_python("  通知  ") == "通知"
