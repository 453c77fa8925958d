"""Page chrome: the main navigation (only endpoints that exist and that the user may
open are shown) and the template helpers every page and macro relies on."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..locale import current_locale, localized
from ..services import labels, permissions, worklist

# (endpoint, label, who sees it: the same permission the page itself checks)
NAV = [
    ("reports.index", _l("Reports"), permissions.can_read),
    ("portfolio.index", _l("Portfolio"), permissions.can_read),
    ("mydept.index", _l("My department"), permissions.has_department_work),
    ("review.queue", _l("Review queue"), permissions.can_review),
    ("dashboard.index", _l("Dashboard"), permissions.can_view_dashboard),
    ("periods.index", _l("Reporting periods"), permissions.can_read),
    ("knowledge.search", _l("Search"), permissions.can_read),
    ("exports.index", _l("Annual summary"), permissions.can_export),
    ("filing.index", _l("Filed summaries"), permissions.can_export),
    ("admin.index", _l("Administration"), permissions.can_administer),
]


def nav_items(user: Any) -> list[tuple[str, Any]]:
    return [(endpoint, label) for endpoint, label, check in NAV if check(user)]


def nav_badge(user: Any, endpoint: str) -> tuple[int, Any] | None:
    """The count shown beside a nav entry for the role that acts on it, with its words for
    screen readers: reports waiting for review (reviewers, administrators) on the review
    queue, reports returned to the department (editors) on "my department". One COUNT
    statement per page, on the read model's current-period rows."""
    from flask import g

    if endpoint not in ("review.queue", "mydept.index"):
        return None
    if "nav_badges" not in g:
        g.nav_badges = {}
        if permissions.can_review(user):
            n = worklist.nav_count(pending=True)
            g.nav_badges["review.queue"] = (n, _l("waiting for review"))
        elif permissions.has_department_work(user) and user.department_id is not None:
            n = worklist.nav_count(returned_for=user.department_id)
            g.nav_badges["mydept.index"] = (n, _l("returned for revision"))
    badge = g.nav_badges.get(endpoint)
    return badge if badge and badge[0] else None


def prime_badges(badges: dict[str, int]) -> None:
    """A page that has already counted what the navigation shows (the review queue, my
    department) hands its numbers over, saving the navigation's statement."""
    from flask import g

    words = {"review.queue": _l("waiting for review"), "mydept.index": _l("returned for revision")}
    g.nav_badges = {endpoint: (n, words[endpoint]) for endpoint, n in badges.items()}


def nav_current(endpoint: str | None, nav_endpoint: str) -> bool:
    """A nav entry is current for its own page and for pages of the same blueprint."""
    if not endpoint:
        return False
    return endpoint == nav_endpoint or endpoint.split(".", 1)[0] == nav_endpoint.split(".", 1)[0]


def loc(obj: Any, field: str) -> str:
    """``l10n`` usable inside imported macros (which do not see the request context)."""
    return localized(obj, field, current_locale())


def dept_name(dept: Any, empty: str = "—") -> str:
    return dept.name(current_locale()) if dept is not None else empty


def register_nav(app: Flask) -> None:
    @app.context_processor
    def _nav() -> dict[str, Any]:
        return {"nav_items": nav_items, "nav_current": nav_current, "nav_badge": nav_badge}

    # Globals (not context) so that macros imported without context can use them.
    # ``permissions`` is the one place a template asks what the user may do.
    app.jinja_env.globals.update(
        permissions=permissions,
        label=labels.label,
        status_label=labels.status_label,
        loc=loc,
        dept_name=dept_name,
    )
