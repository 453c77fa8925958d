"""XLSX writer of the annual summary (XlsxWriter in constant-memory mode: each finished row
is streamed to a temporary file, so 10,000 items stay flat in memory)."""

from __future__ import annotations

import io
import math
from datetime import date

from ..services.sheets import unique_sheet_name as _sheet_name
from .summary import (
    DATE,
    INT,
    MONEY,
    NUM,
    PCT,
    YEAR,
    SummaryDocument,
    Table,
)
from .tabular import sheet_value

FONT_ZH = "Noto Sans CJK TC"
# Windows and macOS fallbacks are the readers' business; the east-Asian font slot is
# what makes Word pick a Chinese face for 漢字.


def write_xlsx(doc: SummaryDocument) -> bytes:
    """One workbook: Overview, Recommendations, Action items, Indicators, Appendix."""
    import xlsxwriter

    buf = io.BytesIO()
    # constant_memory streams each finished row to a temp file: 10,000 items stay flat.
    wb = xlsxwriter.Workbook(
        buf,
        {
            "constant_memory": True,
            "in_memory": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    wb.set_properties(
        {
            "title": doc.title,
            "subject": doc.cover.title,
            "company": doc.cover.fields[0][1],
            "comments": doc.cover.subtitle,
        }
    )
    font = {"font_name": FONT_ZH, "font_size": 10}
    fmt = {
        "title": wb.add_format({**font, "bold": True, "font_size": 12}),
        "header": wb.add_format(
            {**font, "bold": True, "bg_color": "#E5E7EB", "border": 1, "text_wrap": True, "valign": "top"}
        ),
        "text": wb.add_format({**font, "text_wrap": True, "valign": "top"}),
        "int": wb.add_format({**font, "num_format": "#,##0", "valign": "top"}),
        "num": wb.add_format({**font, "num_format": "#,##0.###", "valign": "top"}),
        "pct": wb.add_format({**font, "num_format": "0.0", "valign": "top"}),
        "money": wb.add_format({**font, "num_format": "#,##0", "valign": "top"}),
        "year": wb.add_format({**font, "num_format": "0", "valign": "top"}),
        # zh-TW: the ROC calendar (LCID 0x0404, calendar type 4), shown as 106年12月31日.
        "date": wb.add_format(
            {
                **font,
                "valign": "top",
                "num_format": '[$-40404]e"年"m"月"d"日"' if doc.locale == "zh_TW" else "yyyy-mm-dd",
            }
        ),
    }
    kind_fmt = {
        INT: fmt["int"],
        NUM: fmt["num"],
        PCT: fmt["pct"],
        MONEY: fmt["money"],
        YEAR: fmt["year"],
        DATE: fmt["date"],
    }
    footer = doc.footer.replace("&", "&&").replace("{page}", "&P").replace("{pages}", "&N")
    used: set[str] = set()
    for sheet in doc.sheets:
        ws = wb.add_worksheet(_sheet_name(sheet.name, used))
        ws.set_landscape()
        ws.set_paper(9)  # A4
        widths = _column_widths(sheet.tables)
        # One page wide unless that would shrink the text below about 70 %: then as many
        # pages wide as keep it readable (≈ 200 width units a page), any number tall.
        ws.fit_to_pages(max(1, math.ceil(sum(widths) / 200)), 0)
        ws.set_footer(f"&C{footer}")
        single = len(sheet.tables) == 1
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        row = 0
        for table in sheet.tables:
            if not single:
                ws.write_string(row, 0, sheet_value(table.title, "text", doc.locale) or "", fmt["title"])
                row += 1
            header_row = row
            for c, col in enumerate(table.columns):
                ws.write_string(row, c, sheet_value(col.label, "text", doc.locale) or "", fmt["header"])
            row += 1
            kinds = [col.kind for col in table.columns]
            # A one-column table among others (notes) spans the sheet's columns.
            span = len(table.columns) == 1 and not single and len(widths) > 1
            cell_widths = [sum(widths[: min(len(widths), 6)])] if span else widths
            for values in table.rows:
                lines = max(
                    (
                        _lines(v, cell_widths[c])
                        for c, v in enumerate(values)
                        if isinstance(v, str) and c < len(cell_widths)
                    ),
                    default=1,
                )
                if lines > 1:  # rows are not measured when the file opens: say how tall
                    ws.set_row(row, min(409, 13.5 * lines))
                if span:
                    text = sheet_value(values[0], "text", doc.locale) or ""
                    ws.merge_range(row, 0, row, min(len(widths), 6) - 1, text, fmt["text"])
                    row += 1
                    continue
                for c, (value, kind) in enumerate(zip(values, kinds, strict=False)):
                    v = sheet_value(value, kind, doc.locale)
                    if v is None:
                        continue
                    if isinstance(v, date):
                        ws.write_datetime(row, c, v, fmt["date"])
                    elif isinstance(v, (int, float)):
                        ws.write_number(row, c, v, kind_fmt.get(kind, fmt["num"]))
                    else:
                        ws.write_string(row, c, v, fmt["text"])
                row += 1
            if not table.rows and table.empty:
                ws.write_string(row, 0, sheet_value(table.empty, "text", doc.locale) or "", fmt["text"])
                row += 1
            if single:
                ws.freeze_panes(header_row + 1, 0)
                ws.repeat_rows(header_row)
                if table.rows:
                    ws.autofilter(header_row, 0, header_row + len(table.rows), len(table.columns) - 1)
            row += 1
    wb.close()
    return buf.getvalue()


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (CJK counts 2)."""
    n = 0
    for line in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)
        n += max(1, math.ceil(units / max(width - 1, 1)))
    return n


def _column_widths(tables: list[Table]) -> list[float]:
    n = max((len(t.columns) for t in tables), default=1)
    widths = [12.0] * n
    for t in tables:
        for c, col in enumerate(t.columns):
            widths[c] = max(widths[c], min(60.0, 10.0 + 8.0 * (col.width - 1) + (4 if col.kind == DATE else 0)))
    return widths
