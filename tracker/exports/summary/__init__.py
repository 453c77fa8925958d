"""The annual follow-up summary (年度追蹤辦理情形報告, 辦理情形追蹤表) as one document model.

``build_document`` returns plain dataclasses (model.py) with every string localized; the
writers (odt.py, ods.py, docx_writer.py, xlsx.py, pdf.py, tabular.py) only lay it out. Two views of the same data:
``body`` (blocks for ODT, DOCX, PDF) and ``sheets`` (flat typed tables for ODS, XLSX, CSV).
Layout and rules: docs/exports.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from ...dates import DataDates
from ...extensions import db
from ...models import Report
from ...services.review import today
from .model import (
    DATE,
    INT,
    MONEY,
    NUM,
    PCT,
    TEXT,
    YEAR,
    Block,
    Column,
    Cover,
    Fields,
    Heading,
    Image,
    PageBreak,
    Para,
    ProgressFn,
    Sheet,
    SummaryDocument,
    Table,
    cell_text,
    iter_text_rows,
    money,
    pct,
    with_unit,
)


def build_document(
    year: int,
    as_of: date | DataDates,
    locale: str,
    report_ids: list[int] | None = None,
    generated_on: date | None = None,
    on_progress: ProgressFn | None = None,
    parts: Iterable[str] = ("body", "sheets"),
) -> SummaryDocument:
    """The annual summary of ``year`` on the data date / knowledge date ``as_of`` in ``locale``
    ("zh_TW" or "en"). A plain date is the data date D, with K = the compile date.

    Needs an app context (database, translations); no request. Options are assumed
    valid (see tracker.exports.resolve_options)."""
    from .build import Builder

    generated_on = generated_on or today()
    with force_locale(locale):
        q = select(Report).order_by(Report.id)
        if report_ids is not None:
            q = q.where(Report.id.in_(report_ids))
        reports = list(db.session.scalars(q))
        dd = as_of if isinstance(as_of, DataDates) else DataDates(as_of, max(as_of, generated_on), generated_on)
        return Builder(locale, year, dd, generated_on, on_progress, frozenset(parts)).build(reports, report_ids)


__all__ = [
    "DATE",
    "INT",
    "MONEY",
    "NUM",
    "PCT",
    "TEXT",
    "YEAR",
    "Block",
    "Column",
    "Cover",
    "Fields",
    "Heading",
    "Image",
    "PageBreak",
    "Para",
    "Sheet",
    "SummaryDocument",
    "Table",
    "build_document",
    "cell_text",
    "iter_text_rows",
    "money",
    "pct",
    "with_unit",
]
