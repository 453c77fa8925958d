"""Phone and print: the main pages at 390 px wide, and the print stylesheet.

At 390 px (a phone held upright) no page scrolls sideways (wide tables scroll inside
their own box), the main navigation's links are all reachable and big enough to tap, and
following one works. Printing the dashboard or an item page leaves out the navigation,
the header tools, the skip link and the forms, and keeps the content and the charts.
"""

from __future__ import annotations

import pytest

from tests.e2e.support import EDITOR, LANGS, demo_site, new_context, sign_in

PHONE = 390
MIN_TARGET = 24  # px, WCAG 2.2's minimum target size (2.5.8), a good floor for a phone


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("responsive")) as s:
        yield s


@pytest.fixture(scope="module")
def ids(site) -> dict:
    from sqlalchemy import select

    from tracker.models import ActionItem, Report

    def load(session):  # noqa: ANN001, ANN202
        item = session.scalar(select(ActionItem).where(ActionItem.code == "R3-01"))
        report = session.scalar(select(Report).where(Report.code == "israel-2016"))
        return {"item": item.id, "rec": item.recommendation_id, "report": report.id}

    return site.query(load)


def pages_for(role: str, ids: dict) -> list[str]:
    if role == "editor":
        return ["/my-department/", f"/items/{ids['item']}/updates/new", f"/items/{ids['item']}/history"]
    return [
        "/reports",
        f"/reports/{ids['report']}",
        f"/recommendations/{ids['rec']}",
        f"/action-items/{ids['item']}",
        "/review/",
        "/review/changes",
        "/dashboard/",
        f"/dashboard/recommendations/{ids['rec']}/benchmark",
        "/exports/",
        f"/review/items/{ids['item']}/decision",
        "/admin/",
        "/admin/users",
        "/admin/items",
        "/admin/audit",
        "/account/",
    ]


WHO = {"editor": EDITOR, "admin": "admin"}

OVERFLOW_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
      const r = el.getBoundingClientRect();
      return r.right > width + 1 && getComputedStyle(el).position !== 'fixed'
             && !el.closest('.table-wrap, .chart-box, [data-scroll]');
  }).slice(0, 5).map(el => `<${el.tagName.toLowerCase()} class="${el.className}"> right=${Math.round(el.getBoundingClientRect().right)}`);
  return {scrollWidth: document.scrollingElement.scrollWidth, wide};
}"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ["admin", "editor"])
def test_main_pages_fit_a_phone(browser, site, ids, role, lang):
    context = new_context(browser, lang, width=PHONE, height=844, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = context.new_page()
    problems = []
    try:
        sign_in(page, site, WHO[role], lang=lang)
        for path in pages_for(role, ids):
            response = page.goto(site(path))
            if response.status != 200:
                problems.append(f"{path}: HTTP {response.status}")
                continue
            found = page.evaluate(OVERFLOW_PROBE)
            if found["scrollWidth"] > PHONE + 1:
                problems.append(f"{path}: the page is {found['scrollWidth']} px wide; too wide: {found['wide']}")
        assert not problems, f"{role}/{lang} at {PHONE} px:\n" + "\n".join(problems)
    finally:
        context.close()


def test_reflow_at_320_css_pixels(browser, site, ids):
    """WCAG 1.4.10 (Reflow, AA): at 320 CSS px (1280 px zoomed to 400 %) nothing scrolls sideways."""
    context = new_context(browser, "en", width=320, height=640)
    page = context.new_page()
    problems = []
    try:
        sign_in(page, site, "admin", lang="en")
        for path in (
            "/reports",
            f"/reports/{ids['report']}",
            f"/action-items/{ids['item']}",
            "/dashboard/",
            "/review/",
            "/exports/",
            "/admin/items",
        ):
            page.goto(site(path))
            found = page.evaluate(OVERFLOW_PROBE)
            if found["scrollWidth"] > 321:
                problems.append(f"{path}: {found['scrollWidth']} px wide: {found['wide']}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_navigation_is_usable_on_a_phone(browser, site, lang):
    context = new_context(browser, lang, width=PHONE, height=844, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = context.new_page()
    try:
        sign_in(page, site, "admin", lang=lang)
        page.goto(site("/reports"))
        links = page.locator("nav.main-nav a")
        hrefs = links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 5, hrefs  # admins see every section
        for i, href in enumerate(hrefs):
            link = links.nth(i)
            link.scroll_into_view_if_needed()
            box = link.bounding_box()
            assert box and box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, f"{href}: {box}"
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE + 1, f"{href} is off screen: {box}"
        # The header's tools (language switch, user menu) fit and work too.
        for selector in ("a.lang-switch", "details.user-menu > summary"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] + box["width"] <= PHONE + 1 and box["height"] >= MIN_TARGET, (selector, box)
        # Tapping the last section's link opens it.
        last = links.nth(len(hrefs) - 1)
        last.scroll_into_view_if_needed()
        with page.expect_navigation():
            last.tap()
        assert page.url.split("?")[0].endswith(hrefs[-1])
        page.locator("details.user-menu > summary").tap()
        assert page.locator("details.user-menu .user-menu-panel").is_visible()
        box = page.locator("details.user-menu .user-menu-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE + 1, f"the user menu is off screen: {box}"
    finally:
        context.close()


HIDDEN_IN_PRINT = ("nav.main-nav", ".header-tools", ".skip-link", ".site-footer", "form.as-of-form", ".actions-bar")


@pytest.mark.parametrize(
    "path_of",
    [
        lambda ids: "/dashboard/",
        lambda ids: f"/action-items/{ids['item']}",
        lambda ids: f"/items/{ids['item']}/history",
    ],
    ids=["dashboard", "action-item", "item-history"],
)
def test_print_leaves_out_navigation_and_keeps_content(browser, site, ids, path_of):
    context = new_context(browser, "zh-TW")
    page = context.new_page()
    try:
        sign_in(page, site, "admin")
        page.goto(site(path_of(ids)))
        assert page.locator("link[rel=stylesheet][media=print]").count() == 1
        screen_visible = {s: page.locator(s).first.is_visible() for s in HIDDEN_IN_PRINT if page.locator(s).count()}
        assert screen_visible.get("nav.main-nav"), "the navigation should show on screen"
        page.emulate_media(media="print")
        still = [s for s in screen_visible if page.locator(s).first.is_visible()]
        assert not still, f"visible in print: {still}"
        assert page.locator("main h1").is_visible()
        for table in page.locator("main table").all()[:5]:
            assert table.is_visible()
        if page.locator(".chart-box svg").count():
            assert page.locator(".chart-box svg").first.is_visible(), "the chart is not printed"
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    finally:
        context.close()


# --- layouts that fit (issue: dashboard cut at 1280 px, cramped rows and split words on phones) ---

TABLE_SCROLL_PROBE = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => `${w.getAttribute('aria-label')}: ${w.scrollWidth} > ${w.clientWidth}`)"""

# Lines a piece of text is drawn on: the tops of its characters' boxes, 4 px apart or more.
LINES_PROBE = """(selector) => [...document.querySelectorAll(selector)].filter(el => el.offsetParent !== null)
  .map(el => {
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i += 1) {
        if (!node.data[i].trim()) continue;
        const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width > 0) tops.push(r.top);
      }
    }
    const lines = tops.sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1] > 4).length;
    return {text: el.textContent.trim(), lines};
  }).filter(x => x.text && x.lines > 1).slice(0, 10)"""


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_tables_fit_at_1280(browser, site, ids, lang):
    context = new_context(browser, lang, width=1280, height=900)
    page = context.new_page()
    try:
        sign_in(page, site, "admin", lang=lang)
        page.goto(site(f"/dashboard/?report={ids['report']}"))
        assert page.evaluate(TABLE_SCROLL_PROBE) == []
        # Every column of the per-recommendation table is on screen, the last one included.
        last = page.locator("#rec-table thead th").last.bounding_box()
        assert last and last["x"] + last["width"] <= 1280
    finally:
        context.close()


def test_phone_dashboard_and_my_department_use_cards(browser, site, ids):
    context = new_context(
        browser, "zh-TW", width=PHONE, height=844, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    page = context.new_page()
    try:
        sign_in(page, site, EDITOR, lang="zh-TW")
        page.goto(site("/my-department/"))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE
        assert page.evaluate(TABLE_SCROLL_PROBE) == []
        row = page.locator("#worklist tbody tr").first
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE
        # The item's title gets the card's width: a few lines, not 3–4 characters per line.
        title = row.locator("th[scope=row]").bounding_box()
        assert title["width"] >= 300, title
        # 提報辦理情形 is on screen without scrolling sideways, and big enough to tap.
        submit = page.locator("#worklist a[href$='/updates/new']").first
        submit.scroll_into_view_if_needed()
        sbox = submit.bounding_box()
        assert sbox["x"] >= 0 and sbox["x"] + sbox["width"] <= PHONE and sbox["height"] >= MIN_TARGET, sbox
        # Labels come with each value.
        assert page.locator("#worklist td[data-label]").count() > 0

        page.goto(site(f"/dashboard/?report={ids['report']}"))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE
        assert page.evaluate(TABLE_SCROLL_PROBE) == []
        # The narrow chart is shown and its text is drawn at 11 px or more.
        chart = page.locator(".chart-narrow svg").first
        assert chart.is_visible() and not page.locator(".chart-wide svg").first.is_visible()
        smallest = chart.evaluate("""svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Math.min(...[...svg.querySelectorAll('text')].map(t =>
                parseFloat(t.getAttribute('font-size') || svg.getAttribute('font-size')) * scale)); }""")
        assert smallest >= 10.5, smallest
    finally:
        context.close()


@pytest.mark.parametrize(
    "role, path_of",
    [
        ("admin", lambda ids: f"/dashboard/?report={ids['report']}"),
        ("admin", lambda ids: f"/action-items/{ids['item']}"),
        ("admin", lambda ids: "/review/"),
        ("editor", lambda ids: "/my-department/"),
        ("editor", lambda ids: f"/items/{ids['item']}/history"),
    ],
    ids=["dashboard", "action-item", "review-queue", "my-department", "history"],
)
def test_words_and_dates_stay_whole_on_a_phone(browser, site, ids, role, path_of):
    """No 繼續列/管 or 115年11月30/日: dates, chips, badges and column headers on one line."""
    context = new_context(
        browser, "zh-TW", width=PHONE, height=844, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    page = context.new_page()
    try:
        sign_in(page, site, WHO[role], lang="zh-TW")
        page.goto(site(path_of(ids)))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE
        split = page.evaluate(LINES_PROBE, "main time, main .chip, main .badge, main .status-mix li, main .keep-words")
        assert split == [], split
    finally:
        context.close()


def test_roc_date_entry_journey(browser, site):
    """An editor types a 民國 date in each form officials use, sees how it is read while
    typing and after a refused submission, and the report is filed on that date."""
    item = site.make_items("ROC", 1)[0]
    context = new_context(
        browser, "zh-TW", width=PHONE, height=844, is_mobile=True, has_touch=True, device_scale_factor=1
    )
    page = context.new_page()
    try:
        sign_in(page, site, EDITOR, lang="zh-TW")
        page.goto(site(f"/items/{item['id']}/updates/new"))
        field = page.locator("#effective_date")
        assert field.get_attribute("type") == "text"
        echo = page.locator("#effective_date-echo")
        for typed, shown in (
            ("1070630", "民國107年6月30日（2018-06-30）"),
            ("107.6.30", "民國107年6月30日（2018-06-30）"),
            ("2018/06/30", "民國107年6月30日（2018-06-30）"),
            ("107/02/30", "不是日期"),
        ):
            field.fill("")
            field.type(typed)
            page.wait_for_function(
                "([el, text]) => el.textContent.includes(text)", arg=[echo.element_handle(), shown], timeout=5000
            )
        field.fill("107/06/30")
        page.select_option("#status", "in_progress")
        page.fill("#progress", "30")
        page.locator("main form button[type=submit]").first.click()  # no narrative: refused
        page.wait_for_load_state()
        assert page.locator("#narrative-error").is_visible()
        assert field.input_value() == "107/06/30"
        assert "民國107年6月30日（2018-06-30）" in echo.inner_text()
        page.fill("#narrative", "完成規劃。")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert "/history" in page.url, page.locator("main").inner_text()[:500]
        assert "107年6月30日" in page.locator('li[data-state="submitted"]').first.inner_text()
    finally:
        context.close()
