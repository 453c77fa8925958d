"""Main navigation: only endpoints that exist and that the user may open are shown."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

# (endpoint, label, roles allowed or None for everyone signed in)
NAV = [
    ("reports.index", _l("Reports"), None),
    ("mydept.index", _l("My department"), ("editor",)),
    ("review.queue", _l("Review queue"), ("reviewer", "admin")),
    ("dashboard.index", _l("Dashboard"), ("reviewer", "viewer", "admin")),
    ("exports.index", _l("Annual summary"), ("reviewer", "viewer", "admin")),
    ("admin.index", _l("Administration"), ("admin",)),
]


def nav_items(user: Any) -> list[tuple[str, Any]]:
    role = getattr(getattr(user, "role", None), "value", None)
    items = []
    for endpoint, label, roles in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if roles is not None and role not in roles:
            continue
        items.append((endpoint, label))
    return items


def register_nav(app: Flask) -> None:
    @app.context_processor
    def _nav() -> dict[str, Any]:
        return {"nav_items": nav_items}
