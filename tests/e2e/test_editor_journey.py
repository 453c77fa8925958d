"""An editor's journey in a real browser: sign in, find an item on "my department",
submit an update with a PDF and a measurement (after fixing a refused first attempt),
and see it pending review in the item's timeline. axe-core checks every page visited."""

from __future__ import annotations

import re

import pytest

from tests.factories import Factory
from tests.update_world import tiny_pdf
from tracker.extensions import db
from tracker.models import ActionItem, Attachment, Measurement, StatusUpdate, action_item_indicator


@pytest.fixture
def journey(live_server):
    """An editor of the lead department of a seeded item that has an indicator."""
    with live_server.app.app_context():
        item = db.session.scalar(
            db.select(ActionItem)
            .join(action_item_indicator, action_item_indicator.c.action_item_id == ActionItem.id)
            .order_by(ActionItem.id)
            .limit(1)
        )
        assert item is not None, "the seed should link at least one item to an indicator"
        editor = Factory(db.session).user(
            "editor", item.lead_department, email="journey.editor@example.org", name="承辦人 王小明"
        )
        db.session.commit()
        data = {
            "item_id": item.id,
            "code": item.code,
            "email": editor.email,
            "indicator": item.indicators[0].id,
            "dept": item.lead_department.name_zh,
        }
        db.session.remove()
    return data


def test_editor_submits_an_update_with_evidence_and_a_measurement(page, live_server, journey, axe, sign_in, tmp_path):
    pdf = tmp_path / "驗收紀錄.pdf"
    pdf.write_bytes(tiny_pdf("驗收紀錄"))

    page.goto(live_server("/login"))
    axe.check(page, "login page")
    sign_in(page, live_server, journey["email"])

    # Editors land on their department's page.
    assert page.url.endswith("/my-department/")
    assert journey["dept"] in page.locator("h1").inner_text()
    axe.check(page, "my department")
    row = page.locator(f'tr[data-item="{journey["code"]}"]')
    assert row.count() == 1
    row.locator(f'a[href="/items/{journey["item_id"]}/updates/new"]').click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/items/{journey['item_id']}/updates/new")
    axe.check(page, "update form")

    # First attempt: completed without 100 % and without a narrative is refused next to the fields.
    page.select_option("#status", "completed")
    page.fill("#progress", "80")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#progress-error").is_visible()
    assert page.locator("#narrative-error").is_visible()
    assert page.locator("#progress").get_attribute("aria-invalid") == "true"
    assert "progress-error" in (page.locator("#progress").get_attribute("aria-describedby") or "")
    axe.check(page, "update form with errors")

    # Second attempt: a proper update with a PDF and a measurement.
    page.select_option("#status", "in_progress")
    page.fill("#progress", "45")
    page.fill("#narrative", "完成第一期設置，第二期進行招標。")
    page.set_input_files("#files", str(pdf))
    page.fill("#measurements-0-value", "12.5")
    page.fill("#measurements-0-measured_on", "2018-06-30")
    page.fill("#measurements-0-source_note", "年度統計")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()

    assert re.search(rf"/items/{journey['item_id']}/history#update-\d+$", page.url), page.url
    entry = page.locator('li[data-state="submitted"]').first
    assert entry.is_visible()
    text = entry.inner_text()
    assert "45%" in text and "完成第一期設置" in text and "驗收紀錄.pdf" in text and "12.5" in text
    assert page.locator(".alert-success, [role=status]").first.is_visible()
    axe.check(page, "item history")

    with live_server.app.app_context():
        su = db.session.scalar(db.select(StatusUpdate).order_by(StatusUpdate.id.desc()))
        assert (su.progress, su.review) == (45, None)
        assert (
            db.session.scalar(db.select(Attachment).where(Attachment.update_id == su.id)).original_name
            == "驗收紀錄.pdf"
        )
        m = db.session.scalar(db.select(Measurement).where(Measurement.update_id == su.id))
        assert float(m.value) == 12.5 and m.indicator_id == journey["indicator"]
        db.session.remove()

    # The attachment downloads as a file.
    with page.expect_download() as info:
        page.locator("a[download]", has_text="驗收紀錄.pdf").first.click()
    assert info.value.suggested_filename == "驗收紀錄.pdf"

    # Back on "my department" the item shows the pending update.
    page.goto(live_server("/my-department/?flag=pending"))
    assert page.locator(f'tr[data-item="{journey["code"]}"] .pending').count() == 1
    axe.check(page, "my department, pending filter")
