"""Helpers for the browser suites (journeys, accessibility crawl, keyboard, responsive).

* ``demo_site()``: the app served over HTTP on a temporary SQLite file, loaded with the
  report seed and the demo history (accounts for every role, 2017–2018 updates), so the
  pages look like the real thing. One per test module: the suites share it where safe.
* ``sign_in()`` through the real sign-in form, ``Accessibility`` (axe-core with the WCAG
  2.0/2.1 A and AA rules) and a few DOM probes (focus ring, overflow).

The shared Chromium fixtures (``browser``, ``page``) live in tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parents[2]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Cheap argon2 parameters: the demo creates about ten accounts and the tests sign in often.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
LANGS = ("zh-TW", "en")
HTML_LANG = {"zh-TW": "zh-TW", "en": "en"}
# The demo editor of the department that leads the most items with indicators (經濟發展局):
# its items have measurement rows on the update form.
EDITOR = "editor2"
_positions = count()


@dataclass
class DemoSite:
    """A served demo database: ``site("/path")`` is the absolute URL."""

    app: Any
    url: str
    passwords: dict[str, str] = field(default_factory=dict)  # e-mail -> password
    emails: dict[str, str] = field(default_factory=dict)  # "admin", "reviewer", "viewer", "editor", "editor2" ...

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def account(self, who: str) -> tuple[str, str]:
        """(e-mail, password) of a demo account ("admin", "editor2", ...) or of an e-mail."""
        email = self.emails.get(who, who)
        return email, self.passwords[email]

    def add_user(self, role: str, email: str, department_code: str | None = None, name: str = "") -> str:
        """Another account with a known password (for tests that must not share state)."""
        from tests.factories import DEFAULT_PASSWORD
        from tracker.extensions import db
        from tracker.models import Department, Role, User

        with self.app.app_context():
            dept = None
            if department_code:
                dept = db.session.scalar(db.select(Department).where(Department.code == department_code))
            db.session.add(
                User(
                    email=email,
                    role=Role(role),
                    department=dept,
                    name=name or email.split("@")[0],
                    password_hash=CHEAP_HASHER.hash(DEFAULT_PASSWORD),
                )
            )
            db.session.commit()
            db.session.remove()
        self.passwords[email] = DEFAULT_PASSWORD
        return email

    def make_items(self, tag: str, n: int, lead: str = "econ", indicator: str | None = None) -> list[dict]:
        """``n`` fresh action items under R1 led by department ``lead`` (the first linked to
        ``indicator``), coded R1-<tag><n>: journeys work on items nobody else touches."""
        from sqlalchemy import select

        from tests.factories import Factory
        from tracker.models import Department, Indicator, Recommendation

        def create(session):  # noqa: ANN001, ANN202
            f = Factory(session)
            rec = session.scalar(select(Recommendation).where(Recommendation.code == "R1"))
            dept = session.scalar(select(Department).where(Department.code == lead))
            out = []
            for i in range(n):
                item = f.item(
                    rec,
                    lead=dept,
                    code=f"R1-{tag}{i + 1}",
                    title_zh=f"測試事項 {tag}{i + 1}",
                    title_en=f"Test item {tag}{i + 1}",
                    position=100 + next(_positions),
                    start_date=date(2017, 1, 1),
                    due_date=date(2030, 12, 31),
                )
                if i == 0 and indicator:
                    item.indicators.append(session.scalar(select(Indicator).where(Indicator.code == indicator)))
                session.flush()
                from tracker.services import projections

                projections.touch([item.id], session)
                out.append({"id": item.id, "code": item.code})
            return out

        return self.query(create)

    def submitted_update(
        self, item_id: int, editor: str, progress: int, narrative: str, returned_with: str | None = None
    ) -> int:
        """A status update submitted by ``editor`` (a demo account) some days ago; returned by
        the demo reviewer with the comment ``returned_with`` when given. Returns its id."""
        from datetime import timedelta

        from sqlalchemy import select

        from tracker.models import ActionItem, Status, StatusUpdate, User
        from tracker.services import projections
        from tracker.services.review import return_update, today

        def submit(session):  # noqa: ANN001, ANN202
            item = session.get(ActionItem, item_id)
            author = session.scalar(select(User).where(User.email == self.account(editor)[0]))
            su = StatusUpdate(
                action_item=item,
                status=Status.IN_PROGRESS if progress else Status.PLANNING,
                progress=progress,
                narrative=narrative,
                effective_date=today() - timedelta(days=20),
                based_on_version=item.version,
                department_id=item.lead_department_id,
                submitted_by=author,
            )
            session.add(su)
            item.version += 1
            session.flush()
            projections.touch([item.id], session)  # the read model (review queue, flags) follows the record
            if returned_with:
                reviewer = session.scalar(select(User).where(User.email == self.account("reviewer")[0]))
                return_update(su, reviewer, returned_with, today() - timedelta(days=2))
                session.flush()
            return su.id

        return self.query(submit)

    def query(self, fn):  # noqa: ANN001, ANN201
        """Run ``fn(session)`` in an app context and return its (plain) result."""
        from tracker.extensions import db

        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.commit()
                db.session.remove()


def build_demo_app(db_path: Path, upload_dir: Path, **overrides: Any):
    """A testing app on a SQLite file holding the seed plus the demo history; returns (app, accounts)."""
    from seed.demo import load_demo
    from seed.loader import load_seed
    from tracker import create_app
    from tracker.extensions import db

    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "UPLOAD_FOLDER": str(upload_dir),
        "WTF_CSRF_ENABLED": True,
    }
    config.update(overrides)
    app = create_app("testing", overrides=config)
    with app.app_context():
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        accounts = load_demo(db.session, hasher=CHEAP_HASHER)
        db.session.commit()
        db.session.remove()
    return app, accounts


@contextmanager
def serve(app) -> Iterator[str]:  # noqa: ANN001
    """Serve ``app`` (werkzeug, threaded) on a free port; yields the base URL."""
    from werkzeug.serving import make_server

    from tracker.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@contextmanager
def demo_site(tmp_dir: Path, **overrides: Any) -> Iterator[DemoSite]:
    app, accounts = build_demo_app(tmp_dir / "demo.sqlite3", tmp_dir / "uploads", **overrides)
    site = DemoSite(app=app, url="")
    for _role, email, password in accounts:
        site.passwords[email] = password
        site.emails[email.split("@")[0]] = email
    with serve(app) as url:
        site.url = url
        yield site


# --------------------------------------------------------------------------- the pages

# GET endpoints that are not pages (they answer with a file) and the URL prefixes of
# machine interfaces (JSON): everything else in the URL map is a page.
NOT_PAGES = {
    "actions.attachment": "evidence download (a file, sent as an attachment)",
    "portfolio.import_template": "import template download (a spreadsheet, sent as an attachment)",
    "bulk.download": "the department's status-update sheet (a spreadsheet, sent as an attachment)",
    "filing.download": "a filed annual summary (the document as filed, sent as an attachment)",
    "static": "static files",
}
API_PREFIXES = ("/api/",)


def page_rules(app) -> list:  # noqa: ANN001
    """GET rules that render pages (not the API, not static files, not downloads)."""
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(API_PREFIXES) or rule.endpoint in NOT_PAGES:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


# --------------------------------------------------------------------------- browser helpers


def new_context(browser, lang: str = "zh-TW", width: int = 1280, height: int = 900, **kw: Any):  # noqa: ANN001
    context = browser.new_context(locale=lang, viewport={"width": width, "height": height}, **kw)
    context.set_default_timeout(15_000)
    return context


def sign_in(page, site: DemoSite, who: str, lang: str | None = None) -> None:  # noqa: ANN001
    """Sign in through the sign-in form (optionally choosing the language first)."""
    email, password = site.account(who)
    page.goto(site("/login" + (f"?lang={lang}" if lang else "")))
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed: {page.locator('main').inner_text()[:500]}"


def html_lang(page) -> str:  # noqa: ANN001
    return page.locator("html").get_attribute("lang") or ""


def main_text(page) -> str:  # noqa: ANN001
    return page.locator("main").inner_text()


class Accessibility:
    """axe-core (bundled by axe-playwright-python) restricted to WCAG 2.0/2.1 A and AA.

    ``violations(page, dedupe=True)`` remembers the markup of each <main> it checked: a
    page whose <main> is byte-for-byte one already checked (the same page seen by
    another role, say) is checked again outside <main> only, since the same markup under
    the same style sheets gives the same results. That halves the crawl's time.
    """

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.checked: list[str] = []
        self.main_seen: set[str] = set()
        self.partial = 0

    def _run(self, page, context: Any = None) -> list[dict]:  # noqa: ANN001
        results = self.axe.run(
            page,
            context=context,
            options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
        )
        return list(results.response.get("violations", []))

    def violations(self, page, dedupe: bool = False) -> list[dict]:  # noqa: ANN001
        self.checked.append(page.url)
        if dedupe:
            markup = page.evaluate(MAIN_FINGERPRINT)
            key = hashlib.sha1(markup.encode()).hexdigest() if markup else None
            if key and key in self.main_seen:
                self.partial += 1
                return self._run(page, {"exclude": [["main"]]})
            found = self._run(page)
            if key and not found:
                self.main_seen.add(key)
            return found
        return self._run(page)

    def check(self, page, where: str = "") -> None:  # noqa: ANN001
        """Fail with every violation and its nodes when the current page has any."""
        found = self.violations(page)
        assert not found, format_violations(found, where or page.url)


# <main>'s markup without per-session values (CSRF tokens), with its language and CSS.
MAIN_FINGERPRINT = """() => {
  const main = document.querySelector('main');
  if (!main) return null;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('input[type=hidden]').forEach(el => el.removeAttribute('value'));
  const css = [...document.styleSheets].map(s => s.href).join(' ');
  return document.documentElement.lang + '|' + css + '|' + copy.outerHTML;
}"""


def format_violations(violations: list[dict], where: str) -> str:
    lines = [f"{len(violations)} axe-core violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v['id']}: {v.get('help')} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v.get("nodes", [])) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more node(s)")
    return "\n".join(lines)


# The focused element's own ring, or a ring drawn by its closest styled wrapper (e.g. a
# visually hidden checkbox whose label shows the focus) — reported for the assertion.
FOCUS_PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className && String(el.className),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0,
    outlineColor: cs.outlineColor, boxShadow: cs.boxShadow,
    visible: r.width > 0 && r.height > 0,
    focusVisible: el.matches(':focus-visible'),
  };
}"""


def focus_state(page) -> dict | None:  # noqa: ANN001
    return page.evaluate(FOCUS_PROBE)


def has_focus_indicator(state: dict | None) -> bool:
    """An outline of at least 2 px, or a box-shadow ring, on a visible focused element."""
    if not state or not state["visible"]:
        return False
    outline = state["outlineStyle"] not in ("none", "") and state["outlineWidth"] >= 2
    shadow = state["boxShadow"] not in ("none", "")
    return outline or shadow


def horizontal_overflow(page) -> int:  # noqa: ANN001
    """How many CSS pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth")
