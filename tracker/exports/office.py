"""DOCX (python-docx) and XLSX (XlsxWriter) writers of the annual summary.

Big tables are where time and memory go: python-docx's cell API re-walks the whole table
on every access and an lxml tree of 10,000 rows takes hundreds of MB, so table body rows
are written as WordprocessingML text into the saved package (streaming.py); XlsxWriter
runs in constant-memory mode, streaming rows to disk in order.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from lxml import etree

from ..services.sheets import unique_sheet_name as _sheet_name
from .streaming import marker, splice, xml_escape
from .summary import (
    DATE,
    INT,
    MONEY,
    NUM,
    PCT,
    YEAR,
    Cover,
    Fields,
    Heading,
    Image,
    PageBreak,
    Para,
    SummaryDocument,
    Table,
    cell_text,
)
from .tabular import sheet_value

FONT_ZH = "Noto Sans CJK TC"
# Windows and macOS fallbacks are the readers' business; the east-Asian font slot is
# what makes Word pick a Chinese face for 漢字.


# --- XLSX -------------------------------------------------------------------------------


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


# --- DOCX -------------------------------------------------------------------------------


def write_docx(doc: SummaryDocument) -> bytes:
    """A Word document: cover page, headings, tables with repeated header rows, the chart,
    a PAGE / NUMPAGES footer; A4 landscape."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    d = Document()
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.6)
    text_width_cm = 29.7 - 3.6

    lang = "zh-TW" if doc.locale == "zh_TW" else "en-US"
    _set_styles(d, lang, qn, Pt, RGBColor)
    d.core_properties.title = doc.title
    d.core_properties.subject = doc.cover.title.replace("\n", " / ")
    d.core_properties.language = lang

    # Footer: "Page X of Y" with live fields.
    fp = section.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, rest = doc.footer.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    fp.add_run(before)
    _add_field(fp, "PAGE", qn)
    fp.add_run(middle)
    _add_field(fp, "NUMPAGES", qn)
    fp.add_run(after)

    sources: dict[int, Any] = {}
    _docx_cover(d, doc.cover, "：" if doc.locale == "zh_TW" else ": ", WD_ALIGN_PARAGRAPH, WD_BREAK, Pt)
    # A new page starts with the paragraph after a page break (page_break_before), never with an
    # empty paragraph holding the break: that one lands alone on a page after a full table.
    new_page = True
    for block in doc.body:
        if isinstance(block, PageBreak):
            new_page = True
            continue
        before = len(d.element.body)
        if isinstance(block, Heading):
            h = d.add_heading(block.text, level=min(block.level, 3))
            h.paragraph_format.keep_with_next = True
        elif isinstance(block, Para):
            style = {"quote": "Quote", "bullet": "List Bullet"}.get(block.style)
            p = d.add_paragraph(style=style)
            run = p.add_run(block.text)
            if block.style == "strong":
                run.bold = True
            elif block.style == "note":
                run.italic = True
        elif isinstance(block, Fields):
            for label, value in block.rows:
                p = d.add_paragraph()
                p.add_run(f"{label}{'：' if doc.locale == 'zh_TW' else ': '}").bold = True
                p.add_run(value)
        elif isinstance(block, Table):
            _docx_table(d, block, doc.locale, text_width_cm, qn, Cm, sources)
        elif isinstance(block, Image):
            width_cm = min(text_width_cm, block.width_px / 96 * 2.54 * 1.2)
            d.add_picture(io.BytesIO(block.png), width=Cm(width_cm))
            pic_par = d.paragraphs[-1]
            _set_alt_text(pic_par, block.alt, qn)
            cap = d.add_paragraph(block.caption, style="Caption")
            cap.alignment = WD_ALIGN_PARAGRAPH.LEFT
        if new_page:
            body_els = list(d.element.body)
            for el in body_els[max(before - 1, 0) : len(body_els) - 1]:  # new elements sit before sectPr
                if el.tag == qn("w:p"):
                    ppr = el.get_or_add_pPr()
                    ppr.insert(0, ppr.makeelement(qn("w:pageBreakBefore"), {}))
                    new_page = False
                    break
    buf = io.BytesIO()
    d.save(buf)
    return splice(buf.getvalue(), "word/document.xml", sources)


def _set_styles(d: Any, lang: str, qn: Any, Pt: Any, RGBColor: Any) -> None:
    for name in (
        "Normal",
        "Title",
        "Subtitle",
        "Heading 1",
        "Heading 2",
        "Heading 3",
        "Quote",
        "Caption",
        "List Bullet",
    ):
        style = d.styles[name]
        style.font.name = FONT_ZH
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT_ZH)
        lang_el = rpr.find(qn("w:lang"))
        if lang_el is None:
            lang_el = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang_el)
        lang_el.set(qn("w:val"), lang)
        lang_el.set(qn("w:eastAsia"), "zh-TW")
        if name.startswith("Heading") or name in ("Title", "Subtitle"):
            style.font.color.rgb = RGBColor(0x1F, 0x29, 0x37)
    d.styles["Normal"].font.size = Pt(10)


def _add_field(paragraph: Any, instr: str, qn: Any) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update when laid out."""
    run = paragraph.add_run()
    r = run._r
    begin = r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "begin"})
    text = r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
    text.text = f" {instr} "
    sep = r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "separate"})
    shown = r.makeelement(qn("w:t"), {})
    shown.text = "1"
    end = r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "end"})
    for el in (begin, text, sep, shown, end):
        r.append(el)


def _set_alt_text(paragraph: Any, alt: str, qn: Any) -> None:
    for doc_pr in paragraph._p.iter(qn("wp:docPr")):
        doc_pr.set("descr", alt)


def _docx_cover(d: Any, cover: Cover, colon: str, WD_ALIGN_PARAGRAPH: Any, WD_BREAK: Any, Pt: Any) -> None:
    d.add_paragraph().paragraph_format.space_before = Pt(60)
    t = d.add_paragraph(cover.title, style="Title")
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    s = d.add_paragraph(cover.subtitle, style="Subtitle")
    s.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for mark in cover.marks:
        m = d.add_paragraph()
        m.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = m.add_run(mark)
        run.bold = True
        run.font.size = Pt(12)
    d.add_paragraph()
    for label, value in cover.fields:
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(2)
        r = p.add_run(f"{label}{colon}")
        r.bold = True
        r.font.size = Pt(12)
        p.add_run(value).font.size = Pt(12)


def _docx_table(
    d: Any, table: Table, locale: str, text_width_cm: float, qn: Any, Cm: Any, sources: dict[int, Any]
) -> None:
    from docx.shared import Pt

    if not table.rows:
        if table.empty:
            d.add_paragraph(table.empty).runs[0].italic = True
        return
    cols = table.columns
    widths_twips = _fit_widths(
        [c.label for c in cols], [c.width for c in cols], int(text_width_cm / 2.54 * 1440), HEADER_PT
    )
    t = d.add_table(rows=1, cols=len(cols))
    t.style = "Table Grid"
    tbl = t._tbl
    # Fixed layout and an explicit width: Word need not measure 10,000 rows to size the columns.
    t.autofit = False
    tbl_w = tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:w"), str(sum(widths_twips)))
        tbl_w.set(qn("w:type"), "dxa")
    for gc, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths_twips, strict=False):
        gc.set(qn("w:w"), str(w))
    header = t.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))  # repeated on every page
    tr_pr.append(tr_pr.makeelement(qn("w:cantSplit"), {}))
    for cell, col, w in zip(header.cells, cols, widths_twips, strict=False):
        cell.width = Cm(w / 1440 * 2.54)
        run = cell.paragraphs[0].add_run(col.label)
        run.bold = True
        run.font.size = Pt(HEADER_PT)
    # Body rows are streamed into document.xml after saving (streaming.py).
    n = len(sources)
    tbl.append(etree.Comment(marker(n)))
    sources[n] = lambda: _docx_rows(table, locale, widths_twips)
    gap = d.add_paragraph()  # Word needs a paragraph between two tables; keep it small
    gap.paragraph_format.space_after = Pt(4)


HEADER_PT = 9.0


def _fit_widths(labels: list[str], weights: list[float], total: int, pt: float) -> list[int]:
    """Column widths (twips) in proportion to ``weights``, but never narrower than the longest
    word of the header (a word is never broken: "Progr/ess"); CJK characters are one em."""
    pad = 2 * 115  # default cell margins
    need = []
    for label in labels:
        longest = 0.0
        for word in re.split(r"\s+", label):
            longest = max(longest, sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in word))
        need.append(int(longest * pt * 20 * 1.05) + pad)
    widths = [total * w / sum(weights) for w in weights]
    for _ in range(len(widths)):
        short = [k for k, w in enumerate(widths) if w < need[k]]
        if not short:
            break
        for k in short:
            widths[k] = need[k]
        fixed = sum(widths[k] for k in short)
        rest = [k for k in range(len(widths)) if widths[k] > need[k] or k not in short]
        rest = [k for k in rest if k not in short]
        if not rest:
            break
        scale = (total - fixed) / sum(weights[k] for k in rest)
        for k in rest:
            widths[k] = max(need[k], weights[k] * scale)
    return [int(w) for w in widths]


def _docx_rows(table: Table, locale: str, widths_twips: list[int]) -> Iterable[str]:
    kinds = [c.kind for c in table.columns]
    starts = [
        f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p>'
        + ('<w:pPr><w:jc w:val="right"/></w:pPr>' if k in (INT, NUM, PCT, MONEY) else "")
        for w, k in zip(widths_twips, kinds, strict=False)
    ]
    for values in table.rows:
        cells = []
        for value, kind, start in zip(values, kinds, starts, strict=False):
            text = cell_text(value, kind, locale)
            run = ""
            if text:
                run = (
                    "<w:r>"
                    + "<w:br/>".join(f'<w:t xml:space="preserve">{xml_escape(line)}</w:t>' for line in text.split("\n"))
                    + "</w:r>"
                )
            cells.append(f"{start}{run}</w:p></w:tc>")
        yield "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>"
