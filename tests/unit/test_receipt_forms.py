"""Receipt forms (回执单) of notices: defining one, and checking a reply against it."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.errors import InvalidInput
from services.notify.receipt_forms import FieldType, check_form, check_reply, form_of

MEETING = [
    {"label": "参会人员", "type": "text", "required": True},
    {"label": "人数", "type": "integer", "required": True},
    {"label": "联系电话", "type": "phone"},
    {"label": "到达日期", "type": "date"},
    {"label": "是否住宿", "type": "select", "options": ["是", "否", "是"]},
    {"label": "备注", "type": "textarea"},
    {"key": "budget", "label": "预算（万元）", "type": "number"},
]


def _code(fn: Any, *args: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        fn(*args)
    return caught.value.code


def test_a_form_gets_keys_in_its_order_and_keeps_types_flags_and_options() -> None:
    form = check_form(MEETING)
    assert [f.key for f in form] == ["f1", "f2", "f3", "f4", "f5", "f6", "budget"]
    assert form[1].type is FieldType.integer and form[1].required
    assert form[4].options == ("是", "否")  # each option once
    assert form_of([f.as_dict() for f in form]) == form  # stored and read back the same


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ([{"label": "附件", "type": "file"}], "unknown_field_type"),
        ([{"label": "人数", "type": None}], "unknown_field_type"),
        ([{"label": "房型", "type": "select"}], "select_without_options"),
        ([{"label": "房型", "type": "select", "options": ["  "]}], "select_without_options"),
        ([{"label": "人数", "type": "integer", "options": ["1"]}], "option_not_allowed"),
        (
            [{"label": "人数", "type": "integer"}, {"label": "人数", "type": "text"}],
            "duplicate_field",
        ),
        (
            [
                {"key": "a", "label": "甲", "type": "text"},
                {"key": "a", "label": "乙", "type": "text"},
            ],
            "duplicate_field",
        ),
        ([{"key": "1x", "label": "甲", "type": "text"}], "invalid_form"),
        ([{"label": f"字段{i}", "type": "text"} for i in range(21)], "too_many_fields"),
    ],
)
def test_a_bad_form_is_refused_with_its_code(fields: list[dict[str, Any]], code: str) -> None:
    assert _code(check_form, fields) == code


def test_a_reply_is_normalised_to_its_fields_types() -> None:
    form = check_form(MEETING)
    reply = check_reply(
        form,
        {
            "f1": "  张三、李四 ",
            "f2": "2",
            "f3": "0851-8681 2345",
            "f4": "2026-12-10",
            "f5": "否",
            "f6": "",
            "budget": "1.5",
        },
    )
    assert reply == {
        "f1": "张三、李四",
        "f2": 2,
        "f3": "0851-86812345",
        "f4": "2026-12-10",
        "f5": "否",
        "budget": 1.5,
    }  # the empty optional field is left out


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"f2": 1}, "missing_field"),
        ({"f1": "   ", "f2": 1}, "missing_field"),
        ({"f1": "张三", "f2": 1, "f9": "x"}, "unknown_field"),
        ({"f1": "张三", "f2": "两个"}, "invalid_field_value"),
        ({"f1": "张三", "f2": 1.5}, "invalid_field_value"),
        ({"f1": "张三", "f2": True}, "invalid_field_value"),
        ({"f1": "张三", "f2": 1, "f3": "call me"}, "invalid_field_value"),
        ({"f1": "张三", "f2": 1, "f4": "12月10日"}, "invalid_field_value"),
        ({"f1": "张三", "f2": 1, "f5": "也许"}, "invalid_field_value"),
        ({"f1": "张" * 201, "f2": 1}, "invalid_field_value"),
        ({"f1": ["张三"], "f2": 1}, "invalid_field_value"),
        ({"f1": "张三", "f2": 1, "budget": "NaN"}, "invalid_field_value"),
    ],
)
def test_a_bad_reply_is_refused_with_its_code(values: dict[str, Any], code: str) -> None:
    assert _code(check_reply, check_form(MEETING), values) == code


def test_mobile_and_landline_numbers_are_taken() -> None:
    form = check_form([{"label": "电话", "type": "phone", "required": True}])
    for number in ("13800000000", "+86 13800000000", "0851-86812345", "085186812345-123"):
        assert check_reply(form, {"f1": number})["f1"]
