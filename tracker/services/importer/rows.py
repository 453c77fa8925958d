"""Reading the sheet: mapping its headings to columns, typing each row's cells, and
resolving departments and budget sources as people write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import BudgetSource, Department
from .. import labels
from ..sheets import Sheet, cell_date, cell_problem, cell_text, is_blank
from .columns import BY_KEY, COLUMNS, ImportResult, Problem, _heading_index, _norm


def _map_columns(sheet: Sheet, result: ImportResult) -> dict[str, tuple[int, str]]:
    """Column key -> (index, heading as written). Unknown, duplicate or missing columns are problems."""
    index = _heading_index()
    found: dict[str, tuple[int, str]] = {}
    for i, heading in enumerate(sheet.header):
        if not heading:
            if any(not is_blank(r[i]) for r in sheet.rows if i < len(r)):
                result.problems.append(Problem(1, _("column %(n)d", n=i + 1), _("This column has no heading.")))
            continue
        col = index.get(_norm(heading))
        if col is None:
            result.problems.append(Problem(1, heading, _("Unknown column: use the headings of the template.")))
        elif col.key in found:
            result.problems.append(Problem(1, heading, _("This column appears twice.")))
        else:
            found[col.key] = (i, heading)
    for c in COLUMNS:
        if c.required and c.key not in found:
            result.problems.append(Problem(1, str(c.label), _("This required column is missing.")))
    return found


@dataclass
class Row:
    number: int
    cells: dict[str, Any]  # column key -> cell value (typed by the spreadsheet, or text)


def _typed_rows(sheet: Sheet, columns: dict[str, tuple[int, str]], result: ImportResult) -> list[Row]:
    rows = []
    long_text = {"rec_text_zh", "year", "opinion"}
    for n, raw in enumerate(sheet.rows, start=2):
        if all(is_blank(c) for c in raw):
            continue
        cells: dict[str, Any] = {}
        for key, (i, heading) in columns.items():
            value = raw[i] if i < len(raw) else None
            if not BY_KEY[key].target:
                continue
            if isinstance(value, str) or value is None:
                text = cell_text(value)
                problem = cell_problem(text, multiline=key in long_text)
                if problem:
                    result.problems.append(Problem(n, heading, problem))
                    continue
                cells[key] = text
            else:
                cells[key] = (
                    cell_date(value)
                    if key in ("start", "due", "trip_start", "trip_end", "report_date")
                    else cell_text(value)
                )
        rows.append(Row(n, cells))
    return rows


def _department_index() -> dict[str, Department]:
    out: dict[str, Department] = {}
    for d in db.session.scalars(select(Department)):
        for name in (d.code, d.name_zh, d.name_en):
            out.setdefault(_norm(name), d)
    return out


def _budget_source(text: str) -> str | None:
    """A budget source from its value or its label in either language."""
    if not text:
        return ""
    wanted = _norm(text)
    for source in BudgetSource:
        if wanted == source.value:
            return source.value
        for locale in ("en", "zh_TW"):
            with force_locale(locale):
                if wanted == _norm(str(labels.BUDGET_SOURCE[source])):
                    return source.value
    return None


# The ideographic enumeration comma (U+3001, how the zh-TW export joins names), full-width
# comma and semicolon, written as code points (no Chinese literals in code).
_SEPARATORS = tuple(map(chr, (0x3001, 0xFF0C, 0xFF1B))) + (";", "\n")


def _split_departments(text: str) -> list[str]:
    for sep in _SEPARATORS:
        text = text.replace(sep, ",")
    return [t.strip() for t in text.split(",") if t.strip()]
