"""Web blueprints, one per screen family. Each module exposes ``bp``."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# Add a module here when you add a screen family (order = registration order).
WEB_MODULES = [
    "reports",
    "auth",
    "mydept",
    "actions",
    "admin",
    "drafts",
    "knowledge",
    "review",
    "dashboard",
    "periods",
    "portfolio",
    "bulk",
    "exports",
    "filing",
    "account",
    "health",
    "datefield",
]


def register_web(app: Flask) -> None:
    from .authn import register_authn
    from .nav import register_nav

    register_authn(app)

    for name in WEB_MODULES:
        module = import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
    register_nav(app)
