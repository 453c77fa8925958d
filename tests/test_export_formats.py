"""Format defects found when the summary was opened in LibreOffice and rendered page by page
(issue 10, item 9): each is checked in the file itself, and the DOCX is rendered."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import date, datetime

import pytest

from tests.export_world import AS_OF, build_export_history
from tracker.exports import render_summary, resolve_options

TODAY = date(2026, 11, 26)


@pytest.fixture
def history(seeded, factory):
    return build_export_history(seeded, factory)


def export(history, fmt: str, lang: str = "zh-TW") -> bytes:
    return render_summary(
        resolve_options(year=2017, as_of=AS_OF, fmt=fmt, lang=lang, report=history.report.id, today=TODAY)
    )


def part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def test_odt_default_language_is_the_documents_not_fr_fr(history):
    styles = part(export(history, "odt"), "styles.xml")
    assert 'fo:language="fr"' not in styles
    defaults = re.findall(r"<style:default-style.*?</style:default-style>", styles, re.S)
    assert defaults and all('style:language-asian="zh"' in d and 'style:country-asian="TW"' in d for d in defaults)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_xlsx_dates_are_dates_shown_in_roc_form_in_zh_tw(history, lang):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(export(history, "xlsx", lang)))
    ws = wb.worksheets[2]
    header = [c.value for c in ws[1]]
    due = header.index("預定完成日期" if lang == "zh-TW" else "Due date") + 1
    cells = [row[due - 1] for row in ws.iter_rows(min_row=2) if row[due - 1].value is not None]
    assert cells and all(isinstance(c.value, datetime) for c in cells)
    fmt = cells[0].number_format
    assert ('[$-40404]e"年"m"月"d"日"' == fmt) if lang == "zh-TW" else fmt == "yyyy-mm-dd"
    # Wide sheets print several pages wide rather than shrinking the text to nothing.
    assert ws.page_setup.fitToHeight == 0 and 1 <= ws.page_setup.fitToWidth <= 3
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_xlsx_long_overview_cells_get_tall_rows(history):
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(export(history, "xlsx"))).worksheets[0]
    tall = [r for r, dim in ws.row_dimensions.items() if dim.height and dim.height > 20]
    assert tall  # the notes and marks wrap: their rows say how tall they are
    assert ws.merged_cells.ranges  # one-column note tables span the sheet


def test_ods_dates_print_ranges_and_fit_to_width(history):
    data = export(history, "ods")
    content, styles = part(data, "content.xml"), part(data, "styles.xml")
    assert 'number:calendar="ROC"' in content
    assert re.search(r'office:value-type="date" office:date-value="2017-\d\d-\d\d"[^>]*><text:p>10[56]年', content)
    ranges = re.findall(r'table:print-ranges="([^"]+)"', content)
    assert len(ranges) == 5 and all(re.fullmatch(r"'.+'\.A1:'.+'\.[A-Z]+\d+", r) for r in ranges)
    assert 'scale-to-X="1"' in styles
    from odfdo import Document

    sheet = Document(io.BytesIO(data)).body.get_tables()[2]
    assert any(isinstance(v, (date, datetime)) for row in sheet.get_values() for v in row)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_docx_rows_whole_header_repeated_no_break_paragraphs(history, lang):
    body = part(export(history, "docx", lang), "word/document.xml")
    assert 'w:type="page"' not in body  # no paragraph holding only a page break
    assert "<w:pageBreakBefore/>" in body
    rows = re.findall(r"<w:tr[ >].*?</w:tr>", body, re.S)
    assert rows and all("<w:cantSplit/>" in r for r in rows)
    assert body.count("<w:tblHeader/>") == body.count("<w:tbl>")


def test_docx_header_words_fit_their_columns(history):
    from tracker.exports.docx_writer import HEADER_PT

    body = part(export(history, "docx", "en"), "word/document.xml")
    for tbl in re.findall(r"<w:tbl>.*?</w:tbl>", body, re.S):
        widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', tbl)]
        head = re.search(r"<w:tr[ >].*?</w:tr>", tbl, re.S).group(0)
        cells = re.findall(r"<w:tc>.*?</w:tc>", head, re.S)
        for w, cell in zip(widths, cells, strict=False):
            text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", cell))
            longest = max((len(word) for word in text.split()), default=0)
            assert longest * 0.58 * HEADER_PT * 20 <= w, (text, w)


@pytest.mark.parametrize("fmt, lang", [("docx", "en"), ("odt", "zh-TW")])
def test_renders_without_blank_pages(history, soffice, tmp_path, fmt, lang):
    src = tmp_path / f"summary.{fmt}"
    src.write_bytes(export(history, fmt, lang))
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        capture_output=True,
        timeout=180,
    )
    from pypdf import PdfReader

    pages = PdfReader(str(tmp_path / "summary.pdf")).pages
    assert len(pages) > 5
    for n, page in enumerate(pages, 1):
        text = re.sub(r"Page \d+ of \d+|第 \d+ 頁，共 \d+ 頁|Draft|草稿|·", "", page.extract_text() or "")
        assert len(text.split()) > 3, f"page {n} is blank"


def test_docx_subject_of_many_reports_fits_a_core_property():
    """A summary of 200 reports lists every title in the subject; Word's core properties hold
    255 characters, and python-docx refuses more (the DOCX of 200 reports failed)."""
    from tracker.exports.docx_writer import _property

    long = " / ".join(f"測試出國報告第{n}號（日本）" for n in range(200))
    cut = _property(long)
    assert len(cut) == 255 and cut.endswith("…") and long.startswith(cut[:-1])
    assert _property("short") == "short"
