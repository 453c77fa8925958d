"""Importing reports from a spreadsheet (services/importer/, services/sheets.py, the
``import-report`` command and the upload page).

Every report, department and file here is made-up TEST DATA built by the test itself."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import sign_in
from tracker.extensions import db
from tracker.models import ActionItem, AuditLog, Recommendation, Report
from tracker.services import importer, sheets

HEAD_EN = [
    "Report",
    "Recommendation",
    "Code",
    "Action item",
    "Source section",
    "Lead department",
    "Supporting departments",
    "Start date",
    "Due date",
    "Budget (NT$)",
    "Budget source",
    "Weight",
    "Report title",
    "Report title (English)",
    "Agency",
    "Agency (English)",
    "Destination",
    "Trip start",
    "Trip end",
    "Filing date",
    "Recommendation section",
    "Recommendation title",
    "Recommendation text",
]


def _row(code="A1", rec="R1", report="test-import-2017", **kw) -> list[str]:
    values = {
        "Report": report,
        "Recommendation": rec,
        "Code": code,
        "Action item": f"測試事項 {code}（測試資料）",
        "Source section": "三(一)",
        "Lead department": "TWB",
        "Supporting departments": "TAB",
        "Start date": "106/01/01",
        "Due date": "106.12.31",
        "Budget (NT$)": "1,000,000",
        "Budget source": "city",
        "Weight": "1",
        "Report title": "測試匯入報告（測試資料）",
        "Report title (English)": "Test import report (test data)",
        "Agency": "臺南市政府測試局",
        "Agency (English)": "Test Bureau",
        "Destination": "測試國",
        "Trip start": "1051101",
        "Trip end": "105/11/05",
        "Filing date": "105年12月20日",
        "Recommendation section": "三(一)",
        "Recommendation title": "測試建議",
        "Recommendation text": "測試建議內容",
    }
    values.update(kw)
    return [values[h] for h in HEAD_EN]


def _csv(rows, head=HEAD_EN, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(head)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows, head=HEAD_EN) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ods(rows, head=HEAD_EN) -> bytes:
    from odfdo import Document, Table

    doc = Document("spreadsheet")
    doc.body.clear()
    table = Table("import")
    table.set_values([head] + rows)
    doc.body.append(table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def english(app):
    """Messages are checked in English (the services run outside a request here)."""
    with force_locale("en"):
        yield


@pytest.fixture
def depts(factory):
    twb = factory.department("TWB", name_zh="測試水利局", name_en="Test Water Bureau")
    tab = factory.department("TAB", name_zh="測試農業局", name_en="Test Agriculture Bureau")
    admin = factory.user("admin", email="admin@example.org")
    db.session.commit()
    return twb, tab, admin


def _counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
        for m in (Report, Recommendation, ActionItem, AuditLog)
    )


def test_csv_with_bom_creates_the_report_and_reimporting_changes_nothing(app, depts):
    data = _csv([_row("A1"), _row("A2", **{"Supporting departments": ""}), _row("A1", rec="R2")])
    result = importer.import_file("test.csv", data, depts[2])
    assert result.ok, [str(p) for p in result.problems]
    db.session.commit()
    assert result.created == {"reports": 1, "recommendations": 2, "items": 3}
    report = db.session.scalar(select(Report).where(Report.code == "test-import-2017"))
    assert (report.trip_start, report.trip_end, report.report_date) == (
        date(2016, 11, 1),
        date(2016, 11, 5),
        date(2016, 12, 20),
    )
    item = db.session.scalar(select(ActionItem).where(ActionItem.code == "A1").order_by(ActionItem.id))
    assert item.due_date == date(2017, 12, 31) and item.budget_amount == 1000000
    assert [d.code for d in item.supporting_departments] == ["TAB"] and item.lead_department.code == "TWB"
    before = _counts()
    again = importer.import_file("test.csv", data, depts[2])
    assert again.ok and again.created == {"reports": 0, "recommendations": 0, "items": 0}
    assert again.unchanged["items"] == 3
    db.session.commit()
    assert _counts()[:3] == before[:3]


def test_csv_without_bom_xlsx_and_ods_read_alike(app, depts):
    for name, data in (
        ("a.csv", _csv([_row(report="no-bom")], encoding="utf-8")),
        ("b.xlsx", _xlsx([_row(report="from-xlsx")])),
        ("c.ods", _ods([_row(report="from-ods")])),
    ):
        result = importer.import_file(name, data, depts[2])
        assert result.ok, (name, [str(p) for p in result.problems])
        db.session.commit()
    codes = set(db.session.scalars(select(Report.code)))
    assert codes == {"no-bom", "from-xlsx", "from-ods"}
    for code in codes:
        rep = db.session.scalar(select(Report).where(Report.code == code))
        assert rep.report_date == date(2016, 12, 20)


def test_xlsx_date_cells_are_dates(app, depts):
    row = _row()
    row[HEAD_EN.index("Due date")] = date(2018, 6, 30)
    assert importer.import_file("d.xlsx", _xlsx([row]), depts[2]).ok
    db.session.commit()
    assert db.session.scalar(select(ActionItem.due_date)) == date(2018, 6, 30)


def test_big5_is_converted_and_said_so(app, depts):
    result = importer.import_file("big5.csv", _csv([_row()], encoding="cp950"), depts[2])
    assert result.ok and any("Big5" in n for n in result.notes)
    db.session.commit()
    assert db.session.scalar(select(Report.title_zh)) == "測試匯入報告（測試資料）"


def test_neither_utf8_nor_big5_is_refused(app, depts):
    result = importer.import_file("x.csv", b"Report,Code\r\n\x80\x80,\xff\r\n", depts[2])
    assert not result.ok and "neither UTF-8 nor Big5" in result.problems[0].reason


def test_every_problem_is_listed_and_nothing_is_written(app, depts):
    rows = [
        _row("A1", **{"Lead department": "NOPE"}),  # unknown department
        _row("A2", **{"Due date": "106/13/45"}),  # not a date
        _row("A3", **{"Weight": "heavy"}),  # wrong type
        _row("A3"),  # duplicate key (row 5 repeats row 4's key)
        _row("A5", **{"Budget source": "lottery"}),  # unknown choice
        _row("bad code!"),  # key not a code
    ]
    before = _counts()
    result = importer.import_file("bad.csv", _csv(rows), depts[2])
    assert not result.ok
    found = {(p.row, p.column) for p in result.problems}
    assert (2, "Lead department") in found
    assert (3, "Due date") in found
    assert (4, "Weight") in found
    assert (5, "Code") in found
    assert (6, "Budget source") in found
    assert (7, "Code") in found
    dup = next(p for p in result.problems if p.row == 5)
    assert "row 4" in dup.reason
    assert _counts() == before


def test_wrong_and_missing_columns(app, depts):
    head = [h if h != "Due date" else "Deadline" for h in HEAD_EN if h != "Lead department"]
    rows = [[v for h, v in zip(HEAD_EN, _row(), strict=False) if h != "Lead department"]]
    with force_locale("en"):
        result = importer.import_file("cols.csv", _csv(rows, head=head), depts[2])
        reasons = {(p.column, p.reason) for p in result.problems}
    assert ("Deadline", "Unknown column: use the headings of the template.") in reasons
    assert ("Lead department", "This required column is missing.") in reasons
    assert all(p.row == 1 for p in result.problems)


def test_chinese_headings_are_accepted(app, depts):
    head = importer.headings("zh_TW")
    by_key = dict(zip([c.key for c in importer.COLUMNS], head, strict=False))
    en = dict(zip(HEAD_EN, _row(), strict=False))
    with force_locale("en"):
        key_of = {str(c.label): c.key for c in importer.COLUMNS}
    row = {by_key[key_of[h]]: v for h, v in en.items()}
    result = importer.import_file("zh.csv", _csv([[row.get(h, "") for h in head]], head=head), depts[2])
    assert result.ok, [str(p) for p in result.problems]


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("big.csv", b"Report\r\n" + b"x" * (sheets.MAX_BYTES + 10), "at most"),
        ("book.csv", None, "content is XLSX"),
        ("sheet.xlsx", b"Report,Code\r\n", "content is CSV"),
        ("old.xlsx", sheets.OLE2_MAGIC + b"\x00" * 600, "password-protected"),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "content is binary"),
        ("notes.txt", b"Report\r\n", "not a CSV, XLSX or ODS"),
        ("empty.csv", b"", "empty"),
        ("zip.ods", b"PK\x03\x04garbage", "content is binary"),
    ],
)
def test_files_that_are_not_what_they_say(app, depts, name, data, reason):
    if data is None:
        data = _xlsx([_row()])
    before = _counts()
    result = importer.import_file(name, data, depts[2])
    assert not result.ok and reason in result.problems[0].reason, result.problems
    assert _counts() == before


def test_existing_report_with_other_values_is_refused(app, depts):
    assert importer.import_file("a.csv", _csv([_row()]), depts[2]).ok
    db.session.commit()
    result = importer.import_file("a.csv", _csv([_row(**{"Trip end": "105/11/06"})]), depts[2])
    assert not result.ok and result.problems[0].column == "Trip end"


def test_dry_run_writes_nothing(app, depts):
    before = _counts()
    result = importer.import_file("a.csv", _csv([_row()]), depts[2], dry_run=True)
    assert result.ok and result.created["items"] == 1
    db.session.commit()
    assert _counts() == before


# --- hostile cells (Hypothesis) -------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_hostile_cells_never_break_the_parser(app, text):
    """Any text in a cell: the reader either gives the cell back (trimmed, apostrophe before a
    formula removed) or the import names the problem; it never raises."""
    data = _csv([["r", "c", "x", text]], head=["Report", "Recommendation", "Code", "Action item"])
    try:
        sheet = sheets.read_sheet("h.csv", data)
    except sheets.SheetRefused:
        return
    assert sheet.header == ["Report", "Recommendation", "Code", "Action item"]
    problem = sheets.cell_problem(sheets.cell_text(text))
    assert problem is None or isinstance(problem, str)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=40), due=st.text(max_size=12), weight=st.text(max_size=8))
def test_hostile_rows_are_imported_exactly_or_refused(app, depts, title, due, weight):
    data = _csv([_row(report="hyp-report", **{"Action item": title, "Due date": due, "Weight": weight})])
    before = _counts()
    result = importer.import_file("h.csv", data, depts[2], dry_run=True)
    assert _counts() == before  # a dry run never writes
    if result.ok:
        assert result.created["items"] == 1
    else:
        assert all(p.reason for p in result.problems)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("106/12/31", date(2017, 12, 31)),
        ("106.12.31", date(2017, 12, 31)),
        ("1061231", date(2017, 12, 31)),
        ("民國106年12月31日", date(2017, 12, 31)),
        ("2017-12-31", date(2017, 12, 31)),
        ("１０６/１２/３１", date(2017, 12, 31)),
    ],
)
def test_roc_dates_in_cells(app, depts, text, expected):
    result = importer.import_file("d.csv", _csv([_row(**{"Due date": text})]), depts[2])
    assert result.ok, result.problems
    assert db.session.scalar(select(ActionItem.due_date)) == expected


def test_apostrophe_before_a_formula_is_removed_and_formula_text_stays_text(app, depts):
    result = importer.import_file("f.csv", _csv([_row(**{"Action item": "'=1+1 測試"})]), depts[2])
    assert result.ok
    assert db.session.scalar(select(ActionItem.title_zh)) == "=1+1 測試"


# --- command line, page, template ----------------------------------------------------------------


def test_command_line(app, depts, tmp_path, runner):
    path = tmp_path / "import.csv"
    path.write_bytes(_csv([_row()]))
    dry = runner.invoke(args=["import-report", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Would create 1 report(s)" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0
    done = runner.invoke(args=["import-report", str(path)])
    assert done.exit_code == 0, done.output
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1
    again = runner.invoke(args=["import-report", str(path)])
    assert "Created 0 report(s)" in again.output and "unchanged: 1 report(s)" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([_row(**{"Lead department": "NOPE"})]))
    refused = runner.invoke(args=["import-report", str(bad)])
    assert refused.exit_code == 1 and "NOPE" in refused.output and "2" in refused.output


def test_upload_page_for_every_role(client, app, factory, depts):
    editor = factory.user("editor", depts[0])
    others = [editor, factory.user("reviewer"), factory.user("viewer")]
    db.session.commit()
    for user in others:
        sign_in(client, user)
        assert client.get("/portfolio/import").status_code == 403
        assert client.post("/portfolio/import", data={}).status_code == 403
        assert client.get("/portfolio/import/template.xlsx").status_code == 403
    sign_in(client, depts[2])
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    assert client.get("/portfolio/import").status_code == 200
    bad = client.post(
        "/portfolio/import",
        data={"file": (io.BytesIO(_csv([_row(**{"Due date": "nope"})])), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "Due date" in bad.get_data(as_text=True)
    dry = client.post(
        "/portfolio/import",
        data={"file": (io.BytesIO(_xlsx([_row()])), "good.xlsx"), "dry_run": "1"},
        content_type="multipart/form-data",
    )
    assert dry.status_code == 200 and "would create 1 reports" in dry.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0
    ok = client.post(
        "/portfolio/import",
        data={"file": (io.BytesIO(_xlsx([_row()])), "good.xlsx")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert "test-import-2017" in client.get("/portfolio/?state=all").get_data(as_text=True)
    assert client.post("/portfolio/import", data={}, content_type="multipart/form-data").status_code == 422


def test_template_has_the_csv_export_columns_and_imports_cleanly(client, app, depts):
    from openpyxl import load_workbook

    from tracker.exports import render_summary, resolve_options

    sign_in(client, depts[2])
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    resp = client.get("/portfolio/import/template.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    head = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    # Import a report, export the annual summary as CSV: its header opens the template.
    assert importer.import_file("a.csv", _csv([_row()]), depts[2]).ok
    db.session.commit()
    with app.test_request_context():
        opts = resolve_options(year=2017, as_of=None, fmt="csv", lang="en", report=None, today=date.today())
        exported = render_summary(opts).decode("utf-8-sig")
    export_head = next(csv.reader(io.StringIO(exported)))
    assert head[: len(export_head)] == export_head
    # The exported CSV itself re-imports without changing anything (same keys, same values).
    again = importer.import_file("export.csv", exported.encode("utf-8-sig"), depts[2])
    assert again.ok, [str(p) for p in again.problems]
    assert again.created["items"] == 0 and again.unchanged["items"] == 1
    csv_template = client.get("/portfolio/import/template.csv")
    assert csv_template.data.startswith(b"\xef\xbb\xbf")


def test_imported_report_follows_the_reporting_cycle(client, app, factory, depts):
    assert importer.import_file("a.csv", _csv([_row()]), depts[2]).ok
    db.session.commit()
    viewer = factory.user("viewer")
    db.session.commit()
    sign_in(client, viewer)
    report = db.session.scalar(select(Report))
    item = db.session.scalar(select(ActionItem))
    # Filed 2016-12-20: the first tracked period is 2017 H1.
    periods = client.get("/periods/?period=2017-06-30&department=TWB").get_data(as_text=True)
    assert item.code in periods
    assert client.get(f"/dashboard/?report={report.code}").status_code == 200
    assert f'data-code="{report.code}"' in client.get("/portfolio/").get_data(as_text=True)


def test_import_names_recommendations_that_repeat_another_report(app, depts):
    """Test data: a first report's recommendation, then a second report recommending the same
    thing in the same words; the second import says so (and still imports: the admin decides)."""
    text = "推動再生水回收再利用於工業區與農業灌溉，建立水資源循環利用示範區（測試資料）"
    first = importer.import_file("first.csv", _csv([_row(**{"Recommendation text": text})]), depts[2])
    assert first.ok
    db.session.commit()
    second = importer.import_file(
        "second.csv",
        _csv(
            [
                _row(
                    report="test-import-2019",
                    **{"Recommendation text": text, "Report title": "第二份測試報告（測試資料）"},
                )
            ]
        ),
        depts[2],
        dry_run=True,
    )
    assert second.ok
    notes = " ".join(str(n) for n in second.notes)
    assert "test-import-2017" in notes and "R1" in notes, notes
