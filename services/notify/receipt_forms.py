"""Receipt forms (回执单) of notices: a form defined for one notice, and a reply checked
against it (pure: standard library and pydantic only).

A form is a list of fields, each with a key, a label (参会人员, 人数, 联系电话…), a type
and a required flag; a ``select`` field also lists its options. A reply is a mapping of
field keys to values: every required field filled in, no key the form does not have,
each value of its field's type. Values are kept as the reply gave them, normalised:
strings stripped, integers and numbers as numbers, dates as ``YYYY-MM-DD``.

Refusals (``InvalidInput``, 422): ``unknown_field_type``, ``duplicate_field``,
``select_without_options``, ``option_not_allowed`` (options on a field that is not a
select), ``too_many_fields``; of a reply: ``missing_field``, ``unknown_field``,
``invalid_field_value``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.common.errors import InvalidInput


class FieldType(StrEnum):
    text = "text"  # 单行文本
    textarea = "textarea"  # 多行文本
    integer = "integer"  # 整数 (人数)
    number = "number"  # 数字
    phone = "phone"  # 电话
    date = "date"  # 日期
    select = "select"  # 单选


FIELD_TYPE_LABELS: dict[FieldType, str] = {
    FieldType.text: "单行文本",
    FieldType.textarea: "多行文本",
    FieldType.integer: "整数",
    FieldType.number: "数字",
    FieldType.phone: "电话",
    FieldType.date: "日期",
    FieldType.select: "单选",
}

MAX_FIELDS = 20
MAX_TEXT = {FieldType.text: 200, FieldType.textarea: 2000, FieldType.select: 40}
#: a mobile number, or a landline with an area code and an extension (0851-86812345-123)
PHONE = re.compile(r"^(\+?86[- ]?)?(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    type: FieldType
    required: bool = False
    options: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
            "options": list(self.options),
        }


def check_form(fields: Sequence[Mapping[str, Any]]) -> list[FormField]:
    """The form of a notice from its definition (``key`` may be left out: ``f1``, ``f2``…)."""
    if len(fields) > MAX_FIELDS:
        raise InvalidInput("too_many_fields", f"a receipt form has at most {MAX_FIELDS} fields")
    out: list[FormField] = []
    seen: set[str] = set()
    for index, field in enumerate(fields, start=1):
        label = str(field.get("label") or "").strip()
        try:
            kind = FieldType(str(field.get("type")))
        except ValueError:
            raise InvalidInput(
                "unknown_field_type",
                f"field {label or index}: no field type {field.get('type')!r} "
                f"(one of {', '.join(t.value for t in FieldType)})",
            ) from None
        key = str(field.get("key") or f"f{index}")
        if not KEY.fullmatch(key):
            raise InvalidInput("invalid_form", f"field {label or index}: key {key!r} is not valid")
        if key in seen or label in {f.label for f in out}:
            raise InvalidInput("duplicate_field", f"field {label or key} is defined twice")
        seen.add(key)
        options = tuple(dict.fromkeys(str(o).strip() for o in field.get("options") or ()))
        if kind is FieldType.select and not [o for o in options if o]:
            raise InvalidInput("select_without_options", f"field {label}: a select needs options")
        if kind is not FieldType.select and options:
            raise InvalidInput("option_not_allowed", f"field {label}: only a select has options")
        out.append(FormField(key, label, kind, bool(field.get("required")), options))
    return out


def form_of(stored: Sequence[Mapping[str, Any]]) -> list[FormField]:
    """A form as stored on a notice (checked when it was defined)."""
    return [
        FormField(
            str(f["key"]),
            str(f["label"]),
            FieldType(str(f["type"])),
            bool(f.get("required")),
            tuple(f.get("options") or ()),
        )
        for f in stored
    ]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bad(field: FormField, why: str) -> InvalidInput:
    return InvalidInput("invalid_field_value", f"{field.label}: {why}")


def _value(field: FormField, value: Any) -> Any:
    kind = field.type
    if kind in (FieldType.integer, FieldType.number):
        if isinstance(value, bool):
            raise _bad(field, "a number is expected")
        try:
            number = float(value) if kind is FieldType.number else int(str(value).strip())
        except (TypeError, ValueError):
            raise _bad(
                field,
                "a whole number is expected"
                if kind is FieldType.integer
                else "a number is expected",
            ) from None
        if kind is FieldType.number and number != number:  # NaN
            raise _bad(field, "a number is expected")
        if not -1e12 < number < 1e12:
            raise _bad(field, "the number is out of range")
        return number
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _bad(field, "text is expected")
    text = str(value).strip()
    if kind is FieldType.date:
        try:
            return dt.date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise _bad(field, "a date YYYY-MM-DD is expected") from None
    if kind is FieldType.phone:
        compact = text.replace(" ", "")
        if not PHONE.fullmatch(compact):
            raise _bad(field, "a telephone or mobile number is expected")
        return compact
    if kind is FieldType.select and text not in field.options:
        raise _bad(field, f"one of {', '.join(field.options)} is expected")
    limit = MAX_TEXT.get(kind, 200)
    if len(text) > limit:
        raise _bad(field, f"at most {limit} characters")
    return text


def check_reply(form: Sequence[FormField], values: Mapping[str, Any]) -> dict[str, Any]:
    """A reply's values checked against ``form`` (in the form's order; empty optional
    fields left out)."""
    keys = {f.key for f in form}
    unknown = [k for k in values if k not in keys]
    if unknown:
        raise InvalidInput("unknown_field", f"the form has no field {unknown[0]!r}")
    out: dict[str, Any] = {}
    for field in form:
        value = values.get(field.key)
        if _empty(value):
            if field.required:
                raise InvalidInput("missing_field", f"{field.label} is required (必填)")
            continue
        out[field.key] = _value(field, value)
    return out
