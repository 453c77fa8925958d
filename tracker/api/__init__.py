"""REST API v1 (flask-smorest): same services as the web pages."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

API_MODULES = [
    "reports",
    "updates",
    "summary",
    "structure",
]


def register_api(app: Flask) -> None:
    from ..extensions import api
    from .common import document_api
    from .errors import register_api_errors

    document_api(api, app)
    for name in API_MODULES:
        module = import_module(f"{__name__}.{name}")
        api.register_blueprint(module.blp)
    register_api_errors(app)
