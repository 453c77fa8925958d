"""The annual follow-up summary in every format, read back with a real reader.

Each format must show all five recommendations, the status counts of
services.progress.build_summary (the dashboard's and the summary API's numbers) for the
same as-of date, nothing effective after that date, neutralised formula cells in the
spreadsheets, 民國 dates in zh-TW and ISO dates in English.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date

import pytest
from flask_babel import force_locale

from tests.export_world import (
    AS_OF,
    HOSTILE_DEPT,
    HOSTILE_REASON,
    HOSTILE_TITLE,
    IN_YEAR_NARRATIVE,
    LATE_NARRATIVE,
    UNAPPROVED_NARRATIVE,
    build_export_history,
)
from tracker.dates import DataDates
from tracker.exports import ExportError, render_summary, resolve_options
from tracker.exports.summary import build_document
from tracker.exports.tabular import neutralise
from tracker.models import Status
from tracker.models.enums import STATUS_ORDER
from tracker.services import labels, progress

TODAY = date(2026, 11, 26)
LOCALES = {"zh-TW": "zh_TW", "en": "en"}


@pytest.fixture
def history(seeded, factory):
    return build_export_history(seeded, factory)


def export(history, fmt: str, lang: str = "zh-TW", year: int = 2017, as_of: date | None = AS_OF) -> bytes:
    options = resolve_options(year=year, as_of=as_of, fmt=fmt, lang=lang, report=history.report.id, today=TODAY)
    return render_summary(options)


def expected_counts(history) -> list[int]:
    summary = progress.build_summary(AS_OF, [history.report.id], year=2017)
    return [int(summary.status_counts.get(s, 0)) for s in STATUS_ORDER]


def status_labels(lang: str) -> list[str]:
    with force_locale(LOCALES[lang]):
        return [labels.label(s) for s in STATUS_ORDER]


def rec_codes(history) -> list[str]:
    return [r.code for r in history.report.recommendations]


def check_text(history, text: str, lang: str) -> None:
    """What every format's full text must (not) contain."""
    for code in rec_codes(history):
        assert code in text, code
    assert len(rec_codes(history)) == 5
    assert LATE_NARRATIVE.split()[0] not in text  # effective after the data date
    # Effective in 2017, approved in January 2018: in the 2017 summary compiled today.
    assert UNAPPROVED_NARRATIVE.split()[0] in text
    if lang == "zh-TW":
        assert "106年12月31日" in text and "2017-12-31" not in text
        assert "辦理事項" in text and "主辦機關" in text
    else:
        assert "2017-12-31" in text and "106年" not in text
        assert "Action items" in text


# --- the document model ------------------------------------------------------------------


def test_model_counts_equal_build_summary_and_the_year_updates_respect_as_of(history):
    doc = build_document(2017, AS_OF, "zh_TW", [history.report.id])
    assert [doc.status_counts[s] for s in STATUS_ORDER] == expected_counts(history)
    assert doc.recommendation_codes == ["R1", "R2", "R3", "R4", "R5"]
    text = repr(doc.body) + repr(doc.sheets)
    assert IN_YEAR_NARRATIVE in text
    assert LATE_NARRATIVE not in text and UNAPPROVED_NARRATIVE in text
    assert doc.cover.subtitle.startswith("民國106年度追蹤辦理情形報告")
    assert ("資料截止日", "106年12月31日") in doc.cover.fields
    # As printed on the data date (K = D), the report approved in January is not there yet.
    printed = build_document(2017, DataDates(AS_OF, AS_OF, TODAY), "zh_TW", [history.report.id])
    assert UNAPPROVED_NARRATIVE not in repr(printed.body) + repr(printed.sheets)


def test_model_statement_count_does_not_grow_with_items(history, factory, count_queries):
    from tracker.extensions import db

    rid, rec_id = history.report.id, history.report.recommendations[0].id

    def statements() -> int:
        db.session.remove()  # a cold session, as in a request
        with count_queries() as counter:
            build_document(2017, AS_OF, "en", [rid])
        return counter.count

    before = statements()
    from tracker.models import Recommendation

    rec = db.session.get(Recommendation, rec_id)
    for n in range(15):
        it = factory.item(rec, code=f"EXTRA-{n}", supporting=[factory.department()])
        factory.update(it, Status.IN_PROGRESS, 30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 1))
    db.session.commit()
    assert statements() == before


def test_year_without_data_gives_a_valid_document_that_says_so(history):
    doc = build_document(2015, date(2015, 12, 31), "en", [history.report.id])
    assert doc.notices and "2015" in doc.notices[0]
    # Asked for through the options (CLI, web), a year before the report was filed is refused.
    with pytest.raises(ExportError) as err:
        export(history, "odt", "en", year=2015, as_of=None)
    assert err.value.field == "year" and "2016-12-23" in err.value.message


def test_no_report_at_all_still_gives_a_document(app):
    doc = build_document(2017, AS_OF, "zh_TW")
    assert doc.notices == ["目前沒有可彙整的出國報告。"]
    options = resolve_options(year=2017, as_of=None, fmt="odt", lang="zh-TW", report=None, today=TODAY)
    assert render_summary(options)[:2] == b"PK"


# --- option validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"fmt": "rtf"}, "format"),
        ({"lang": "fr"}, "lang"),
        ({"year": "20x7"}, "year"),
        ({"year": "1900"}, "year"),
        ({"year": "2099"}, "year"),
        ({"as_of": "2018-01-01"}, "as_of"),
        ({"as_of": "31/12/2017"}, "as_of"),
        ({"report": "no-such-report"}, "report"),
        ({"report": "999"}, "report"),
    ],
)
def test_bad_options_name_the_field(history, kwargs, field):
    args = {"year": 2017, "as_of": None, "fmt": "odt", "lang": "en", "report": history.report.id, "today": TODAY}
    args.update(kwargs)
    with pytest.raises(ExportError) as err:
        resolve_options(**args)
    assert err.value.field == field and err.value.message


def test_defaults_and_file_name(history):
    o = resolve_options(year="2017", as_of="", fmt="ODT", lang="zh_TW", report="israel-2016", today=TODAY)
    assert (o.as_of, o.format, o.lang) == (date(2017, 12, 31), "odt", "zh-TW")
    from tracker.dates import today

    assert o.filename == f"israel-2016_summary_2017_asof-2017-12-31_known-{today().isoformat()}_zh-TW.odt"
    current = resolve_options(year=TODAY.year, as_of=None, fmt="csv", lang="en", report=None, today=TODAY)
    assert current.as_of == TODAY and current.report.code == "israel-2016"


def test_neutralise():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    for fine in ("1+1", "text", "", "民國106年"):
        assert neutralise(fine) == fine


# --- each format read back -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_odt(history, lang):
    from odfdo import Document

    doc = Document(io.BytesIO(export(history, "odt", lang)))
    text = doc.get_formatted_text()
    check_text(history, text, lang)
    assert IN_YEAR_NARRATIVE in text
    table = next(t for t in doc.body.get_tables() if t.name.startswith("status_counts"))
    rows = table.get_values()
    assert rows[0][0]  # header row
    assert [r[0] for r in rows[1:8]] == status_labels(lang)
    assert [int(r[1]) for r in rows[1:8]] == expected_counts(history)
    # Real header rows (repeated on every page), a picture for the chart, page numbers.
    content = doc.content.serialize().decode()
    assert "table:table-header-rows" in content and "draw:image" in content
    assert "text:page-number" in doc.styles.serialize().decode()


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_ods(history, lang):
    from odfdo import Document

    doc = Document(io.BytesIO(export(history, "ods", lang)))
    sheets = doc.body.get_tables()
    assert len(sheets) == 5
    overview, recs, items = sheets[0].get_values(), sheets[1].get_values(), sheets[2].get_values()
    counts = {}
    for row in overview:
        if row[0] in status_labels(lang) and isinstance(row[1], int):
            counts.setdefault(row[0], row[1])
    assert [counts[label] for label in status_labels(lang)] == expected_counts(history)
    assert [r[0] for r in recs[1:]] == rec_codes(history)
    flat = [c for row in items for c in row if isinstance(c, str)]
    assert "'" + HOSTILE_TITLE in flat and "'" + HOSTILE_REASON in flat and "'" + HOSTILE_DEPT in flat
    assert HOSTILE_TITLE not in flat
    progress_col = (
        items[0].index("進度（%）" if lang == "zh-TW" else "Progress (%)")
        if ("進度（%）" in items[0] or "Progress (%)" in items[0])
        else 12
    )
    assert all(isinstance(r[progress_col], int) for r in items[1:])  # numbers stay numbers
    check_text(history, " ".join(str(c) for row in overview + recs + items for c in row if c is not None), lang)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_xlsx(history, lang):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(export(history, "xlsx", lang)))
    assert len(wb.sheetnames) == 5
    overview = list(wb.worksheets[0].iter_rows(values_only=True))
    items = list(wb.worksheets[2].iter_rows(values_only=True))
    recs = list(wb.worksheets[1].iter_rows(values_only=True))
    counts = {}
    for row in overview:
        if row[0] in status_labels(lang) and isinstance(row[1], int):
            counts.setdefault(row[0], row[1])
    assert [counts[label] for label in status_labels(lang)] == expected_counts(history)
    assert [r[0] for r in recs[1:]] == rec_codes(history)
    cells = [c for row in items for c in row if isinstance(c, str)]
    assert "'" + HOSTILE_TITLE in cells and "'" + HOSTILE_REASON in cells and "'" + HOSTILE_DEPT in cells
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "@")) for c in cells)
    col = items[0].index("進度（%）" if lang == "zh-TW" else "Progress (%)")
    assert all(isinstance(r[col], int) for r in items[1:])  # progress (%) stays a number
    # Header row frozen and repeated when printed.
    assert wb.worksheets[2].freeze_panes == "A2"
    assert wb.worksheets[2].print_title_rows.replace("$", "") == "1:1"
    text = " ".join(str(c) for row in overview + recs + items for c in row if c is not None)
    if lang == "en":
        assert any(isinstance(c, date) for row in items for c in row)  # real dates
    check_text(history, text, lang)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_docx(history, lang):
    import docx

    d = docx.Document(io.BytesIO(export(history, "docx", lang)))
    parts = [p.text for p in d.paragraphs]
    status_rows = None
    for table in d.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        parts += [c for row in rows for c in row]
        if [r[0] for r in rows[1:8]] == status_labels(lang):
            status_rows = rows
    assert status_rows is not None
    assert [int(r[1]) for r in status_rows[1:8]] == expected_counts(history)
    text = "\n".join(parts)
    check_text(history, text, lang)
    assert IN_YEAR_NARRATIVE in text
    body = d.element.xml
    assert "w:tblHeader" in body and "<pic:pic" in body
    footer_xml = d.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_pdf(history, lang, pdftotext, tmp_path):
    data = export(history, "pdf", lang)
    assert data[:5] == b"%PDF-"
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    check_text(history, text, lang)
    # The status table: each status label followed by its count on the same line.
    for label, count in zip(status_labels(lang), expected_counts(history), strict=False):
        assert re.search(rf"^\s*{re.escape(label)}\s+{count}\s*$", text, re.M), (label, count)
    page_word = "頁" if lang == "zh-TW" else "Page"
    assert page_word in text
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 5
    assert reader.metadata.title


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_csv(history, lang):
    data = export(history, "csv", lang)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = rows[1:]
    summary = progress.build_summary(AS_OF, [history.report.id], year=2017, with_items=True)
    assert len(body) == len(summary.items)  # one row per action item
    status_col = rows[0].index("辦理狀態" if lang == "zh-TW" else "Status")
    with force_locale(LOCALES[lang]):
        by_label = {labels.label(s): s for s in Status}
    counted = {s: 0 for s in Status}
    for row in body:
        counted[by_label[row[status_col]]] += 1
    assert [counted[s] for s in STATUS_ORDER] == expected_counts(history)
    cells = [c for row in body for c in row]
    assert "'" + HOSTILE_TITLE in cells and "'" + HOSTILE_REASON in cells and "'" + HOSTILE_DEPT in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert {row[1] for row in body} == set(rec_codes(history))
    text = "\n".join(",".join(r) for r in rows)
    assert LATE_NARRATIVE.split()[0] not in text and IN_YEAR_NARRATIVE in text
    assert UNAPPROVED_NARRATIVE in text
    if lang == "zh-TW":
        assert "106年6月30日" in text
    else:
        assert "2017-06-30" in text and "106年" not in text


def test_same_numbers_as_the_summary_api(history, client, login, factory):
    login(factory.user("viewer"))
    resp = client.get(f"/api/v1/summary?as_of={AS_OF.isoformat()}&report={history.report.id}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    api_counts = resp.get_json()["status_counts"]
    doc = build_document(2017, AS_OF, "en", [history.report.id])
    assert {s.value: doc.status_counts[s] for s in Status} == api_counts


# --- LibreOffice opens what we write -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["odt", "ods", "docx", "xlsx"])
def test_libreoffice_opens_each_office_file(history, fmt, soffice, tmp_path):
    src = tmp_path / f"summary.{fmt}"
    src.write_bytes(export(history, fmt, "zh-TW"))
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = out / "summary.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000, proc.stdout + proc.stderr
