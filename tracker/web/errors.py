"""Error pages for the browser and JSON errors for the API, with a request id.

The server-error path must hold when everything else has failed: it rolls the
database session back first (a failed flush leaves it unusable), logs one line with
the request id, answers JSON under /api/ and the error page elsewhere, and adds the
security headers itself. If even the error page cannot be rendered, a fixed page is
sent instead, so the answer is never a bare server default.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path

from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("tracker")

# A client-chosen request id is accepted only as a short token of safe characters: it is
# written into every log line, where anything else could forge fields.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

# Sent when even the error template fails (read now: the disk or the template engine may be
# what broke later). Bilingual, with a {request_id} placeholder.
_FALLBACK_PAGE = (Path(__file__).resolve().parent.parent / "data" / "fallback-500.html").read_text(encoding="utf-8")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def json_error(status: int, message: str, code: str | None = None, **extra: object):
    body = {
        "error": {
            "status": status,
            "code": code or str(status),
            "message": message,
            "request_id": g.get("request_id", ""),
        }
    }
    body["error"].update(extra)
    resp = jsonify(body)
    resp.status_code = status
    return resp


def error_response(status: int, message: str, code: str | None = None):
    """A refused request: the JSON error for the API, the generic error page with ``message`` otherwise."""
    ensure_request_id()
    if wants_json():
        return json_error(status, message, code=code)
    return render_template("errors/generic.html", error=None, status=status, message=message), status


def ensure_request_id() -> str:
    """The request id (from a well-formed X-Request-Id, or new); idempotent, so earlier hooks may call it."""
    if not g.get("request_id"):
        supplied = request.headers.get("X-Request-Id", "").strip()
        g.request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex[:16]
    return g.request_id


def _rollback() -> None:
    try:
        from ..extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be gone; the error answer must still go out
        log.warning("rollback after a server error failed", exc_info=True)


def server_error(exc: BaseException | None):
    """The answer to any unhandled error: rollback, one log line, JSON or page, security headers."""
    _rollback()
    request_id = ""
    try:
        request_id = ensure_request_id()
    except Exception:  # noqa: BLE001
        request_id = uuid.uuid4().hex[:16]
    original = getattr(exc, "original_exception", None) or exc
    try:
        log.error(
            "Unhandled error (request %s): %s",
            request_id,
            type(original).__name__,
            exc_info=(type(original), original, original.__traceback__)
            if isinstance(original, BaseException)
            else None,
        )
    except Exception:  # noqa: BLE001 - logging must never stop the answer
        pass
    g.error_logged = True
    resp: Response
    try:
        if wants_json():
            resp = json_error(500, "Internal server error", code="internal_error")
        else:
            resp = Response(render_template("errors/500.html", error=None, status=500), 500, mimetype="text/html")
    except Exception:  # noqa: BLE001 - the page itself failed (database, template): send a fixed one
        _rollback()
        if has_request_context() and request.path.startswith("/api/"):
            resp = Response(
                '{"error":{"status":500,"code":"internal_error","message":"Internal server error",'
                f'"request_id":"{request_id}"}}}}',
                500,
                mimetype="application/json",
            )
        else:
            resp = Response(_FALLBACK_PAGE.format(request_id=request_id), 500, mimetype="text/html")
    resp.status_code = 500
    finish_response(resp)
    return resp


def finish_response(resp: Response) -> Response:
    """Headers every answer carries, also when after_request hooks do not run."""
    from ..security import apply_security_headers

    resp.headers["X-Request-Id"] = g.get("request_id", "")
    apply_security_headers(resp)
    return resp


def register_error_handlers(app: Flask) -> None:
    # server_error() logs every unhandled error once, with the request id; Flask's own
    # "Exception on ..." line would be a second, differently formatted copy.
    app.log_exception = lambda exc_info: None  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status >= 500 and isinstance(exc, InternalServerError):
            return server_error(exc)
        if status >= 500:
            _rollback()
        if wants_json():
            data = getattr(exc, "data", None) or {}
            extra = {"fields": data["messages"]} if data.get("messages") else {}
            resp = json_error(status, exc.description or exc.name, code=exc.name.lower().replace(" ", "_"), **extra)
        else:
            template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
            resp = Response(render_template(template, error=exc, status=status), status, mimetype="text/html")
        # Headers the error defines: Allow on 405, WWW-Authenticate on 401, Retry-After ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        return server_error(exc)
