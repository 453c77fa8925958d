"""Browser fixtures shared by the e2e suites.

``browser``, ``page`` and ``live_server`` (a seeded app on a temporary SQLite file, served
by werkzeug in a thread, CSRF on) live in tests/conftest.py; tests/e2e/support.py holds
the demo site and the DOM probes. This file adds the two fixtures every journey needs:

* ``axe``: ``axe.check(page)`` fails with every WCAG 2.0/2.1 A/AA violation on the page.
* ``sign_in``: ``sign_in(page, live_server, email[, password])`` through the real form.

Chromium missing: the browser tests skip, unless REQUIRE_BROWSER=1 (then they fail).
"""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD


@pytest.fixture(scope="module")
def axe(browser):
    from tests.e2e.support import Accessibility

    return Accessibility()


@pytest.fixture
def sign_in():
    def _sign_in(page, live_server, email: str, password: str = DEFAULT_PASSWORD) -> None:  # noqa: ANN001
        page.goto(live_server("/login"))
        page.fill("#email", email)
        page.fill("#password", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, page.locator("main").inner_text()[:500]

    return _sign_in
