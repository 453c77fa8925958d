"""Who is asking, and the rule that everyone must say.

- Browser sessions (Flask-Login): the session id is "<user id>:<session version>", so
  bumping a user's session version ends every old session (logout, password change,
  deactivation).
- API personal tokens: ``Authorization: Bearer pbt_...`` on /api/ routes.
- One ``before_request`` guard makes every endpoint require a signed-in user, except
  those in PUBLIC_ENDPOINTS or marked with ``@public``. Pages redirect to the login page
  (with a same-host ``next``); the API answers 401 JSON.
- CSRF: the guard runs Flask-WTF's check itself (WTF_CSRF_CHECK_DEFAULT is switched off)
  so that it can exempt requests authenticated by a bearer token, which a browser never
  sends on its own. API writes that ride on the session cookie still need X-CSRFToken.
- Every 403 answer is written to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy.orm import joinedload

from ..extensions import csrf, db, login_manager
from ..logging_setup import remember_user
from ..models import User
from ..services.sessions import LOGIN_AT, SEEN_AT

# Endpoints anyone may open. Prefer the @public decorator for new ones.
PUBLIC_ENDPOINTS = {"auth.login", "static"}
# Session keys kept across the new session created at login (not identity-related).
KEPT_SESSION_KEYS = ("lang",)


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (e.g. a health check)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Session id is "<user id>:<session version>": bumping the version ends old sessions."""
    try:
        uid, version = (int(p) for p in user_key.split(":", 1))
    except ValueError:
        return None
    # The department comes in the same statement: the navigation and most pages name it.
    user = db.session.get(User, uid, options=[joinedload(User.department)])
    if user is None or not user.active or user.session_version != version:
        return None
    remember_user(user)
    return user


@login_manager.request_loader
def load_user_from_token(req: Any) -> User | None:
    """API only: a personal token in ``Authorization: Bearer``."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    from ..services.tokens import user_for_token

    user = user_for_token(raw.strip())
    if user is not None:
        g.auth_via_token = True
        g.api_user = user
        remember_user(user)
        # last_used_at was touched; store it now, before the view's own transaction starts.
        db.session.commit()
    return user


def session_payload(user: User) -> dict:
    """Session keys set at login (Flask-Login's user id carries the session version;
    the time stamps start the idle and absolute timeouts, see services/sessions.py)."""
    now = int(time.time())
    return {"_user_id": user.get_id(), "_fresh": True, LOGIN_AT: now, SEEN_AT: now}


def start_session(user: User) -> None:
    """A brand-new session for ``user`` (no fixation: the old session's contents are dropped)."""
    kept = {k: session[k] for k in KEPT_SESSION_KEYS if k in session}
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the old session's token for this request
    login_user(user, fresh=True)
    remember_user(user)
    session.update(session_payload(user))
    session.update(kept)


def end_session() -> None:
    from flask_login import logout_user

    kept = {k: session[k] for k in KEPT_SESSION_KEYS if k in session}
    logout_user()
    session.clear()
    session.update(kept)


def is_safe_next(target: str | None) -> bool:
    """Only a path on this host: no scheme, no host, no '//' or backslash tricks.

    Browsers drop tabs and newlines and read "\\" as "/", so "/\\t/evil" means "//evil".
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default


# Where each role lands after signing in and on "/": on its work (docs/domain.md "Users").
LANDING = {
    "reviewer": "review.queue",  # reports waiting for review
    "admin": "review.queue",  # administrators review too; administration is one click away
    "editor": "mydept.index",  # the department's items and what is due this period
    "viewer": "dashboard.index",  # overall progress
}


def landing_url(user: Any) -> str:
    """Where a user starts: reviewers and administrators on the review queue, editors on
    their department's page, viewers on the dashboard (the reports list otherwise)."""
    role = getattr(getattr(user, "role", None), "value", None)
    endpoint = LANDING.get(role or "")
    if role == "editor" and getattr(user, "department_id", None) is None:
        endpoint = None
    if endpoint:
        return url_for(endpoint)
    return url_for("reports.index")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _is_public_endpoint() -> bool:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let routing answer 404/405
        return True
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def _require_login():
    from .errors import ensure_request_id, json_error

    ensure_request_id()
    if _is_public_endpoint():
        if request.endpoint is not None:
            _check_csrf()
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            resp = json_error(
                401,
                str(_l("Sign in, or send a personal API token as 'Authorization: Bearer <token>'.")),
                code="unauthorized",
            )
            resp.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
            return resp
        # After signing in, come back here (or, for a refused POST, to the page that sent it).
        target = (
            (request.full_path if request.query_string else request.path)
            if request.method == "GET"
            else _path_of(request.referrer)
        )
        return redirect(url_for("auth.login", next=target if is_safe_next(target) else None))
    _check_csrf()
    return None


def _path_of(url: str | None) -> str | None:
    """The same-host path of a referrer, or None for another host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _check_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if g.get("auth_via_token"):
        return
    csrf.protect(apply_exemptions=True)


def _audit_forbidden(response):  # noqa: ANN001
    """Log every 403 once (operations that log their own denial set g.denial_logged)."""
    if response.status_code != 403 or g.get("denial_logged"):
        return response
    from ..services.audit import record_event

    try:
        db.session.rollback()
        user = current_user if current_user.is_authenticated else None
        record_event(
            "access.denied",
            user=user,
            object_type="endpoint",
            object_id=request.endpoint or "",
            note=f"{request.method} {request.path}"[:500],
        )
        db.session.commit()
    except Exception:  # pragma: no cover - never turn a 403 into a 500 because of the log
        db.session.rollback()
        current_app.logger.exception("could not audit a 403")
    return response


def register_authn(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    # The guard below runs CSRF checks itself, after authentication (see module docstring).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_require_login)
    app.after_request(_audit_forbidden)
