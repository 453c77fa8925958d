"""The portfolio in a real browser: an administrator downloads the import template, checks
a spreadsheet (dry run), imports it and finds the new report in the portfolio next to the
Israel report. The spreadsheet is made-up TEST DATA built here. Pages pass axe-core's
WCAG 2.0/2.1 A and AA rules."""

from __future__ import annotations

import io

import pytest

from tests.factories import Factory
from tracker.extensions import db

HEAD = [
    "Report",
    "Recommendation",
    "Code",
    "Action item",
    "Source section",
    "Lead department",
    "Due date",
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
ROW = [
    "e2e-test-2017",
    "R1",
    "R1-A1",
    "測試辦理事項（測試資料）",
    "三(一)",
    "water",
    "107/12/31",
    "瀏覽器測試報告（測試資料）",
    "Browser test report (test data)",
    "臺南市政府",
    "Tainan City Government",
    "測試國",
    "106/03/01",
    "106/03/05",
    "1060410",
    "三(一)",
    "測試建議",
    "測試建議內容",
]


def _xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(ROW)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def admin(live_server):
    with live_server.app.app_context():
        user = Factory(db.session).user("admin", email="admin.e2e@example.org", locale="en")
        db.session.commit()
        return user.email


def test_admin_imports_a_spreadsheet_and_sees_the_report_in_the_portfolio(
    page, live_server, admin, sign_in, axe, tmp_path
):
    sign_in(page, live_server, admin)
    page.goto(live_server("/portfolio/?lang=en"))
    assert page.locator("nav a[href='/portfolio/']").count() >= 1
    axe.check(page)
    assert page.locator("#portfolio tr[data-code='israel-2016']").count() == 1
    page.get_by_role("link", name="Import from a spreadsheet").click()
    page.wait_for_load_state()
    axe.check(page)
    with page.expect_download() as dl:
        page.locator("#template-xlsx").click()
    assert dl.value.suggested_filename == "report-import-template_en.xlsx"

    sheet = tmp_path / "e2e-import.xlsx"
    sheet.write_bytes(_xlsx())
    page.set_input_files("#file", str(sheet))
    page.check("#dry_run")
    page.locator("#import-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "would create 1 reports" in page.locator("#import-dry-run").inner_text().lower()
    page.goto(live_server("/portfolio/?lang=en"))
    assert page.locator("#portfolio tr[data-code='e2e-test-2017']").count() == 0  # a dry run writes nothing

    page.goto(live_server("/portfolio/import"))
    page.set_input_files("#file", str(sheet))
    page.locator("#import-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/portfolio/" in page.url
    row = page.locator("#portfolio tr[data-code='e2e-test-2017']")
    assert row.count() == 1
    assert "Browser test report (test data)" in row.inner_text()
    assert page.locator("#portfolio tr[data-code='israel-2016']").count() == 1
    axe.check(page)

    # A broken copy of the file is refused with its row and column; nothing changes.
    broken = tmp_path / "broken.csv"
    broken.write_text(
        ",".join(HEAD)
        + "\r\n"
        + ",".join(v if h != "Lead department" else "NOPE" for h, v in zip(HEAD, ROW, strict=False)).replace(
            "e2e-test-2017", "e2e-other"
        ),
        encoding="utf-8",
    )
    page.goto(live_server("/portfolio/import"))
    page.set_input_files("#file", str(broken))
    page.locator("#import-form button[type=submit]").click()
    page.wait_for_load_state()
    problems = page.locator("#problems").inner_text()
    assert "Lead department" in problems and "NOPE" in problems
