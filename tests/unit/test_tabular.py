"""Spreadsheet files of services.common.tabular: text a spreadsheet would run as a
formula is escaped in XLSX and CSV alike; numbers, dates and plain text are untouched."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from services.common.tabular import Sheet, escape_cell, to_csv, to_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/x","点我查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(text: str) -> None:
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [
        "关于做好年底工作的通知",
        "黔府办函〔2026〕65号",
        "a=b",
        "",
        -5,
        3.5,
        None,
        dt.date(2026, 10, 1),
    ],
)
def test_anything_else_is_left_as_it_is(value: object) -> None:
    assert escape_cell(value) == value


def test_an_xlsx_holds_hostile_titles_as_plain_text_not_formulas() -> None:
    rows = [[n, text, -n, dt.date(2026, 10, 10)] for n, text in enumerate(HOSTILE, start=1)]
    book = openpyxl.load_workbook(
        io.BytesIO(to_xlsx([Sheet("明细", ("序号", "标题", "差值", "时限"), rows)]))
    )
    sheet = book["明细"]
    for row in sheet.iter_rows(min_row=2):
        number, title, delta, due = row
        assert title.data_type == "s", title.value  # a string, never a formula ("f")
        # (XML reads a carriage return back as a line feed)
        assert title.value == ("'" + HOSTILE[number.value - 1]).replace("\r", "\n")
        assert delta.value == -number.value and delta.data_type == "n"
        assert due.value == dt.datetime(2026, 10, 10) and due.number_format == "yyyy-mm-dd"


def test_a_csv_escapes_hostile_cells_and_keeps_the_rest() -> None:
    data = to_csv(
        ("标题", "数", "时间"), [[text, -1, dt.datetime(2026, 10, 12, 10, 30)] for text in HOSTILE]
    )
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == ["标题", "数", "时间"]
    assert [line[0] for line in lines[1:]] == ["'" + text for text in HOSTILE]
    assert {line[1] for line in lines[1:]} == {"-1"}  # a negative number stays a number
    assert {line[2] for line in lines[1:]} == {"2026-10-12 10:30"}
