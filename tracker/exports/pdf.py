"""PDF writer of the annual summary: fpdf2 with a small layout engine of our own.

Why not WeasyPrint or LibreOffice (measured, docs/exports.md): both lay tables out far
too slowly for the 10,000-item case — WeasyPrint about 9 ms per table row (90 s and
well over 1 GB for 10,000 rows), LibreOffice converting the ODT 6.5 s for 500 rows and
minutes for 10,000. Here fpdf2 does what it is good at (embedding a subset of the Noto
Sans CJK TC font, pages, pictures, outline, metadata) and this module does the layout:
line breaking with a per-character width cache (break anywhere between 漢字, at spaces in
Latin text, never before closing punctuation), tables with header rows repeated on
every page and rows split across pages only when taller than a page.
"""

from __future__ import annotations

import io

from .pdf_fonts import FontMissing, _identity_h_producer, find_font
from .pdf_layout import MARGIN_X, MUTED, RULE, TEXT_COLOR, _Layout, _Style
from .pdf_table import draw_table
from .summary import (
    Fields,
    Heading,
    Image,
    PageBreak,
    Para,
    SummaryDocument,
    Table,
)

__all__ = ["FontMissing", "find_font", "write_pdf"]


def write_pdf(doc: SummaryDocument) -> bytes:
    """The summary as a PDF (A4 landscape): cover, bookmarks per heading, tables with
    repeated header rows, the chart, 'Page X of Y' footers; Noto Sans CJK TC embedded."""
    out = _Layout(doc, find_font(""))
    colon = "：" if doc.locale == "zh_TW" else ": "
    out.cover(doc.cover, colon)
    out.new_page()
    styles = {
        "normal": (_Style(10), 0.0),
        "quote": (_Style(10, False, TEXT_COLOR), 16.0),
        "bullet": (_Style(9.5), 12.0),
        "note": (_Style(9, False, MUTED), 0.0),
        "strong": (_Style(10, True), 0.0),
    }
    fresh = True  # at the top of a page: a PageBreak there would leave an empty page
    for block in doc.body:
        if isinstance(block, PageBreak):
            if not fresh:
                out.new_page()
            fresh = True
            continue
        fresh = False
        if isinstance(block, Heading):
            out.heading(block.level, block.text)
        elif isinstance(block, Para):
            style, indent = styles.get(block.style, styles["normal"])
            text = f"• {block.text}" if block.style == "bullet" else block.text
            if block.style == "quote":
                top = out.y
                out.paragraph(text, style, indent=indent, space_after=0)
                if out.y > top:  # a rule beside the quoted recommendation (same page only)
                    out.pdf.set_draw_color(*RULE)
                    out.pdf.set_line_width(1.5)
                    out.pdf.line(MARGIN_X + 6, top + 2, MARGIN_X + 6, out.y - 2)
                    out.pdf.set_line_width(0.5)
                out.y += 6
            else:
                out.paragraph(text, style, indent=indent, space_after=2 if block.style == "bullet" else 5)
        elif isinstance(block, Fields):
            out.fields(block.rows, colon)
            out.y += 4
        elif isinstance(block, Table):
            draw_table(out, block)
        elif isinstance(block, Image):
            out.image(block)
    out.footers(doc.footer)
    buf = io.BytesIO()
    out.pdf.output(buf, output_producer_class=_identity_h_producer())
    return buf.getvalue()
