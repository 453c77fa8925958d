"""API errors: always JSON with a reason. HTTP errors (including flask-smorest's
422 validation errors, whose field messages are kept) go through web/errors.py."""

from __future__ import annotations

from flask import Flask

from ..services import DomainError
from ..web.errors import json_error


def domain_error_response(exc: DomainError):
    """JSON body for a broken business rule: message, code, field and extras."""
    extra = dict(exc.extra)
    if exc.field:
        extra["field"] = exc.field
    return json_error(exc.status_code, str(exc.message), code=exc.code, **extra)


def register_api_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        from flask import render_template, request

        if request.path.startswith("/api/"):
            return domain_error_response(exc)
        status = exc.status_code
        template = f"errors/{status}.html" if status in (403, 404) else "errors/generic.html"
        return render_template(template, error=None, status=status, message=exc.message), status
