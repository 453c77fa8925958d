"""Error pages for the browser and JSON errors for the API, with a request id."""
from __future__ import annotations

import logging
import uuid

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("tracker")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def json_error(status: int, message: str, code: str | None = None, **extra: object):
    body = {"error": {"status": status, "code": code or str(status), "message": message,
                      "request_id": g.get("request_id", "")}}
    body["error"].update(extra)
    resp = jsonify(body)
    resp.status_code = status
    return resp


def ensure_request_id() -> str:
    """The request id (from X-Request-Id or new); idempotent, so earlier hooks may call it."""
    if not g.get("request_id"):
        g.request_id = request.headers.get("X-Request-Id", "")[:40] or uuid.uuid4().hex[:16]
    return g.request_id


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        ensure_request_id()

    @app.after_request
    def _echo_request_id(resp):  # noqa: ANN001
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            data = getattr(exc, "data", None) or {}
            extra = {"fields": data["messages"]} if data.get("messages") else {}
            return json_error(status, exc.description or exc.name,
                              code=exc.name.lower().replace(" ", "_"), **extra)
        template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
        return render_template(template, error=exc, status=status), status

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        log.exception("Unhandled error (request %s)", g.get("request_id", ""))
        if wants_json():
            return json_error(500, "Internal server error", code="internal_error")
        return render_template("errors/500.html", error=None, status=500), 500
