"""The daily loop in a real browser, per role (issue 13, items 1–3): every role lands on its
work with the count it acts on; a department replaces and withdraws the report waiting for
review; a reviewer who returns a report without a comment gets the error at that card with
the focus in the comment box; the department's correction starts from the returned report
(its data date, not today)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.factories import Factory
from tracker.extensions import db
from tracker.models import ActionItem, StatusUpdate
from tracker.services import updates

RETURN_COMMENT = "請補充108年度量測來源"


@pytest.fixture
def world(live_server):
    """One of the seeded items, its lead department's editor, a reviewer, a viewer, an
    administrator, and a report of 107/12/31 waiting for review."""
    with live_server.app.app_context():
        f = Factory(db.session)
        item = db.session.scalars(db.select(ActionItem).order_by(ActionItem.id)).first()
        users = {
            "editor": f.user("editor", item.lead_department, email="loop.editor@example.org", name="水利 承辦"),
            "reviewer": f.user("reviewer", email="loop.reviewer@example.org", name="研考 審核"),
            "viewer": f.user("viewer", email="loop.viewer@example.org", name="閱覽者"),
            "admin": f.user("admin", email="loop.admin@example.org", name="管理者"),
        }
        db.session.commit()
        su = updates.submit_update(
            item,
            users["editor"],
            status="in_progress",
            progress=40,
            effective_date="2018-12-31",
            narrative="107年度：完成規劃設計。",
            based_on_version=item.version,
        )
        db.session.commit()
        data = {"item": item.id, "code": item.code, "pending": su.id, **{role: u.email for role, u in users.items()}}
        db.session.remove()
    return data


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


@pytest.mark.parametrize(
    "role,landing",
    [("reviewer", "/review/"), ("admin", "/review/"), ("editor", "/my-department/"), ("viewer", "/dashboard/")],
)
def test_every_role_lands_on_its_work(page, live_server, world, sign_in, role, landing):
    sign_in(page, live_server, world[role])
    assert _path(page) == landing
    page.goto(live_server("/"))
    assert _path(page) == landing
    counts = page.locator("nav.main-nav .nav-count")
    if role in ("reviewer", "admin"):
        assert counts.count() == 1 and counts.first.get_attribute("data-count") == "1"
        assert page.locator(f"#update-{world['pending']}").is_visible()
    else:
        assert counts.count() == 0
    if role == "editor":
        due = page.locator("#due-this-period")
        assert due.is_visible() and "本期應提報" in due.inner_text()


def test_department_replaces_then_withdraws_its_waiting_report(page, live_server, world, sign_in):
    sign_in(page, live_server, world["editor"])
    page.goto(live_server(f"/items/{world['item']}/history"))
    card = page.locator(f"#update-{world['pending']}")
    card.get_by_role("link", name=re.compile("以新提報取代此筆")).click()
    page.wait_for_url(re.compile(r"/updates/new"))
    assert page.locator("#replaces-box").is_visible()
    page.fill("#narrative", "107年度：完成規劃設計及用地取得。")
    page.fill("#progress", "45")
    page.get_by_role("button", name="送出審核").click()
    page.wait_for_load_state()
    assert "/history" in page.url, page.locator("main").inner_text()[:1500]
    old = page.locator(f"#update-{world['pending']}")
    assert old.get_attribute("data-state") == "replaced"
    assert "取代" in old.inner_text()
    with live_server.app.app_context():
        new_id = updates.live_pending(world["item"]).id
        db.session.remove()
    assert new_id != world["pending"]
    new = page.locator(f"#update-{new_id}")
    new.locator("summary").click()
    new.locator("textarea[name=reason]").fill("數據尚待確認，下期再報")
    new.get_by_role("button", name=re.compile("撤回第")).click()
    page.wait_for_load_state()
    assert page.locator(f"#update-{new_id}").get_attribute("data-state") == "withdrawn"
    assert "已撤回" in page.locator(".flashes").inner_text()
    # The reviewer no longer sees anything to review.
    with live_server.app.app_context():
        assert updates.live_pending(world["item"]) is None
        db.session.remove()


def test_return_without_comment_keeps_focus_at_the_card_and_the_correction_keeps_the_date(
    browser, page, live_server, world, sign_in
):
    sign_in(page, live_server, world["reviewer"])
    uid = world["pending"]
    card = page.locator(f"#update-{uid}")
    card.locator("button[formaction*='/return']").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#update-{uid}")
    error = page.locator(f"#u{uid}-comment-error")
    assert error.is_visible()
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == f"u{uid}-comment"
    assert page.evaluate(f"() => document.getElementById('update-{uid}').getBoundingClientRect().top") < 900
    page.fill(f"#u{uid}-comment", RETURN_COMMENT)
    page.locator(f"#update-{uid} button[formaction*='/return']").click()
    page.wait_for_load_state()
    assert page.locator(f"#update-{uid}").count() == 0

    editor = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900}).new_page()
    try:
        sign_in(editor, live_server, world["editor"])
        assert _path(editor) == "/my-department/"
        returned = editor.locator(f"#returned-{uid}")
        assert RETURN_COMMENT in returned.inner_text()
        assert editor.locator("nav.main-nav .nav-count").get_attribute("data-count") == "1"
        returned.get_by_role("link", name=re.compile("修正後重新提報")).click()
        editor.wait_for_url(re.compile(r"corrects="))
        value = editor.input_value("#effective_date")
        assert value in ("2018-12-31", "107/12/31", "107年12月31日"), value
        assert editor.input_value("#narrative") == "107年度：完成規劃設計。"
        assert editor.input_value("#progress") == "40"
        editor.get_by_role("button", name="送出審核").click()
        editor.wait_for_load_state()
        assert "/history" in editor.url, editor.locator("main").inner_text()[:1500]
        with live_server.app.app_context():
            fix = db.session.scalar(db.select(StatusUpdate).where(StatusUpdate.corrects_id == uid))
            assert fix is not None and fix.effective_date == date(2018, 12, 31)
            db.session.remove()
    finally:
        editor.context.close()
