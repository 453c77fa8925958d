"""Every page, every role, both languages: axe-core finds no WCAG 2.0/2.1 A or AA violation.

The page list is derived from the app's URL map (every GET rule outside the API and
static files), with ids taken from the demo database: a new page is crawled as soon as
it is registered, and a page whose URL needs an id this module cannot supply fails
``test_every_page_is_classified`` until it is added to ``URL_ARGS`` or ``NOT_PAGES``.

For each (role, language) the crawl visits every page; those answering 200 are the
pages the role can reach, the first refusal (403) page is checked too. On each page:
zero axe violations, ``<html lang>`` right for the language, a language switch to the
other language, and a skip link that is the first thing Tab reaches and moves focus
to <main>.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.e2e.support import EDITOR, HTML_LANG, LANGS, demo_site, format_violations, new_context, page_rules, sign_in

# Arguments of page URLs, filled from the demo database (see ``world``).
URL_ARGS = (
    "report_id",
    "rec_id",
    "item_id",
    "user_id",
    "department_id",
    "practice_id",
    "figure_id",
    "indicator_id",
    "draft_id",
)
ROLES = ("editor", "reviewer", "viewer", "admin")
WHO = {"editor": EDITOR, "reviewer": "reviewer", "viewer": "viewer", "admin": "admin"}


@dataclass
class World:
    args: dict[str, int]
    extra: dict[str, list[str]]  # role -> further URLs: other states of the same pages


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("a11y")) as s:
        yield s


@pytest.fixture(scope="module")
def world(site) -> World:
    from sqlalchemy import select

    from tracker.models import ActionItem, Indicator, PracticeFigure, Report, User

    def load(session) -> World:  # noqa: ANN001
        def one(model, **where):  # noqa: ANN001, ANN202
            return session.scalar(select(model).filter_by(**where))

        report = one(Report, code="israel-2016")
        # R3-01 (solar city) has indicators, measurements, approved and pending updates.
        item = one(ActionItem, code="R3-01")
        returned = one(ActionItem, code="R2-01")
        released = one(ActionItem, code="R5-03")
        viewer = one(User, email=site.account("viewer")[0])
        dept = item.lead_department
        figure = session.scalar(select(PracticeFigure).order_by(PracticeFigure.id))
        indicator = session.scalar(select(Indicator).order_by(Indicator.id))
        # A report draft to review (test data: a made-up document).
        from tracker.services import drafting

        admin = one(User, email=site.account("admin")[0])
        draft = drafting.create_draft(
            "a11y-test-data.txt", "一、建議\n(一) 測試建議（測試資料）\n內容。\n".encode(), admin
        )
        session.commit()
        args = {
            "report_id": report.id,
            "rec_id": item.recommendation_id,
            "item_id": item.id,
            "user_id": viewer.id,
            "department_id": dept.id,
            "practice_id": figure.practice_id,
            "figure_id": figure.id,
            "indicator_id": indicator.id,
            "draft_id": draft.id,
        }
        # Other states of the same pages, each checked for the role that works with it
        # (the plain pages are checked for every role).
        extra = {
            "editor": [
                f"/items/{returned.id}/history",  # a returned, then resubmitted update
                "/my-department/?flag=overdue&sort=code",
            ],
            "reviewer": [
                f"/dashboard/?as_of=2017-12-31&report={report.id}",
                "/dashboard/?as_of=2017-02-30",  # a bad date, explained on the page
                f"/dashboard/recommendations/{item.recommendation_id}/benchmark?as_of=2018-06-30",
                "/review/changes?since=2018-01-01",
                "/exports/download?year=2017&as_of=2016-06-30&format=odt",
            ],  # as-of outside the year
            "viewer": [
                f"/reports/{report.id}?as_of=2017-12-31",
                f"/action-items/{returned.id}",
                f"/action-items/{released.id}",  # released (解除列管)
                "/no-such-page",
            ],  # the 404 page
            "admin": [f"/my-department/?department={dept.code}", "/admin/audit?action=login.success"],
        }
        return World(args=args, extra=extra)

    return site.query(load)


def urls_for(site, world: World, role: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """(label, path) of every page, then the extra states for ``role``."""
    with site.app.test_request_context():
        from flask import url_for

        out = []
        for rule in page_rules(site.app):
            values = {a: world.args[a] for a in rule.arguments}
            out.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return out + [(path, path) for path in world.extra.get(role, [])]


def test_every_page_is_classified(site):
    """A page whose URL needs an id we cannot fill is a page the crawl would miss."""
    unknown = {
        rule.endpoint: sorted(set(rule.arguments) - set(URL_ARGS))
        for rule in page_rules(site.app)
        if set(rule.arguments) - set(URL_ARGS)
    }
    assert not unknown, f"add these URL arguments to URL_ARGS/world (or the endpoint to support.NOT_PAGES): {unknown}"


SKIP_LINK_PROBE = """() => {
  const tabbable = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter(el => el.tabIndex >= 0 && !el.disabled && el.getClientRects().length);
  const first = tabbable[0];
  return first ? {cls: String(first.className), href: first.getAttribute('href')} : null;
}"""


def check_chrome(page, lang: str) -> list[str]:  # noqa: ANN001
    """Language, language switch and skip link of the current page; returns the problems."""
    problems = []
    got = page.locator("html").get_attribute("lang")
    if got != HTML_LANG[lang]:
        problems.append(f'<html lang="{got}">, expected "{HTML_LANG[lang]}"')
    other = "en" if lang == "zh-TW" else "zh-TW"
    switch = page.locator(f"a.lang-switch[hreflang='{other}']")
    if switch.count() != 1 or not switch.is_visible():
        problems.append(f"no visible language switch to {other}")
    elif f"lang={other}" not in (switch.get_attribute("href") or ""):
        problems.append(f"language switch does not lead to {other}: {switch.get_attribute('href')}")
    first = page.evaluate(SKIP_LINK_PROBE)
    if not first or "skip-link" not in first["cls"] or first["href"] != "#main":
        problems.append(f"the first focusable element is not the skip link to #main: {first}")
        return problems
    at_start = page.evaluate("() => document.activeElement === document.body")
    if at_start:
        page.keyboard.press("Tab")
        if not page.evaluate("() => document.activeElement.classList.contains('skip-link')"):
            problems.append("Tab from the top of the page does not reach the skip link first")
            return problems
    else:
        page.locator(".skip-link").focus()
    box = page.locator(".skip-link").bounding_box()
    if not box or box["y"] < 0 or box["width"] < 2:
        problems.append(f"the focused skip link is not visible: {box}")
    page.keyboard.press("Enter")
    if not page.evaluate("() => document.activeElement && document.activeElement.id === 'main'"):
        problems.append("the skip link does not move focus to <main id=main>")
    return problems


def crawl(browser, site, world, axe, role: str | None, lang: str) -> dict:  # noqa: ANN001
    """Visit every page as ``role`` in ``lang``; returns {"reached": [...], "refused": [...], "problems": [...]}."""
    context = new_context(browser, lang)
    page = context.new_page()
    result = {"reached": [], "refused": [], "problems": [], "other": []}
    timing = result["timing"] = dict.fromkeys(("sign_in", "probe", "goto", "axe", "chrome"), 0.0)
    clock = time.perf_counter
    try:
        start = clock()
        if role:
            sign_in(page, site, WHO[role], lang=lang)
        else:
            page.goto(site(f"/login?lang={lang}"))
        page.goto(site(f"/?lang={lang}"))  # the choice is remembered in the session
        timing["sign_in"] += clock() - start
        checked_refusal = False
        seen_final = set()
        for label, path in urls_for(site, world, role) if role else [("auth.login", "/login")]:
            start = clock()
            probe = context.request.get(site(path), max_redirects=0)
            timing["probe"] += clock() - start
            kind = probe.headers.get("content-type", "")
            if probe.status in (301, 302, 303, 307, 308):
                target = urlsplit(probe.headers.get("location", "")).path
                result["other"].append(f"{label} -> redirect {target}")
                if "/login" in target:
                    result["problems"].append(f"{label}: signed out (redirected to {target})")
                continue
            if "text/html" not in kind:
                result["other"].append(f"{label} -> {probe.status} {kind}")
                continue
            if probe.status >= 500:
                result["problems"].append(f"{label}: HTTP {probe.status}")
                continue
            if probe.status == 403:
                result["refused"].append(label)
                if checked_refusal:
                    continue
                checked_refusal = True
            elif probe.status == 404 and not label.startswith("/no-such"):
                result["problems"].append(f"{label}: 404 for {path}")
                continue
            elif probe.status == 200:
                result["reached"].append(label)
            start = clock()
            response = page.goto(site(path))
            timing["goto"] += clock() - start
            final = page.url
            if final in seen_final:
                continue
            seen_final.add(final)
            start = clock()
            found = axe.violations(page, dedupe=True)
            timing["axe"] += clock() - start
            if found:
                result["problems"].append(format_violations(found, f"{label} ({path}, HTTP {response.status})"))
            start = clock()
            result["problems"] += [f"{label} ({path}): {p}" for p in check_chrome(page, lang)]
            timing["chrome"] += clock() - start
    finally:
        context.close()
    return result


def expected_pages(role: str) -> set[str]:
    """Pages the role must reach: its navigation plus the screens of its work."""
    from tracker.web.nav import NAV

    common = {
        "reports.index",
        "reports.report",
        "reports.recommendation",
        "reports.action_item",
        "actions.history",
        "account.index",
    }
    work = {
        "editor": {"mydept.index", "actions.new_update", "actions.new_note", "bulk.index"},
        "reviewer": {
            "review.queue",
            "review.changes",
            "review.decision",
            "review.adoption",
            "dashboard.index",
            "dashboard.benchmark_page",
        },
        "viewer": {"dashboard.index", "dashboard.benchmark_page"},
        "admin": {
            "admin.index",
            "admin.users",
            "admin.user_new",
            "admin.user_edit",
            "admin.departments",
            "admin.department_new",
            "admin.department_edit",
            "admin.items",
            "admin.item_edit",
            "admin.audit",
            "dashboard.index",
            "portfolio.manage",
            "portfolio.report_edit",
            "portfolio.import_report",
            "portfolio.figure_edit",
            "portfolio.indicator_edit",
        },
    }[role]
    from types import SimpleNamespace

    from tracker.models import Role

    # NAV holds permission checks (functions of the user): ask them about a user of the role.
    who = SimpleNamespace(is_authenticated=True, role=Role(role), department_id=1)
    nav = {endpoint for endpoint, _label, check in NAV if check is None or check(who)}
    return common | work | nav


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_is_accessible(browser, site, world, axe, role, lang):
    result = crawl(browser, site, world, axe, role, lang)
    print(
        f"\n{role}/{lang}: {len(result['reached'])} pages reached, refused: {result['refused']}, "
        f"other: {result['other']}; seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["timing"].items())
    )
    registered = set(site.app.view_functions)
    assert not result["problems"], f"{role}/{lang}:\n" + "\n\n".join(result["problems"])
    missing = sorted(e for e in expected_pages(role) if e in registered and e not in result["reached"])
    assert not missing, f"{role} cannot open {missing} (refused: {result['refused']})"


@pytest.mark.parametrize("role", ROLES)
def test_the_pages_of_every_role_exist(site, role):
    absent = sorted(e for e in expected_pages(role) if e not in site.app.view_functions)
    assert not absent, f"pages {role}s need are not registered yet: {absent}"


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_page_is_accessible(browser, site, world, axe, lang):
    result = crawl(browser, site, world, axe, None, lang)
    assert result["reached"] == ["auth.login"]
    assert not result["problems"], "\n\n".join(result["problems"])


def test_the_check_does_find_violations(browser, site, axe):
    """Guard against an idle axe run (a CSP blocking it, a wrong tag list): it must see these."""
    context = new_context(browser, "zh-TW")
    page = context.new_page()
    try:
        page.goto(site("/login"))
        page.evaluate("""() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<input type="text" id="unlabelled">'
              + '<p><font color="#cccccc">淺灰色文字</font></p><img src="/static/img/favicon.svg">');
        }""")
        found = {v["id"] for v in axe.violations(page)}
        assert {"label", "color-contrast", "image-alt"} <= found, found
    finally:
        context.close()


def test_form_errors_are_tied_to_their_fields_and_announced(browser, site, axe):
    """A refused form: the summary is an alert that takes focus, each error is its field's description."""
    context = new_context(browser, "en")
    page = context.new_page()
    try:
        sign_in(page, site, "admin", lang="en")
        page.goto(site("/admin/departments/new"))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        axe.check(page, "new department form with errors")
        summary = page.locator("#form-errors")
        assert summary.get_attribute("role") == "alert"
        assert page.evaluate("() => document.activeElement.id") == "form-errors", "the error summary is not focused"
        fields = page.evaluate(FIELD_ERRORS)
        assert fields, "no field is marked aria-invalid"
        for field in fields:
            assert field["error"].strip(), f"#{field['id']}: no error among its descriptions {field['ids']}"
        for link in summary.locator("a[href^='#']").all():
            assert page.locator(link.get_attribute("href")).count() == 1
    finally:
        context.close()


FIELD_ERRORS = """() => [...document.querySelectorAll('[aria-invalid=true]')].map(el => {
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  const error = ids.map(i => document.getElementById(i)).filter(n => n && n.classList.contains('field-errors'))
                   .map(n => n.textContent).join(' ');
  return {id: el.id, ids, error};
})"""
