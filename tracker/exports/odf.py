"""ODT and ODS (OpenDocument, CNS 15251) writers of the annual summary, with odfdo.

odfdo owns the package: the template, styles.xml, the manifest, the picture, the
metadata and saving. The body is written as ODF elements with lxml into odfdo's tree,
because odfdo builds each cell by parsing an XML snippet (about 2 ms a row) and
re-indexes every table on save — 10,000 items took 25 s that way; the same elements
appended directly take well under a second.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from lxml import etree

from ..services.sheets import unique_sheet_name as _unique_sheet_name
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

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}
FONT = "Noto Sans CJK TC"


def q(name: str) -> str:
    """'text:p' -> '{urn:...text:1.0}p' (Clark notation for lxml)."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


_XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())


def _el(xml: str) -> Any:
    """An odfdo element from an XML snippet written with the usual ODF prefixes."""
    from odfdo import Element

    root = etree.fromstring(f"<wrap {_XMLNS}>{xml}</wrap>")
    for tp in root.iter(q("style:text-properties")):
        _mirror_asian(tp)
    return Element.from_tag(root[0])


def _mirror_asian(tp: Any) -> None:
    """ODF sizes Latin and CJK text separately: give 漢字 the same size, weight and style."""
    for prop in ("font-size", "font-weight", "font-style"):
        value = tp.get(q(f"fo:{prop}"))
        if value is not None:
            tp.set(q(f"style:{prop}-asian"), value)
            tp.set(q(f"style:{prop}-complex"), value)


def _add_text(parent: Any, text: str) -> None:
    """Text into a text:p / text:h: newlines become line breaks, tabs and runs of spaces
    are kept (ODF collapses plain white space). For the few elements built as trees."""
    last = None

    def put(s: str) -> None:
        if not s:
            return
        if last is None:
            parent.text = (parent.text or "") + s
        else:
            last.tail = (last.tail or "") + s

    def child(tag: str, **attrs: str) -> None:
        nonlocal last
        last = etree.SubElement(parent, q(tag), {q(k): v for k, v in attrs.items()})

    text = _xml_safe(text)
    for k, line in enumerate(text.split("\n")):
        if k:
            child("text:line-break")
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\t":
                child("text:tab")
                i += 1
            elif ch == " " and i + 1 < len(line) and line[i + 1] == " ":
                j = i
                while j < len(line) and line[j] == " ":
                    j += 1
                put(" ")
                child("text:s", **{"text:c": str(j - i - 1)})
                i = j
            else:
                j = i
                while (
                    j < len(line)
                    and line[j] != "\t"
                    and not (line[j] == " " and j + 1 < len(line) and line[j + 1] == " ")
                ):
                    j += 1
                put(line[i:j])
                i = j


_SPACES = re.compile(r"  +")


def odf_text(text: str) -> str:
    """Text as the XML content of a text:p (string form of ``_add_text``, for streamed rows)."""
    out = xml_escape(text)
    if "  " in out:
        out = _SPACES.sub(lambda m: f' <text:s text:c="{len(m.group(0)) - 1}"/>', out)
    if "\t" in out:
        out = out.replace("\t", "<text:tab/>")
    if "\n" in out or "\r" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<text:line-break/>")
    return out


def _xml_safe(text: str) -> str:
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


def _lang_attrs(locale: str) -> dict[str, str]:
    lang, country = ("zh", "TW") if locale == "zh_TW" else ("en", "US")
    return {
        "fo:language": lang,
        "fo:country": country,
        "style:language-asian": "zh",
        "style:country-asian": "TW",
        "style:font-name": FONT,
        "style:font-name-asian": FONT,
        "style:font-name-complex": FONT,
    }


def _lang_props(locale: str) -> str:
    return " ".join(f'{k}="{v}"' for k, v in _lang_attrs(locale).items())


def _font_decls(doc: Any) -> None:
    from odfdo.const import ODF_CONTENT, ODF_STYLES

    for part in (ODF_CONTENT, ODF_STYLES):
        root = doc.get_part(part).root._xml_element
        decls = root.find(q("office:font-face-decls"))
        if decls is None:
            decls = etree.Element(q("office:font-face-decls"))
            root.insert(1 if root.find(q("office:scripts")) is not None else 0, decls)
        etree.SubElement(
            decls,
            q("style:font-face"),
            {
                q("style:name"): FONT,
                q("svg:font-family"): f"'{FONT}'",
                q("style:font-family-generic"): "swiss",
                q("style:font-pitch"): "variable",
            },
        )


def _page_setup(doc: Any, footer: str, landscape: bool) -> None:
    """A4 landscape and a 'Page X of Y' footer on the template's default master page."""
    master = doc.get_styles("master-page")[0]
    layout = doc.get_style("page-layout", master.get_attribute("style:page-layout-name"))._xml_element
    props = layout.find(q("style:page-layout-properties"))
    w, h = ("29.7cm", "21cm") if landscape else ("21cm", "29.7cm")
    for k, v in {
        "fo:page-width": w,
        "fo:page-height": h,
        "style:print-orientation": "landscape" if landscape else "portrait",
        "fo:margin-top": "1.5cm",
        "fo:margin-bottom": "1.2cm",
        "fo:margin-left": "1.8cm",
        "fo:margin-right": "1.8cm",
    }.items():
        props.set(q(k), v)
    fs = layout.find(q("style:footer-style"))
    if fs is None:
        fs = etree.SubElement(layout, q("style:footer-style"))
    for old in list(fs):
        fs.remove(old)
    etree.SubElement(
        fs, q("style:header-footer-properties"), {q("fo:min-height"): "0.6cm", q("fo:margin-top"): "0.3cm"}
    )
    master = master._xml_element
    for old in master.findall(q("style:footer")):
        master.remove(old)
    f = etree.SubElement(master, q("style:footer"))
    p = etree.SubElement(f, q("text:p"), {q("text:style-name"): "SummaryFooter"})
    before, _, rest = footer.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    p.text = before
    num = etree.SubElement(p, q("text:page-number"), {q("text:select-page"): "current"})
    num.text = "1"
    num.tail = middle
    cnt = etree.SubElement(p, q("text:page-count"))
    cnt.text = "1"
    cnt.tail = after


def _text_styles(doc: Any, locale: str) -> None:
    from odfdo.const import ODF_STYLES

    # No outline numbering ("1.1 ..."): the recommendations carry their own codes.
    for level in doc.get_part(ODF_STYLES).root._xml_element.iter(q("text:outline-level-style")):
        level.set(q("style:num-format"), "")
        for attr in ("style:num-suffix", "style:num-prefix"):
            level.attrib.pop(q(attr), None)
        for name in [a for a in level.attrib if a.endswith("}num-list-format")]:
            del level.attrib[name]  # LibreOffice's own "%1%." pattern would still print the dot
    # The template's default styles say fr-FR with no Asian language: LibreOffice then draws
    # CJK text with its Japanese face. Every default style gets the document's languages.
    for default in doc.get_part(ODF_STYLES).root._xml_element.iter(q("style:default-style")):
        tp = default.find(q("style:text-properties"))
        if tp is None:
            tp = etree.SubElement(default, q("style:text-properties"))
        for k, v in _lang_attrs(locale).items():
            tp.set(q(k), v)
    for name in ("Heading_20_1", "Heading_20_2", "Heading_20_3"):
        st = doc.get_style("paragraph", name)
        if st is not None:
            tp = st._xml_element.find(q("style:text-properties"))
            if tp is not None:
                tp.set(q("fo:font-style"), "normal")
                _mirror_asian(tp)
    for name in ("Standard", "Heading", "Text_20_body"):
        st = doc.get_style("paragraph", name)
        if st is None:
            continue
        tp = st._xml_element.find(q("style:text-properties"))
        if tp is None:
            tp = etree.SubElement(st._xml_element, q("style:text-properties"))
        for k, v in _lang_attrs(locale).items():
            tp.set(q(k), v)
    common = [
        '<style:style style:name="SummaryFooter" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="8pt"/></style:style>',
    ]
    for xml in common:
        doc.insert_style(_el(xml), automatic=False)
    auto = [
        '<style:style style:name="P_Body" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-bottom="0.15cm"/><style:text-properties fo:font-size="10pt"/></style:style>',
        '<style:style style:name="P_Quote" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-left="0.6cm" fo:margin-bottom="0.2cm" fo:border-left="0.06cm solid #9ca3af" '
        'fo:padding-left="0.2cm"/><style:text-properties fo:font-size="10pt"/></style:style>',
        '<style:style style:name="P_Bullet" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-left="0.6cm" fo:text-indent="-0.4cm" fo:margin-bottom="0.05cm"/>'
        '<style:text-properties fo:font-size="9.5pt"/></style:style>',
        '<style:style style:name="P_Note" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-bottom="0.2cm"/><style:text-properties fo:font-size="9pt" '
        'fo:font-style="italic" fo:color="#374151"/></style:style>',
        '<style:style style:name="P_Strong" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-top="0.2cm" fo:margin-bottom="0.05cm" fo:keep-with-next="always"/>'
        '<style:text-properties fo:font-size="10pt" fo:font-weight="bold" style:font-weight-asian="bold"/></style:style>',
        '<style:style style:name="P_Break" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:break-before="page"/></style:style>',
        '<style:style style:name="P_CoverTitle" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:text-align="center" fo:margin-top="3cm" fo:margin-bottom="0.6cm"/>'
        '<style:text-properties fo:font-size="22pt" fo:font-weight="bold" style:font-weight-asian="bold"/></style:style>',
        '<style:style style:name="P_CoverSub" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:text-align="center" fo:margin-bottom="1.2cm"/>'
        '<style:text-properties fo:font-size="16pt"/></style:style>',
        '<style:style style:name="P_CoverField" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.2cm"/>'
        '<style:text-properties fo:font-size="12pt"/></style:style>',
        '<style:style style:name="P_Caption" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:margin-bottom="0.3cm"/><style:text-properties fo:font-size="9pt" '
        'fo:font-style="italic"/></style:style>',
        '<style:style style:name="P_Cell" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:text-properties fo:font-size="8.5pt"/></style:style>',
        '<style:style style:name="P_CellNum" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:paragraph-properties fo:text-align="end"/><style:text-properties fo:font-size="8.5pt"/></style:style>',
        '<style:style style:name="P_CellHead" style:family="paragraph" style:parent-style-name="Standard">'
        '<style:text-properties fo:font-size="8.5pt" fo:font-weight="bold" style:font-weight-asian="bold"/></style:style>',
        '<style:style style:name="T_Bold" style:family="text"><style:text-properties fo:font-weight="bold" '
        'style:font-weight-asian="bold"/></style:style>',
        '<style:style style:name="C_Head" style:family="table-cell"><style:table-cell-properties '
        'fo:background-color="#e5e7eb" fo:border="0.5pt solid #6b7280" fo:padding="0.06cm"/></style:style>',
        '<style:style style:name="C_Body" style:family="table-cell"><style:table-cell-properties '
        'fo:border="0.5pt solid #9ca3af" fo:padding="0.06cm"/></style:style>',
        '<style:style style:name="Fr_Chart" style:family="graphic"><style:graphic-properties '
        'style:vertical-pos="top" style:vertical-rel="baseline"/></style:style>',
    ]
    for xml in auto:
        doc.insert_style(_el(xml), automatic=True)


class _OdtBody:
    def __init__(self, doc: Any, locale: str, text_width_cm: float):
        self.doc = doc
        self.body = doc.body._xml_element
        self.locale = locale
        self.text_width_cm = text_width_cm
        self.tables = 0
        self.row_sources: dict[int, Any] = {}

    def p(self, text: str, style: str = "P_Body") -> Any:
        el = etree.SubElement(self.body, q("text:p"), {q("text:style-name"): style})
        _add_text(el, text)
        return el

    def heading(self, level: int, text: str) -> None:
        el = etree.SubElement(
            self.body,
            q("text:h"),
            {q("text:style-name"): f"Heading_20_{min(level, 3)}", q("text:outline-level"): str(level)},
        )
        _add_text(el, text)

    def fields(self, rows: Iterable[tuple[str, str]], style: str = "P_Body") -> None:
        colon = "：" if self.locale == "zh_TW" else ": "
        for label, value in rows:
            el = etree.SubElement(self.body, q("text:p"), {q("text:style-name"): style})
            b = etree.SubElement(el, q("text:span"), {q("text:style-name"): "T_Bold"})
            _add_text(b, f"{label}{colon}")
            tail = etree.SubElement(el, q("text:span"))
            _add_text(tail, value)

    def image(self, img: Image) -> None:
        uri = self.doc.add_file(io.BytesIO(img.png))
        width_cm = min(self.text_width_cm, img.width_px / 96 * 2.54 * 1.2)
        height_cm = width_cm * img.height_px / img.width_px
        p = etree.SubElement(self.body, q("text:p"), {q("text:style-name"): "P_Body"})
        frame = etree.SubElement(
            p,
            q("draw:frame"),
            {
                q("draw:style-name"): "Fr_Chart",
                q("draw:name"): "chart-progress",
                q("text:anchor-type"): "as-char",
                q("svg:width"): f"{width_cm:.2f}cm",
                q("svg:height"): f"{height_cm:.2f}cm",
            },
        )
        etree.SubElement(
            frame,
            q("draw:image"),
            {q("xlink:href"): uri, q("xlink:type"): "simple", q("xlink:show"): "embed", q("xlink:actuate"): "onLoad"},
        )
        etree.SubElement(frame, q("svg:title")).text = img.caption
        etree.SubElement(frame, q("svg:desc")).text = img.alt
        self.p(img.caption, "P_Caption")

    def table(self, table: Table) -> None:
        if not table.rows:
            if table.empty:
                self.p(table.empty, "P_Note")
            return
        self.tables += 1
        name = f"T{self.tables}"
        cols = table.columns
        total = sum(c.width for c in cols)
        tstyle = etree.Element(q("style:style"), {q("style:name"): name, q("style:family"): "table"})
        etree.SubElement(
            tstyle,
            q("style:table-properties"),
            {q("style:width"): f"{self.text_width_cm:.2f}cm", q("table:align"): "margins"},
        )
        auto = self.doc.content.get_element("//office:automatic-styles")._xml_element
        auto.append(tstyle)
        t = etree.SubElement(
            self.body, q("table:table"), {q("table:name"): f"{table.name}-{self.tables}", q("table:style-name"): name}
        )
        for k, c in enumerate(cols):
            cs = etree.SubElement(
                auto, q("style:style"), {q("style:name"): f"{name}.C{k}", q("style:family"): "table-column"}
            )
            etree.SubElement(
                cs,
                q("style:table-column-properties"),
                {q("style:column-width"): f"{self.text_width_cm * c.width / total:.3f}cm"},
            )
            etree.SubElement(t, q("table:table-column"), {q("table:style-name"): f"{name}.C{k}"})
        head = etree.SubElement(etree.SubElement(t, q("table:table-header-rows")), q("table:table-row"))
        for c in cols:
            cell = etree.SubElement(
                head, q("table:table-cell"), {q("table:style-name"): "C_Head", q("office:value-type"): "string"}
            )
            _add_text(etree.SubElement(cell, q("text:p"), {q("text:style-name"): "P_CellHead"}), c.label)
        # Body rows are streamed into content.xml after saving (streaming.py).
        t.append(etree.Comment(marker(self.tables)))
        self.row_sources[self.tables] = lambda: _odt_rows(table, self.locale)


def _odt_rows(table: Table, locale: str) -> Iterable[str]:
    kinds = [c.kind for c in table.columns]
    starts = [
        '<table:table-cell table:style-name="C_Body" office:value-type="string">'
        f'<text:p text:style-name="{"P_CellNum" if k in (INT, NUM, PCT, MONEY) else "P_Cell"}">'
        for k in kinds
    ]
    end = "</text:p></table:table-cell>"
    for values in table.rows:
        yield (
            "<table:table-row>"
            + "".join(
                f"{start}{odf_text(cell_text(v, k, locale))}{end}"
                for v, k, start in zip(values, kinds, starts, strict=False)
            )
            + "</table:table-row>"
        )


def write_odt(doc: SummaryDocument) -> bytes:
    """The summary as an OpenDocument text: cover page, headings, tables with repeated
    header rows, the chart as a picture, 'Page X of Y' in the footer; A4 landscape."""
    from odfdo import Document

    odt = Document("text")
    _font_decls(odt)
    _text_styles(odt, doc.locale)
    _page_setup(odt, doc.footer, landscape=True)
    odt.meta.title = doc.title
    odt.meta.subject = doc.cover.title.replace("\n", " / ")
    odt.meta.language = doc.lang
    # odfdo's template body starts with an empty paragraph or sequence declarations; keep them.
    out = _OdtBody(odt, doc.locale, text_width_cm=29.7 - 3.6)
    _odt_cover(out, doc.cover)
    pending_break = False
    for block in doc.body:
        if isinstance(block, PageBreak):
            pending_break = True
            continue
        if pending_break:
            out.p("", "P_Break")
            pending_break = False
        if isinstance(block, Heading):
            out.heading(block.level, block.text)
        elif isinstance(block, Para):
            text = f"• {block.text}" if block.style == "bullet" else block.text
            out.p(
                text,
                {"quote": "P_Quote", "bullet": "P_Bullet", "note": "P_Note", "strong": "P_Strong"}.get(
                    block.style, "P_Body"
                ),
            )
        elif isinstance(block, Fields):
            out.fields(block.rows)
        elif isinstance(block, Table) and block.name == "sign_off":
            # As signature lines, not a table: LibreOffice lays a table that ends the document
            # out with a blank page after it.
            out.p(
                "\u3000\u3000".join(
                    f"{c.label}{'：' if doc.locale == 'zh_TW' else ': '}{'＿' * 10}" for c in block.columns
                ),
                "P_Body",
            )
        elif isinstance(block, Table):
            out.table(block)
        elif isinstance(block, Image):
            out.image(block)
    # A text document must not end with a table: LibreOffice then adds a paragraph of its own
    # and lays it out on a page of its own (a blank last page).
    out.p("", "P_Body")
    return splice(_save(odt), "content.xml", out.row_sources)


def _odt_cover(out: _OdtBody, cover: Cover) -> None:
    out.p(cover.title, "P_CoverTitle")
    out.p(cover.subtitle, "P_CoverSub")
    for mark in cover.marks:
        out.p(mark, "P_CoverField")
    out.fields(cover.fields, "P_CoverField")
    out.p("", "P_Break")


def _save(document: Any) -> bytes:
    # Every table written here declares its columns; odfdo's save-time normalize_tables
    # would re-read each row through its table cache (seconds at 10,000 items) to
    # conclude the same, so it is skipped for this document only.
    document.normalize_tables = lambda: None
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# --- ODS -----------------------------------------------------------------------------------


def _ods_styles(doc: Any, locale: str) -> None:
    lang = _lang_props(locale)
    auto = [
        '<number:number-style style:name="N_Int"><number:number number:decimal-places="0" '
        'number:min-decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:number-style>',
        '<number:number-style style:name="N_Num"><number:number number:decimal-places="3" '
        'number:min-decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:number-style>',
        '<number:number-style style:name="N_Pct"><number:number number:decimal-places="1" '
        'number:min-decimal-places="1" number:min-integer-digits="1"/></number:number-style>',
        '<number:number-style style:name="N_Year"><number:number number:decimal-places="0" '
        'number:min-integer-digits="1"/></number:number-style>',
        _date_style(locale),
        f'<style:style style:name="S_Text" style:family="table-cell"><style:table-cell-properties '
        f'fo:wrap-option="wrap" style:vertical-align="top"/><style:text-properties {lang}/></style:style>',
        f'<style:style style:name="S_Head" style:family="table-cell"><style:table-cell-properties '
        f'fo:background-color="#e5e7eb" fo:wrap-option="wrap" style:vertical-align="top"/>'
        f'<style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" {lang}/></style:style>',
        f'<style:style style:name="S_Title" style:family="table-cell"><style:text-properties fo:font-size="12pt" '
        f'fo:font-weight="bold" style:font-weight-asian="bold" {lang}/></style:style>',
        '<style:style style:name="S_Int" style:family="table-cell" style:data-style-name="N_Int">'
        '<style:table-cell-properties style:vertical-align="top"/></style:style>',
        '<style:style style:name="S_Num" style:family="table-cell" style:data-style-name="N_Num">'
        '<style:table-cell-properties style:vertical-align="top"/></style:style>',
        '<style:style style:name="S_Pct" style:family="table-cell" style:data-style-name="N_Pct">'
        '<style:table-cell-properties style:vertical-align="top"/></style:style>',
        '<style:style style:name="S_Year" style:family="table-cell" style:data-style-name="N_Year">'
        '<style:table-cell-properties style:vertical-align="top"/></style:style>',
        '<style:style style:name="S_Date" style:family="table-cell" style:data-style-name="N_Date">'
        '<style:table-cell-properties style:vertical-align="top"/></style:style>',
    ]
    for xml in auto:
        doc.insert_style(_el(xml), automatic=True)


def _date_style(locale: str) -> str:
    """Dates are stored as dates; zh-TW shows them in 民國 form (106年12月31日, ROC calendar)."""
    if locale == "zh_TW":
        return (
            '<number:date-style style:name="N_Date" number:language="zh" number:country="TW">'
            '<number:year number:calendar="ROC"/><number:text>年</number:text>'
            '<number:month number:calendar="ROC"/><number:text>月</number:text>'
            '<number:day number:calendar="ROC"/><number:text>日</number:text></number:date-style>'
        )
    return (
        '<number:date-style style:name="N_Date"><number:year number:style="long"/><number:text>-</number:text>'
        '<number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/>'
        "</number:date-style>"
    )


def _column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
LOEXT_NS = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"


def _fit_to_width(doc: Any) -> None:
    """Print each sheet one page wide (as many pages tall as needed)."""
    master = doc.get_styles("master-page")[0]
    layout = doc.get_style("page-layout", master.get_attribute("style:page-layout-name"))._xml_element
    props = layout.find(q("style:page-layout-properties"))
    for ns in (STYLE_NS, LOEXT_NS):
        props.set(f"{{{ns}}}scale-to-X", "1")
        props.set(f"{{{ns}}}scale-to-Y", "0")


_NUMERIC_STYLE = {INT: "S_Int", NUM: "S_Num", PCT: "S_Pct", MONEY: "S_Int", YEAR: "S_Year"}


def write_ods(doc: SummaryDocument) -> bytes:
    """The summary as an OpenDocument spreadsheet: Overview, Recommendations, Action items,
    Indicators, Appendix; typed cells, header rows repeated when printed."""
    from odfdo import Document

    ods = Document("spreadsheet")
    _font_decls(ods)
    _ods_styles(ods, doc.locale)
    _page_setup(ods, doc.footer, landscape=True)
    _fit_to_width(ods)
    ods.meta.title = doc.title
    ods.meta.language = doc.lang
    body = ods.body._xml_element
    for old in body.findall(q("table:table")):
        body.remove(old)
    auto = ods.content.get_element("//office:automatic-styles")._xml_element
    used: set[str] = set()
    sources: dict[int, Any] = {}
    for n, sheet in enumerate(doc.sheets):
        name = _unique_sheet_name(sheet.name, used)
        t = etree.SubElement(body, q("table:table"), {q("table:name"): name})
        ncols = max((len(tb.columns) for tb in sheet.tables), default=1)
        widths = [1.0] * ncols
        for tb in sheet.tables:
            for k, c in enumerate(tb.columns):
                widths[k] = max(widths[k], c.width)
        for k, w in enumerate(widths):
            cs = etree.SubElement(
                auto, q("style:style"), {q("style:name"): f"co{n}_{k}", q("style:family"): "table-column"}
            )
            etree.SubElement(
                cs,
                q("style:table-column-properties"),
                {q("style:column-width"): f"{min(12.0, 2.2 + 1.6 * (w - 1)):.2f}cm"},
            )
            etree.SubElement(t, q("table:table-column"), {q("table:style-name"): f"co{n}_{k}"})
        single = len(sheet.tables) == 1
        for tb in sheet.tables:
            if not single:
                _ods_row(t, [(tb.title, "S_Title")], doc.locale)
            header_parent = etree.SubElement(t, q("table:table-header-rows")) if single else t
            _ods_row(header_parent, [(c.label, "S_Head") for c in tb.columns], doc.locale)
            if tb.rows:
                t.append(etree.Comment(marker(len(sources))))
                sources[len(sources)] = lambda tb=tb: _ods_rows(tb, doc.locale)
            if not tb.rows and tb.empty:
                _ods_row(t, [(tb.empty, "S_Text")], doc.locale)
            if not single:
                etree.SubElement(t, q("table:table-row"))
        # Print range: the used cells only (LibreOffice would otherwise print empty columns).
        nrows = sum((0 if single else 2) + 1 + (len(tb.rows) or (1 if tb.empty else 0)) for tb in sheet.tables)
        quoted = "'" + name.replace("'", "''") + "'"
        t.set(q("table:print-ranges"), f"{quoted}.A1:{quoted}.{_column_letters(ncols)}{max(nrows, 1)}")
    return splice(_save(ods), "content.xml", sources)


def _ods_row(parent: Any, cells: list[tuple[str, str]], locale: str) -> None:
    row = etree.SubElement(parent, q("table:table-row"))
    for text, style in cells:
        cell = etree.SubElement(
            row, q("table:table-cell"), {q("office:value-type"): "string", q("table:style-name"): style}
        )
        _add_text(etree.SubElement(cell, q("text:p")), sheet_value(text, "text", locale) or "")


def _ods_rows(table: Table, locale: str) -> Iterable[str]:
    """Typed cells as XML text: numbers as floats, English dates as dates, text neutralised."""
    kinds = [c.kind for c in table.columns]
    for values in table.rows:
        cells = []
        for value, kind in zip(values, kinds, strict=False):
            v = sheet_value(value, kind, locale)
            if v is None:
                cells.append("<table:table-cell/>")
            elif isinstance(v, date):
                iso = v.isoformat()
                shown = iso if locale == "en" else odf_text(cell_text(v, DATE, locale))
                cells.append(
                    f'<table:table-cell office:value-type="date" office:date-value="{iso}" '
                    f'table:style-name="S_Date"><text:p>{shown}</text:p></table:table-cell>'
                )
            elif isinstance(v, (int, float)):
                num = repr(v) if isinstance(v, float) else str(v)
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{num}" '
                    f'table:style-name="{_NUMERIC_STYLE.get(kind, "S_Num")}"><text:p>{num}</text:p>'
                    f"</table:table-cell>"
                )
            else:
                cells.append(
                    '<table:table-cell office:value-type="string" table:style-name="S_Text">'
                    f"<text:p>{odf_text(v)}</text:p></table:table-cell>"
                )
        yield "<table:table-row>" + "".join(cells) + "</table:table-row>"
