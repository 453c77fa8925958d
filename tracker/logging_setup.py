"""Application log: one line per request and per event, with who (user id), what and when.

Every line carries the request id shown on error pages, so a user's report can be
matched to the log. Query strings, form bodies and headers are never logged, and a
last-resort filter masks anything that looks like a credential (ASVS 7.1).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time

from flask import Flask, g, has_request_context, request

LOG_FORMAT = "%(asctime)s %(levelname)s [req=%(request_id)s user=%(user_id)s] %(name)s: %(message)s"

# key=value, "key": "value" and Authorization-style secrets.
_SECRET_PATTERNS = [
    re.compile(
        r"(?i)\b(password|passwd|pwd|secret|token|totp|otp|recovery[_-]?code|csrf_token|api[_-]?key)"
        r"(\s*[=:]\s*|\"\s*:\s*\")([^\s&\",;]+)"
    ),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
]
# A long random-looking path segment is probably a token in a link (e.g. a reset link).
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{24,}(?=/|$)")


def redact(text: str) -> str:
    """Mask values that look like passwords, tokens or codes."""
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)} [redacted]", text)


def remember_user(user) -> None:  # noqa: ANN001
    """Keep the signed-in user's id on ``g`` for log lines (called where the user is loaded).

    Log records read this plain value, never the ORM object: after a failed write the
    object is expired and touching it raises (PendingRollbackError), which would kill
    the error handler that is trying to log the failure.
    """
    uid = getattr(user, "id", None) if user is not None else None
    g.log_user_id = uid if isinstance(uid, int) else None


class RequestContextFilter(logging.Filter):
    """Adds request_id and user_id to every record and scrubs secrets from the message.

    It must never raise: a filter that raises takes the log call (and whatever was
    handling an error) down with it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_tracker_context", False):  # the logger's filter already ran
            return True
        record._tracker_context = True  # type: ignore[attr-defined]
        record.request_id = "-"
        record.user_id = "-"
        try:
            if has_request_context():
                record.request_id = g.get("request_id", "-") or "-"
                uid = g.get("log_user_id")
                record.user_id = str(uid) if uid is not None else "anon"
        except Exception:  # noqa: BLE001
            pass
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not kill logging
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def init_logging(app: Flask) -> None:
    """Log to stderr (gunicorn and systemd collect it) and log every request once."""
    level = (app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL") or ("DEBUG" if app.debug else "INFO")).upper()
    logger = logging.getLogger("tracker")
    logger.setLevel(level)
    # Alembic's env.py runs logging.config.fileConfig, which disables every logger it does
    # not name (after `flask db upgrade` in the same process our lines would vanish).
    for name, existing in list(logging.root.manager.loggerDict.items()):
        if (name == "tracker" or name.startswith("tracker.")) and isinstance(existing, logging.Logger):
            existing.disabled = False
    if not any(getattr(h, "_tracker", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._tracker = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RequestContextFilter())
        logger.addHandler(handler)
    # Records that propagate to other handlers (pytest, gunicorn) get the same fields.
    if not any(isinstance(f, RequestContextFilter) for f in logger.filters):
        logger.addFilter(RequestContextFilter())
    access = logging.getLogger("tracker.access")

    @app.after_request
    def _log_request(resp):  # noqa: ANN001
        if request.endpoint == "static":
            return resp
        ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        # request.path, never the full URL: query strings may carry tokens.
        access.info(
            "%s %s %s %.0fms", request.method, _TOKEN_SEGMENT.sub("[redacted]", request.path), resp.status_code, ms
        )
        return resp
