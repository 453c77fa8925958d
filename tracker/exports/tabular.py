"""CSV (one row per action item) and the cell rules shared by every spreadsheet format.

Formula injection: a text cell starting with = + - @, a tab or a carriage return is
read as a formula (or a DDE call) by Excel and LibreOffice when the file is opened or
re-imported. Such cells get a leading apostrophe in CSV, XLSX and ODS alike. Numbers,
dates and percentages are written as typed values and are never touched.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..services.sheets import FORMULA_TRIGGERS, neutralise
from .summary import DATE, INT, MONEY, NUM, PCT, TEXT, YEAR, SummaryDocument, Table, cell_text


def sheet_value(value: Any, kind: str, locale: str) -> Any:
    """The typed value a spreadsheet cell stores: numbers stay numbers, text is neutralised.

    Dates are real dates in both languages; the spreadsheets show them in 民國 form in zh-TW
    with a number format (ROC calendar), the CSV writes the 民國 text."""
    if value is None or value == "":
        return None
    if kind in (INT, NUM, PCT, MONEY, YEAR):
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, (int, float)):
            return value
        return neutralise(str(value))
    if kind == DATE and isinstance(value, date):
        return value
    return neutralise(str(value))


@lru_cache(maxsize=4096)
def _csv_date(value: date, locale: str) -> str:
    # Thousands of rows share a few hundred dates; 民國 formatting goes through Babel.
    return value.isoformat() if locale == "en" else cell_text(value, DATE, locale)


def csv_cell(value: Any, kind: str, locale: str) -> str:
    v = sheet_value(value, kind, locale)
    if v is None:
        return ""
    if isinstance(v, date):
        return _csv_date(v, locale)
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e15 else repr(v)
    return str(v)


def write_table_csv(table: Table, locale: str, stream: io.StringIO) -> None:
    w = csv.writer(stream, lineterminator="\r\n")
    w.writerow([neutralise(c.label) for c in table.columns])
    kinds = [c.kind for c in table.columns]
    w.writerows([csv_cell(v, k, locale) for v, k in zip(row, kinds, strict=False)] for row in table.rows)


def write_csv(doc: SummaryDocument) -> bytes:
    """UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese right),
    CRLF line ends, a header row, one row per action item."""
    out = io.StringIO()
    write_table_csv(doc.items, doc.locale, out)
    return out.getvalue().encode("utf-8-sig")


__all__ = ["FORMULA_TRIGGERS", "TEXT", "neutralise", "sheet_value", "write_csv"]
