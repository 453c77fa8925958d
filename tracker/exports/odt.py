"""ODT writer of the annual summary (OpenDocument text): cover, headings, tables with
repeated header rows (body rows streamed into content.xml, streaming.py), the chart."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from lxml import etree

from .odf import _add_text, _el, _font_decls, _lang_attrs, _mirror_asian, _page_setup, _save, odf_text, q
from .streaming import marker, splice
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
