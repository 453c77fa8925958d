"""The editor's journey with the keyboard only: no mouse click anywhere.

Tab and Shift+Tab move, Enter follows links and submits, Space opens the file chooser;
text is typed, and a <select> is set with the arrow keys (as a keyboard user does).
Every element Tab reaches must show a visible focus indicator (a computed outline of at
least 2 px or a box-shadow ring, on the element or on the card it stretches over).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.e2e.support import EDITOR, FOCUS_PROBE, demo_site, has_focus_indicator, new_context
from tests.update_world import tiny_pdf

LANG = "zh-TW"
MAX_TABS = 120


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("keyboard")) as s:
        yield s


@pytest.fixture
def world(site):
    items = site.make_items("K", 2, indicator="tech-workers")
    comment = "請補充招商成果之佐證（鍵盤測試）"
    returned = site.submitted_update(items[1]["id"], EDITOR, 15, "完成招商說明會規劃。", returned_with=comment)
    return {"submit": items[0], "revise": items[1], "returned": returned, "comment": comment}


class Keyboard:
    """Moves focus with Tab / Shift+Tab and records every element that got focus."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.page = page
        self.seen: list[dict] = []
        self.without_ring: list[dict] = []

    def _matches(self, selector: str) -> bool:
        return self.page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)

    def tab_to(self, selector: str, backwards: bool = False) -> dict:
        """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TABS):
            self.page.keyboard.press(key)
            state = self.page.evaluate(FOCUS_PROBE)
            if state:
                self.seen.append(state)
                if not has_focus_indicator(state) and not self._ring_on_card():
                    self.without_ring.append({**state, "url": self.page.url})
            if self._matches(selector):
                return state
        pytest.fail(f"{MAX_TABS} × {key} never reached {selector} on {self.page.url}; last focused: {self.seen[-3:]}")

    def _ring_on_card(self) -> bool:
        """A stretched card link shows its focus ring on the card (.card-link:focus-within)."""
        return self.page.evaluate("""() => {
            const card = document.activeElement.closest('.card-link');
            if (!card) return false;
            const cs = getComputedStyle(card);
            return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
        }""")

    def skip_to_main(self) -> None:
        """From the top of a freshly loaded page: the skip link, then into <main>."""
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        self.tab_to(".skip-link")
        self.page.keyboard.press("Enter")
        assert self.page.evaluate("() => document.activeElement.id") == "main"

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def follow(self, selector: str) -> None:
        """Tab to a link or button and press Enter; wait for the next page."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.press("Enter")
        self.page.wait_for_load_state()

    def type_into(self, selector: str, text: str, backwards: bool = False) -> None:
        self.tab_to(selector, backwards)
        self.press("Control+A")
        self.press("Delete")
        self.page.keyboard.type(text)

    def type_date(self, selector: str, day: date) -> None:
        """Type a date as officials do: a 民國 date in the text date input (107/06/30), then
        check the echo under the field read it as that day."""
        self.type_into(selector, f"{day.year - 1911}/{day.month:02d}/{day.day:02d}")
        echo = self.page.locator(f"{selector}-echo")
        self.page.wait_for_function(
            "([el, iso]) => el.textContent.includes(iso)", arg=[echo.element_handle(), day.isoformat()], timeout=5000
        )

    def choose(self, selector: str, value: str) -> None:
        """Set a <select> with the arrow keys."""
        self.tab_to(selector)
        values = self.page.eval_on_selector(selector, "s => [...s.options].map(o => o.value)")
        current = self.page.eval_on_selector(selector, "s => s.selectedIndex")
        target = values.index(value)
        step = "ArrowDown" if target > current else "ArrowUp"
        for _ in range(abs(target - current)):
            self.press(step)
        assert self.page.eval_on_selector(selector, "s => s.value") == value


def test_editor_journey_with_the_keyboard_only(browser, site, world, tmp_path):
    context = new_context(browser, LANG)
    page = context.new_page()
    kb = Keyboard(page)
    try:
        # Sign in: type into the two fields, Enter submits.
        page.goto(site("/login"))
        kb.skip_to_main()
        kb.type_into("#email", site.account(EDITOR)[0])
        kb.type_into("#password", site.account(EDITOR)[1])
        with page.expect_navigation():
            kb.press("Enter")
        page.wait_for_load_state()
        assert page.url.endswith("/my-department/"), page.url

        # My department → the item's "Submit update" link.
        kb.skip_to_main()
        kb.follow(f"a[href='/items/{world['submit']['id']}/updates/new']")
        assert page.url.endswith(f"/items/{world['submit']['id']}/updates/new")

        # A first try without a narrative: the error summary takes focus and links to the field.
        kb.skip_to_main()
        kb.choose("#status", "in_progress")
        kb.type_into("#progress", "4")
        kb.follow("main form button[type=submit]")
        assert page.evaluate("() => document.activeElement.id") == "form-errors"
        kb.tab_to("#form-errors a[href='#narrative']")
        kb.press("Enter")
        # The link moves the sequential focus starting point to the field: Tab lands on it,
        # or Shift+Tab on the field just before it.
        if not page.evaluate("() => document.activeElement.id === 'narrative'"):
            kb.tab_to("#narrative")
        narrative = "已完成招商說明會，媒合廠商三家。（鍵盤）"
        page.keyboard.type(narrative)
        # Back up with Shift+Tab to correct the progress.
        kb.type_into("#progress", "40", backwards=True)

        # Evidence: Space on the file field opens the chooser.
        pdf = tmp_path / "說明會紀錄.pdf"
        pdf.write_bytes(tiny_pdf("說明會紀錄"))
        kb.tab_to("#files")
        with page.expect_file_chooser() as chooser:
            kb.press("Space")
        chooser.value.set_files(str(pdf))
        kb.type_into("#evidence_url", "https://www.tainan.gov.tw/investment")

        # A measurement: value, date (typed year, month, day) and source.
        kb.type_into("#measurements-0-value", "120")
        kb.type_date("#measurements-0-measured_on", date.today() - timedelta(days=3))
        kb.type_into("#measurements-0-source_note", "經發局招商統計")

        kb.follow("main form button[type=submit]")
        assert re.search(rf"/items/{world['submit']['id']}/history", page.url), page.locator("main").inner_text()[:800]
        entry = page.locator("li[data-state='submitted']").first.inner_text()
        assert narrative in entry and "40%" in entry and "說明會紀錄.pdf" in entry

        # Answer the returned update: my department via the main navigation, then "Revise and resubmit".
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        kb.follow("nav.main-nav a[href='/my-department/']")
        kb.skip_to_main()
        kb.follow(f"#returned-{world['returned']} a[href*='corrects=']")
        assert world["comment"] in page.locator("#corrects-box").inner_text()
        kb.skip_to_main()
        kb.type_into("#narrative", "已補充招商成果佐證：說明會簽到表及媒合紀錄。")
        kb.type_into("#evidence_url", "https://www.tainan.gov.tw/investment/records")
        kb.follow("main form button[type=submit]")
        assert re.search(rf"/items/{world['revise']['id']}/history", page.url), page.locator("main").inner_text()[:800]
        assert "已補充招商成果佐證" in page.locator("li[data-state='submitted']").first.inner_text()

        # The user menu opens and closes with the keyboard; Sign out is reachable.
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        kb.tab_to("details.user-menu > summary")
        kb.press("Enter")
        assert page.locator("details.user-menu").get_attribute("open") is not None
        kb.press("Escape")
        assert page.locator("details.user-menu").get_attribute("open") is None
        kb.press("Space")
        kb.follow("details.user-menu form button[type=submit]")
        assert "/login" in page.url or page.locator("#email").count() == 1

        assert len(kb.seen) > 20
        assert not kb.without_ring, "focused without a visible focus indicator:\n" + "\n".join(
            f"  {s['url']}: <{s['tag']} id={s['id']!r} class={s['cls']!r}> {s['text']!r} "
            f"outline={s['outlineStyle']} {s['outlineWidth']}px box-shadow={s['boxShadow']}"
            for s in kb.without_ring
        )
    finally:
        context.close()
