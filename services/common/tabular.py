"""Tables as files for spreadsheet users: XLSX (openpyxl) and CSV, with every text cell
made safe to open.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be taken by Excel, WPS or LibreOffice for a formula (CSV/formula injection: a
document title like ``=HYPERLINK("http://…","点我")`` sent by another tenant becomes a
live link, ``=cmd|…`` worse). Such text gets a leading single quote, as OWASP advises:
the spreadsheet shows it as text. Numbers, dates and times stay what they are (a
negative number is a number, not text).

The CSV is UTF-8 with a byte order mark (so that Excel reads Chinese text right),
CRLF line ends. Pure: rows in, bytes out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"

#: what a spreadsheet takes for the start of a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, prefixed with ``'``; anything
    else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One sheet: a bold header row, then rows of cell values (str, numbers, dates)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    #: column widths in characters, first column first
    widths: Sequence[int] = ()
    #: number formats by 1-based column (dates and times get theirs by default)
    formats: Mapping[int, str] = field(default_factory=dict)


def _format_of(value: Any, column: int, formats: Mapping[int, str]) -> str | None:
    if column in formats:
        return formats[column]
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    return None


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with ``sheets`` in order (the first one active); header row frozen."""
    workbook = Workbook()
    for index, spec in enumerate(sheets):
        sheet: Any = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = spec.title
        sheet.append([escape_cell(h) for h in spec.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        sheet.freeze_panes = "A2"
        for values in spec.rows:
            sheet.append([escape_cell(v) for v in values])
            row = sheet.max_row
            for column, value in enumerate(values, start=1):
                number_format = _format_of(value, column, spec.formats)
                if number_format and value is not None and not isinstance(value, str):
                    sheet.cell(row=row, column=column).number_format = number_format
        for column, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_value(value: Any) -> Any:
    """A cell as CSV text: dates ISO, times to the minute, formula-like text escaped."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_cell(value)


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A header line, then one line per row; UTF-8 with BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_value(h) for h in headers])
    for values in rows:
        writer.writerow([csv_value(v) for v in values])
    return (BOM + buffer.getvalue()).encode("utf-8")
