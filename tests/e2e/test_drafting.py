"""An administrator drafts a report from a DOCX in a real browser: uploads it, sees each
extracted recommendation beside the document's own text, fixes one, confirms, and finds the
new report. The DOCX is made up for the test (tests/drafting_docs.py, test data)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import drafting_docs as docs
from tests.factories import Factory
from tracker.extensions import db
from tracker.models import Report, ReportDraft


@pytest.fixture
def admin_email(live_server):
    with live_server.app.app_context():
        admin = Factory(db.session).user("admin", email="drafting.admin@example.org", name="管理者")
        db.session.commit()
        email = admin.email
        db.session.remove()
    return email


def test_admin_drafts_a_report_from_a_docx_fixes_one_recommendation_and_confirms(
    page, live_server, admin_email, axe, sign_in, tmp_path
):
    upload = tmp_path / "新加坡智慧交通考察報告.docx"
    upload.write_bytes(docs.as_docx(docs.LAYOUT_B))
    sign_in(page, live_server, admin_email)

    page.goto(live_server("/admin/"))
    page.locator("a[href='/admin/drafts/']").click()
    page.wait_for_load_state()
    axe.check(page, "drafts page")
    page.set_input_files("#file", str(upload))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/admin/drafts/" in page.url and page.url.rstrip("/").split("/")[-1].isdigit()

    # Three recommendations, each beside its source text.
    cards = page.locator("article.draft-rec")
    assert cards.count() == 3
    first = cards.nth(0)
    assert first.locator(".source-text").inner_text().startswith("1. 推動公車動態資訊整合")
    assert first.locator("#rec-0-section").input_value() == "三(二)1"
    axe.check(page, "draft review page")

    # Fix the second one's title and text, then save.
    second = page.locator("#rec-1")
    second.locator("#rec-1-title").fill("研議市中心尖峰時段停車差別費率")
    second.locator("#rec-1-text").fill("參考新加坡以價制量之作法，研議市中心尖峰時段停車差別費率，並評估對商圈之影響。")
    second.locator("button[value=save]").click()
    page.wait_for_load_state()
    assert page.locator("#rec-1-title").input_value() == "研議市中心尖峰時段停車差別費率"
    assert "停車差別費率" in page.locator("#rec-1 .source-text").inner_text()  # the source is unchanged

    page.fill("#confirm-code", "2019-singapore-e2e")
    page.fill("#confirm-title_en", "Smart traffic in Singapore")
    page.locator("#confirm button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/reports/" in page.url
    assert "赴新加坡考察智慧交通 出國報告書" in page.locator("main").inner_text()

    with live_server.app.app_context():
        report = db.session.scalar(select(Report).where(Report.code == "2019-singapore-e2e"))
        assert [r.section for r in report.recommendations] == ["三(二)1", "三(二)2", "三(二)3"]
        assert report.recommendations[1].text_zh.endswith("並評估對商圈之影響。")
        assert db.session.scalar(select(ReportDraft.status)) == "confirmed"
        db.session.remove()
