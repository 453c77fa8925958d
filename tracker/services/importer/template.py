"""The import template: the headings in the chosen language, an example row and the notes
on each column, as CSV, XLSX or ODS.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from .columns import COLUMNS

TEMPLATE_EXAMPLE = {
    "report": "example-2019",
    "recommendation": "R1",
    "code": "R1-A1",
    "title": "EXAMPLE – replace this row",
    "section": "III(1)",
    "lead": "DEPT-CODE",
    "supporting": "",
    "start": "108/01/01",
    "due": "108/12/31",
    "budget": "",
    "budget_source": "",
    "weight": "1",
    "title_en": "EXAMPLE – replace this row",
    "report_title_zh": "EXAMPLE",
    "report_title_en": "EXAMPLE",
    "agency_zh": "EXAMPLE",
    "agency_en": "EXAMPLE",
    "destination_zh": "",
    "destination_en": "",
    "trip_start": "107/11/12",
    "trip_end": "107/11/19",
    "report_date": "107/12/23",
    "rec_section": "III(1)",
    "rec_title_zh": "EXAMPLE",
    "rec_title_en": "EXAMPLE",
    "rec_text_zh": "EXAMPLE",
}


def template_rows(locale: str) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Headings, one example row (to replace) and the column notes (a second sheet)."""
    with force_locale(locale):
        head = [str(c.label) for c in COLUMNS]
        example = [TEMPLATE_EXAMPLE.get(c.key, "") for c in COLUMNS]
        notes = [[str(c.label), c.key, str(_("required")) if c.required else "", str(c.note)] for c in COLUMNS]
    return head, [example], notes


def template_bytes(fmt: str, locale: str) -> bytes:
    """The import template as CSV (UTF-8 with BOM) or XLSX (with a sheet of column notes)."""
    import csv
    import io

    head, rows, notes = template_rows(locale)
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(head)
        w.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "import"
    ws.append(head)
    for r in rows:
        ws.append(r)
    with force_locale(locale):
        ws2 = wb.create_sheet(str(_("Columns")))
        ws2.append([str(_("Heading")), str(_("Key")), str(_("Required")), str(_("Note"))])
    for n in notes:
        ws2.append(n)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
