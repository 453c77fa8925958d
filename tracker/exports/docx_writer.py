"""DOCX writer of the annual summary (python-docx).

python-docx's cell API re-walks the whole table on every access and an lxml tree of
10,000 rows takes hundreds of MB, so table body rows are written as WordprocessingML text
into the saved package (streaming.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

from lxml import etree

from .streaming import marker, splice, xml_escape
from .summary import (
    INT,
    MONEY,
    NUM,
    PCT,
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

FONT_ZH = "Noto Sans CJK TC"
# Windows and macOS fallbacks are the readers' business; the east-Asian font slot is
# what makes Word pick a Chinese face for 漢字.


def write_docx(doc: SummaryDocument) -> bytes:
    """A Word document: cover page, headings, tables with repeated header rows, the chart,
    a PAGE / NUMPAGES footer; A4 landscape."""
    with _append_before_sect_pr():
        return _write_docx(doc)


def _write_docx(doc: SummaryDocument) -> bytes:
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
    # Core properties hold at most 255 characters (python-docx refuses more): the subject
    # lists every report's title, 200 reports run to thousands.
    d.core_properties.title = _property(doc.title)
    d.core_properties.subject = _property(doc.cover.title.replace("\n", " / "))
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
    # Styles resolved once: python-docx looks a style name up through every style each time.
    # Ids written straight into w:pStyle: assigning a style through python-docx also compares it
    # with the default style, found by walking every style of the document (each time).
    styles = {name: d.styles[name].style_id for name in ("Heading 1", "Heading 2", "Heading 3", "Quote", "List Bullet")}
    body = d.element.body
    for block in doc.body:
        if isinstance(block, PageBreak):
            new_page = True
            continue
        last = body[-1].getprevious()  # the last element before sectPr (counting them is O(n))
        if isinstance(block, Heading):
            h = d.add_paragraph(block.text)
            h._p.get_or_add_pPr().style = styles[f"Heading {min(block.level, 3)}"]
            h.paragraph_format.keep_with_next = True
        elif isinstance(block, Para):
            style = {"quote": "Quote", "bullet": "List Bullet"}.get(block.style)
            p = d.add_paragraph()
            if style:
                p._p.get_or_add_pPr().style = styles[style]
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
            first = last.getnext() if last is not None else body[0]
            for el in _until_sect_pr(first, qn("w:sectPr")):  # the elements this block added
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
    t._tbl.tblStyle_val = d.styles["Table Grid"].style_id  # not t.style = ...: see _write_docx
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


def _property(text: str, limit: int = 255) -> str:
    """``text`` cut to a core property's length, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _until_sect_pr(el: Any, sect_pr: str) -> Iterable[Any]:
    while el is not None and el.tag != sect_pr:
        yield el
        el = el.getnext()


@contextmanager
def _append_before_sect_pr():
    """While the document is built: a paragraph or table goes straight before the body's
    closing sectPr. python-docx finds sectPr by scanning every child of the body, which at
    10,000 rows' worth of headings, fields and tables made building quadratic (20 s)."""
    from docx.oxml.document import CT_Body
    from docx.oxml.ns import qn

    original = CT_Body.insert_element_before
    sect_pr = qn("w:sectPr")

    def insert_element_before(self, elm, *tagnames):
        if tagnames == ("w:sectPr",):
            try:
                last = self[-1]
            except IndexError:
                last = None
            if last is not None and last.tag == sect_pr:
                last.addprevious(elm)
                return elm
        return original(self, elm, *tagnames)

    CT_Body.insert_element_before = insert_element_before
    try:
        yield
    finally:
        CT_Body.insert_element_before = original
