"""One journey per role, end to end in a real browser, in zh-TW and in English.

* editor: from "my department", submits an update with a file, a link and a measurement
  (after a refused first attempt), then revises and resubmits an update a reviewer returned;
* reviewer: from the review queue, approves one update, returns another with a comment
  (after being told the comment is needed) and records a tracking decision;
* viewer: reads the dashboard as of a past date, checks it against the summary API and
  opens a benchmark chart with its data table;
* admin: creates a user and a department and edits an action item;
* reviewer, viewer and admin each download the annual summary from its page (ODT, CSV,
  ODS) and the file is read back with a real reader.

Every page the journeys reach, error states included, passes axe-core (WCAG 2.0/2.1 A
and AA). All runs share one demo site; each journey works on items it creates itself,
so the runs do not depend on each other's order.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from tests.e2e.support import EDITOR, HTML_LANG, LANGS, demo_site, html_lang, main_text, new_context, sign_in
from tests.update_world import tiny_pdf

YEAR = 2017
AS_OF = "2017-12-31"
# What the page shows for a date in each language (民國 in zh-TW, ISO in English).
SHOWN_DATE = {"zh-TW": "106年12月31日", "en": "2017-12-31"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("journeys")) as s:
        yield s


@pytest.fixture
def browser_page(browser, request):
    """A page in a fresh context in the language of the test's ``lang`` parameter."""
    lang = request.node.callspec.params.get("lang", "zh-TW")
    context = new_context(browser, lang)
    page = context.new_page()
    yield page
    context.close()


def nav_to(page, endpoint_path: str) -> None:  # noqa: ANN001
    """Follow the main navigation's link to ``endpoint_path`` (the nav must offer it)."""
    link = page.locator(f"nav.main-nav a[href='{endpoint_path}']")
    assert link.count() == 1, (
        f"the main navigation has no link to {endpoint_path}: "
        f"{page.locator('nav.main-nav').inner_text() if page.locator('nav.main-nav').count() else 'no nav'}"
    )
    link.click()
    page.wait_for_load_state()


def url_of(site, endpoint: str, **values) -> str:  # noqa: ANN001
    from flask import url_for

    if endpoint not in site.app.view_functions:
        pytest.fail(f"the page {endpoint} does not exist yet", pytrace=False)
    with site.app.test_request_context():
        return url_for(endpoint, **values)


# --------------------------------------------------------------------------- annual summary


def download_annual_summary(page, site, axe, fmt: str, tmp_path, lang: str):  # noqa: ANN001
    """Open the annual-summary page from the navigation, choose year, as-of date and format, download."""
    nav_to(page, url_of(site, "exports.index"))
    axe.check(page, f"annual summary page ({lang})")
    form = page.locator("main form").filter(has=page.locator("[name=format]")).first
    assert form.count() == 1, "the annual summary page has no form with a format choice"
    _choose(form, "year", str(YEAR))
    _choose(form, "as_of", AS_OF)
    _choose(form, "format", fmt)
    _choose(form, "language", lang)
    with page.expect_download() as info:
        form.locator("button[type=submit], input[type=submit]").first.click()
    download = info.value
    name = download.suggested_filename
    assert name.lower().endswith("." + fmt), name
    assert str(YEAR) in name or "106" in name, f"the file name does not say the year: {name}"
    path = tmp_path / name
    download.save_as(path)
    assert path.stat().st_size > 0
    return path


def _choose(form, name: str, value: str, required: bool = True) -> None:  # noqa: ANN001
    field = form.locator(f"[name={name}]")
    if field.count() == 0:
        assert not required, f"the annual summary form has no field named {name!r}"
        return
    first = field.first
    tag = first.evaluate("el => el.tagName.toLowerCase()")
    kind = (first.get_attribute("type") or "").lower()
    if tag == "select":
        options = first.locator("option").evaluate_all("os => os.map(o => o.value)")
        wanted = value if value in options else next((o for o in options if o.lower().startswith(value.lower())), None)
        assert wanted is not None or not required, f"{name}: no option {value!r} in {options}"
        if wanted is not None:
            first.select_option(wanted)
    elif kind in ("radio", "checkbox"):
        radio = form.locator(f"[name={name}][value='{value}']")
        if radio.count() == 0:
            radio = form.locator(f"[name={name}][value='{value.replace('-', '_')}']")
        assert radio.count() == 1 or not required, f"{name}: no choice {value!r}"
        if radio.count():
            radio.check()
    else:
        first.fill(value)


def read_odf_text(path) -> str:  # noqa: ANN001
    from odfdo import Document

    doc = Document(str(path))
    if doc.get_type() == "spreadsheet":
        return "\n".join(" | ".join(str(v) for v in row) for table in doc.body.tables for row in table.get_values())
    return doc.get_formatted_text()


# --------------------------------------------------------------------------- editor


@pytest.fixture
def editor_world(site, request):
    """Two fresh items of the demo editor's department (經濟發展局): the first with an
    indicator; the second with an update a reviewer returned."""
    lang = request.node.callspec.params["lang"]
    tag = "E" + lang[:2].upper()
    items = site.make_items(tag, 2, indicator="tech-companies")
    comment = f"請補充佐證資料並說明經費執行情形（{lang}）"
    returned = site.submitted_update(items[1]["id"], EDITOR, 10, "完成初步規劃。", returned_with=comment)
    return {"lang": lang, "submit": items[0], "revise": items[1], "returned": returned, "comment": comment}


@pytest.mark.parametrize("lang", LANGS)
def test_editor_submits_an_update_with_evidence_and_answers_a_returned_one(
    browser_page, site, axe, editor_world, lang, tmp_path
):
    page, w = browser_page, editor_world
    sign_in(page, site, EDITOR, lang=lang)

    # Editors land on "my department"; the returned update is listed with the reviewer's comment.
    assert page.url.endswith("/my-department/"), page.url
    assert html_lang(page) == HTML_LANG[lang]
    axe.check(page, "my department")
    returned = page.locator(f"#returned-{w['returned']}")
    assert w["comment"] in returned.inner_text()

    # 1. A new update for the first item, from its row on "my department".
    row = page.locator(f"tr[data-item='{w['submit']['code']}']")
    row.locator(f"a[href$='/items/{w['submit']['id']}/updates/new']").click()
    page.wait_for_load_state()
    axe.check(page, "update form")

    # Completed at 80 % with no narrative: refused, each message tied to its field.
    page.select_option("#status", "completed")
    page.fill("#progress", "80")
    page.fill("#narrative", "")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    for field in ("progress", "narrative"):
        assert page.locator(f"#{field}-error").is_visible(), f"no error next to {field}"
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
        assert f"{field}-error" in (page.locator(f"#{field}").get_attribute("aria-describedby") or "")
    assert page.locator("#form-errors[role=alert]").count() == 1
    assert page.evaluate("() => document.activeElement.id") == "form-errors"
    if lang == "zh-TW":
        assert re.search(r"[\u4e00-\u9fff]", page.locator("#progress-error").inner_text()), (
            "the error is not in Chinese"
        )
    axe.check(page, "update form with errors")

    # The corrected update: in progress, 45 %, a PDF, a link and a measurement.
    narrative = f"完成第一期設置，第二期進行招標。（{lang}）"
    pdf = tmp_path / "驗收紀錄.pdf"
    pdf.write_bytes(tiny_pdf("驗收紀錄"))
    page.select_option("#status", "in_progress")
    page.fill("#progress", "45")
    page.fill("#narrative", narrative)
    page.set_input_files("#files", str(pdf))
    page.fill("#evidence_url", "https://www.tainan.gov.tw/")
    page.fill("#measurements-0-value", "12")
    page.fill("#measurements-0-measured_on", (date.today() - timedelta(days=7)).isoformat())
    page.fill("#measurements-0-source_note", "經發局統計")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert re.search(rf"/items/{w['submit']['id']}/history", page.url), page.url
    assert page.locator(".alert-success, [role=status]").first.is_visible()
    entry = page.locator("li[data-state='submitted']").first
    text = entry.inner_text()
    assert narrative in text and "45%" in text and "驗收紀錄.pdf" in text and "12" in text
    axe.check(page, "item history after submitting")

    # 2. Answer the returned update: revise and resubmit from "my department".
    page.goto(site("/my-department/"))
    page.locator(f"#returned-{w['returned']} a[href*='corrects={w['returned']}']").click()
    page.wait_for_load_state()
    assert w["comment"] in page.locator("#corrects-box").inner_text()
    assert page.locator("#narrative").input_value() == "完成初步規劃。"  # the returned text, to revise
    axe.check(page, "update form revising a returned update")
    answer = f"已補充佐證資料，經費執行率 35%。（{lang}）"
    page.fill("#narrative", answer)
    page.fill("#progress", "20")
    page.fill("#evidence_url", "https://www.tainan.gov.tw/budget")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert re.search(rf"/items/{w['revise']['id']}/history", page.url), page.url
    resubmitted = page.locator("li[data-state='submitted']").first
    assert answer in resubmitted.inner_text()
    assert resubmitted.locator(f"a[href='#update-{w['returned']}']").count() == 1, (
        "the revision does not say what it corrects"
    )
    axe.check(page, "item history after revising")

    # The department page no longer lists it as returned; both items now wait for review.
    page.goto(site("/my-department/?flag=pending"))
    assert page.locator(f"#returned-{w['returned']}").count() == 0
    for key in ("submit", "revise"):
        assert page.locator(f"tr[data-item='{w[key]['code']}']").count() == 1
    axe.check(page, "my department, pending filter")


# --------------------------------------------------------------------------- reviewer


@pytest.fixture
def review_world(site, request):
    """Two fresh items of 經濟發展局 with one submitted update each (30 % and 50 %)."""
    lang = request.node.callspec.params["lang"]
    items = site.make_items("R" + lang[:2].upper(), 2)
    approve, ret = (
        site.submitted_update(item["id"], EDITOR, 30 + 20 * n, f"第{n + 1}季進度：完成招標。（{lang}）")
        for n, item in enumerate(items)
    )
    return {"lang": lang, "items": items, "approve": approve, "return": ret}


@pytest.mark.parametrize("lang", LANGS)
def test_reviewer_approves_returns_and_records_a_tracking_decision(
    browser_page, site, axe, review_world, lang, tmp_path
):
    page, w = browser_page, review_world
    sign_in(page, site, "reviewer", lang=lang)
    nav_to(page, "/review/")
    axe.check(page, "review queue")
    # The queue lists the oldest reports first, 20 a page: open the page holding ours.
    for n in range(2, 30):
        if page.locator(f"#update-{w['approve']}").count():
            break
        page.goto(site(f"/review/?page={n}"))

    # Approve the first update from its card.
    card = page.locator(f"#update-{w['approve']}")
    assert "30%" in card.inner_text()  # the reported progress (a first report has no "before" to compare)
    card.locator("button[type=submit]:not([formaction])").click()
    page.wait_for_load_state()
    assert page.locator(f"#update-{w['approve']}").count() == 0
    assert page.locator(".alert-success, [role=status]").first.is_visible()
    axe.check(page, "review queue after approving")

    # Returning without a comment is refused next to the comment field; then with one.
    card = page.locator(f"#update-{w['return']}")
    card.locator("button[formaction*='/return']").click()
    page.wait_for_load_state()
    comment_id = f"u{w['return']}-comment"
    assert page.locator(f"#{comment_id}-error").is_visible()
    assert f"{comment_id}-error" in (page.locator(f"#{comment_id}").get_attribute("aria-describedby") or "")
    axe.check(page, "review queue with an error")
    comment = f"請補充驗收紀錄。（{lang}）"
    page.fill(f"#{comment_id}", comment)
    page.locator(f"#update-{w['return']} button[formaction*='/return']").click()
    page.wait_for_load_state()
    assert page.locator(f"#update-{w['return']}").count() == 0
    axe.check(page, "review queue after returning")

    # A tracking decision on the approved item, from the item page.
    item = w["items"][0]
    page.goto(site(f"/action-items/{item['id']}"))
    axe.check(page, "item page")
    page.locator(f"main a[href='/review/items/{item['id']}/decision']").click()
    page.wait_for_load_state()
    axe.check(page, "tracking decision form")
    page.locator("input[name=decision][value=release]").check()  # in progress: release is refused
    page.fill("#reason", "已完成")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#decision-error").is_visible()
    axe.check(page, "tracking decision form with an error")
    reason = f"尚在辦理，繼續列管至下期。（{lang}）"
    page.locator("input[name=decision][value=continue]").check()
    page.fill("#reason", reason)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert reason in main_text(page)
    axe.check(page, "after the tracking decision")
    page.goto(site(f"/action-items/{item['id']}"))
    assert reason in main_text(page)
    official = page.locator("section[aria-labelledby=state-title]").inner_text()
    assert re.search(r"\b30(\.0)?\s?%", official), official  # the approved progress is official now

    # The annual summary as ODT.
    path = download_annual_summary(page, site, axe, "odt", tmp_path, lang)
    text = read_odf_text(path)
    for code in ("R1", "R2", "R3", "R4", "R5"):
        assert code in text, f"{code} missing from the ODT"
    assert SHOWN_DATE[lang] in text, "the as-of date is not in the document"


# --------------------------------------------------------------------------- viewer


@pytest.mark.parametrize("lang", LANGS)
def test_viewer_reads_the_dashboard_as_of_a_past_date(browser_page, site, axe, lang, tmp_path):
    page = browser_page
    sign_in(page, site, "viewer", lang=lang)
    nav_to(page, "/dashboard/")
    axe.check(page, "dashboard today")
    today_overall = page.locator("[data-stat=overall]").get_attribute("data-value")

    # Choose a past date with the as-of form.
    page.fill("#as_of", AS_OF)
    page.locator("form.as-of-form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"as_of={AS_OF}" in page.url
    assert SHOWN_DATE[lang] in page.locator(".dates-note").inner_text()
    axe.check(page, "dashboard as of 2017-12-31")
    stats = {
        key: page.locator(f"[data-stat={key}]").get_attribute("data-value")
        for key in ("overall", "items", "pending", "overdue")
    }
    assert stats["overall"] != today_overall, "the 2017 numbers equal today's: the as-of date was ignored"

    # The same numbers as the summary API for that date.
    api = page.request.get(site(f"/api/v1/summary?as_of={AS_OF}"))
    assert api.ok, api.text()
    body = api.json()
    overall = body.get("overall_progress", body.get("overall", {}))
    if isinstance(overall, dict):
        overall = overall.get("progress", overall.get("value"))
    assert round(float(stats["overall"]), 1) == round(float(overall), 1), (stats, overall)

    # Charts have a text alternative and a data table.
    chart = page.locator(".chart-box svg").first
    assert chart.get_attribute("role") == "img"
    assert chart.get_attribute("aria-label") or chart.locator("title").count(), "the chart has no text alternative"
    assert page.locator("#rec-table th[scope=col]").count() >= 3

    # A benchmark page as of the same date.
    page.locator("#rec-table a[href*='/benchmark']").first.click()
    page.wait_for_load_state()
    assert "/benchmark" in page.url
    axe.check(page, "benchmark page")

    # The viewer may read but not review.
    assert page.locator("nav.main-nav a[href='/review/']").count() == 0

    # The annual summary as CSV: one row per action item, UTF-8 with a BOM.
    path = download_annual_summary(page, site, axe, "csv", tmp_path, lang)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV has no UTF-8 BOM (Excel on Windows would garble it)"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body_rows = rows[0], [r for r in rows[1:] if any(r)]
    assert len(header) >= 5
    codes = {cell for r in body_rows for cell in r if re.fullmatch(r"R\d-\d\d", cell)}
    assert {"R1-01", "R3-01", "R5-04"} <= codes, codes
    assert len(body_rows) == int(stats["items"]), (len(body_rows), stats["items"])


# --------------------------------------------------------------------------- admin


@pytest.mark.parametrize("lang", LANGS)
def test_admin_creates_a_user_and_a_department_and_edits_an_action_item(browser_page, site, axe, lang, tmp_path):
    page = browser_page
    suffix = lang.split("-")[0]
    sign_in(page, site, "admin", lang=lang)
    nav_to(page, "/admin/")
    axe.check(page, "administration")

    # A new department.
    page.locator("main a[href='/admin/departments']").first.click()
    page.wait_for_load_state()
    axe.check(page, "departments")
    page.locator("main a[href='/admin/departments/new']").first.click()
    page.wait_for_load_state()
    code = f"J{suffix.upper()}"
    page.fill("#code", code)
    page.fill("#name_zh", f"旅程測試局（{lang}）")
    page.fill("#name_en", f"Journey Test Bureau ({lang})")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"旅程測試局（{lang}）" in main_text(page) or f"Journey Test Bureau ({lang})" in main_text(page)
    axe.check(page, "after creating a department")

    # A new editor in that department (a too-short password is refused first).
    page.goto(site("/admin/users"))
    axe.check(page, "users")
    page.locator("main a[href='/admin/users/new']").first.click()
    page.wait_for_load_state()
    email = f"journey.editor.{suffix}@example.org"
    page.fill("#email", email)
    page.fill("#name", f"旅程承辦人 {suffix}")
    page.select_option("#role", "editor")
    dept_value = page.locator("#department option", has_text=code).first.get_attribute("value")
    page.select_option("#department", dept_value)
    page.fill("#password", "short")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#password-error").is_visible()
    axe.check(page, "new user form with an error")
    password = "Journey-editor-passw0rd"
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert email in main_text(page)
    axe.check(page, "after creating a user")

    # Edit an action item: English title, due date and weight.
    items = site.make_items("A" + lang[:2].upper(), 1, lead="edu")
    item = items[0]
    page.goto(site("/admin/items"))
    axe.check(page, "action items")
    page.locator(f"main a[href='/admin/items/{item['id']}']").first.click()
    page.wait_for_load_state()
    axe.check(page, "edit action item")
    new_title = f"Journey item, renamed ({lang})"
    page.fill("#title_en", new_title)
    page.fill("#title_zh", f"旅程事項（已更名，{lang}）")
    page.fill("#due_date", "2031-06-30")
    page.fill("#weight", "2")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    axe.check(page, "after editing the item")
    page.goto(site(f"/action-items/{item['id']}"))
    shown = main_text(page)
    assert (new_title if lang == "en" else f"旅程事項（已更名，{lang}）") in shown
    assert ("2031-06-30" if lang == "en" else "120年6月30日") in shown

    # The new editor can sign in and lands on the new department's page.
    other = new_context(page.context.browser, lang)
    try:
        p2 = other.new_page()
        site.passwords[email] = password
        sign_in(p2, site, email, lang=lang)
        heading = p2.locator("h1").inner_text()  # the department's name, in the page's language
        assert p2.url.endswith("/my-department/") and ("旅程測試局" in heading or "Journey Test Bureau" in heading)
    finally:
        other.close()

    # The annual summary as ODS.
    path = download_annual_summary(page, site, axe, "ods", tmp_path, lang)
    text = read_odf_text(path)
    assert "R1-01" in text and "R5-04" in text
