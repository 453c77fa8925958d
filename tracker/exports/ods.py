"""ODS writer of the annual summary (OpenDocument spreadsheet): one sheet per document
sheet, typed cells (numbers, dates in 民國 form for zh-TW), rows streamed into content.xml."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from lxml import etree

from ..services.sheets import unique_sheet_name as _unique_sheet_name
from .odf import (
    _add_text,
    _el,
    _font_decls,
    _lang_props,
    _page_setup,
    _save,
    odf_text,
    q,
)
from .streaming import marker, splice
from .summary import (
    DATE,
    INT,
    MONEY,
    NUM,
    PCT,
    YEAR,
    SummaryDocument,
    Table,
    cell_text,
)
from .tabular import sheet_value


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
