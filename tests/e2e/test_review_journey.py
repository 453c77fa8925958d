"""The review loop in a real browser: a reviewer approves one update and returns another
with a comment; the department's editor sees the comment on "my department"; the
dashboard numbers change. Every page visited passes axe-core's WCAG 2.0/2.1 A and AA rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import DEFAULT_PASSWORD, Factory
from tracker.extensions import db
from tracker.models import ActionItem, Report, Status
from tracker.services.review import today

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COMMENT = "請補充佐證照片與驗收紀錄"


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def assert_accessible(axe, page) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def sign_in(page, live_server, email: str) -> None:
    page.goto(live_server("/login"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.locator("main").inner_text()


@pytest.fixture
def world(live_server):
    """A reviewer, an editor of an item's lead department and two submitted updates."""
    with live_server.app.app_context():
        f = Factory(db.session)
        report = db.session.scalar(db.select(Report).where(Report.code == "israel-2016"))
        items = db.session.scalars(db.select(ActionItem).order_by(ActionItem.id)).all()
        first = items[0]
        second = next(i for i in items[1:] if i.lead_department_id == first.lead_department_id)
        reviewer = f.user("reviewer", email="reviewer.e2e@example.org", name="研考會 審核員")
        editor = f.user("editor", first.lead_department, email="editor.e2e@example.org", name="局處 承辦人")
        when = today() - timedelta(days=3)
        approve = f.update(
            first,
            status=Status.IN_PROGRESS,
            progress=60,
            effective=when,
            by=editor,
            narrative="第一期工程已完工，進入第二期規劃。",
        )
        ret = f.update(
            second, status=Status.PLANNING, progress=15, effective=when, by=editor, narrative="完成初步規劃。"
        )
        db.session.commit()
        data = {
            "report": report.id,
            "approve": approve.id,
            "return": ret.id,
            "first": first.code,
            "second": second.code,
            "reviewer": reviewer.email,
            "editor": editor.email,
        }
        db.session.remove()
    return data


def dashboard_numbers(page) -> dict:
    stats = {}
    for key in ("overall", "pending", "items"):
        stats[key] = page.locator(f'[data-stat="{key}"]').get_attribute("data-value")
    return stats


def test_reviewer_approves_one_returns_one_and_the_department_sees_the_comment(page, browser, live_server, world, axe):
    sign_in(page, live_server, world["reviewer"])

    # Dashboard before: two updates pending.
    page.goto(live_server(f"/dashboard/?report={world['report']}"))
    assert_accessible(axe, page)
    before = dashboard_numbers(page)
    assert int(before["pending"]) == 2

    # The review queue shows both, each against the official state.
    page.goto(live_server("/review/"))
    assert_accessible(axe, page)
    card_a = page.locator(f"#update-{world['approve']}")
    card_r = page.locator(f"#update-{world['return']}")
    assert "第一期工程已完工" in card_a.inner_text()
    assert card_a.locator("[data-after]").inner_text().strip() == "60%"

    # Approve the first.
    card_a.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".flash, [role=status]").first.is_visible()
    assert page.locator(f"#update-{world['approve']}").count() == 0

    # Returning without a comment is refused next to the field; then with the comment.
    card_r = page.locator(f"#update-{world['return']}")
    card_r.locator("button[formaction*='/return']").click()
    page.wait_for_load_state()
    err = page.locator(f"#u{world['return']}-comment-error")
    assert err.is_visible()
    assert_accessible(axe, page)
    page.fill(f"#u{world['return']}-comment", COMMENT)
    page.locator(f"#update-{world['return']} button[formaction*='/return']").click()
    page.wait_for_load_state()
    assert page.locator(f"#update-{world['return']}").count() == 0
    assert_accessible(axe, page)  # the empty queue

    # Dashboard after: nothing pending, overall progress moved by the approval.
    page.goto(live_server(f"/dashboard/?report={world['report']}"))
    after = dashboard_numbers(page)
    assert int(after["pending"]) == 0 and after["items"] == before["items"]
    assert float(after["overall"] or 0) > float(before["overall"] or 0)
    # ... and as of yesterday the numbers are still those of before the reviews.
    yesterday = (today() - timedelta(days=1)).isoformat()
    # (as printed yesterday: data date and knowledge date both yesterday, docs/domain.md "Two dates")
    page.goto(live_server(f"/dashboard/?report={world['report']}&as_of={yesterday}&known_at={yesterday}"))
    assert dashboard_numbers(page) == before
    assert_accessible(axe, page)
    # A bad date is explained on the page.
    page.goto(live_server("/dashboard/?as_of=2017-02-30"))
    assert page.locator("[role=alert]").is_visible()
    assert_accessible(axe, page)

    # Since last review, benchmark comparison and a tracking decision form.
    page.goto(live_server("/review/changes"))
    assert COMMENT in page.locator("main").inner_text()
    assert_accessible(axe, page)
    page.goto(live_server(f"/dashboard/?report={world['report']}"))
    page.locator("#rec-table a[href*='/benchmark']").first.click()
    page.wait_for_url(re.compile(r"/benchmark"))
    assert "/benchmark" in page.url and page.locator("#indicator-table, .empty-state").count() >= 1
    assert_accessible(axe, page)
    page.goto(live_server("/review/"))
    assert_accessible(axe, page)

    # The department's editor sees the returned update and its comment on "my department".
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    try:
        editor_page = context.new_page()
        sign_in(editor_page, live_server, world["editor"])
        editor_page.goto(live_server("/my-department/"))
        assert COMMENT in editor_page.locator("main").inner_text()
        assert_accessible(axe, editor_page)
    finally:
        context.close()


def test_reviewer_records_a_tracking_decision_and_an_adoption(page, live_server, world, axe):
    sign_in(page, live_server, world["reviewer"])
    with live_server.app.app_context():
        item = db.session.scalar(db.select(ActionItem).where(ActionItem.code == world["first"]))
        item_id, rec_id = item.id, item.recommendation_id
        db.session.remove()

    # Release is refused for an item that is not completed, ongoing or not feasible.
    page.goto(live_server(f"/review/items/{item_id}/decision"))
    assert_accessible(axe, page)
    page.locator("input[name=decision][value=release]").check()
    page.fill("#reason", "已完成")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#decision-error").is_visible()
    assert_accessible(axe, page)
    page.locator("input[name=decision][value=continue]").check()
    page.fill("#reason", "持續列管，下期檢視")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/review/items" not in page.url
    assert "持續列管，下期檢視" in page.locator("main").inner_text()

    page.goto(live_server(f"/review/recommendations/{rec_id}/adoption"))
    assert_accessible(axe, page)
    page.locator("input[name=decision][value=adopted]").check()
    page.fill("#decided_by", "市長")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "市長" in page.locator("#adoption-history").inner_text()
    assert_accessible(axe, page)
