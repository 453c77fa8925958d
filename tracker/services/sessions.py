"""Session lifetime rules: idle and absolute timeouts, and the second-factor mark.

The session cookie is signed, so these stamps cannot be forged; they live in the
session itself so every gunicorn worker sees the same values without a server-side
store. Ending *all* sessions of a user is done by bumping ``User.session_version``
(see web/authn.py). Functions here take the session mapping, never the request.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
SECOND_FACTOR = "_2fa"
# Writing the cookie on every request is wasteful; a minute of slack is invisible.
TOUCH_EVERY_SECONDS = 60


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def stamp_login(session: MutableMapping[str, Any], now: float | None = None) -> None:
    """Start the idle and absolute clocks (call right after a successful sign-in)."""
    t = int(_now(now))
    session[LOGIN_AT] = t
    session[SEEN_AT] = t


def expiry_reason(
    session: MutableMapping[str, Any], *, idle_minutes: int, absolute_hours: int, now: float | None = None
) -> str | None:
    """ "idle" or "absolute" if the signed-in session has run out, else None.

    A session without stamps (signed in before this rule existed) is stamped now.
    """
    t = _now(now)
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, (int, float)) or not isinstance(seen_at, (int, float)):
        stamp_login(session, t)
        return None
    if absolute_hours > 0 and t - login_at > absolute_hours * 3600:
        return "absolute"
    if idle_minutes > 0 and t - seen_at > idle_minutes * 60:
        return "idle"
    return None


def touch(session: MutableMapping[str, Any], now: float | None = None) -> None:
    """Record activity (restarts the idle clock)."""
    t = int(_now(now))
    if t - int(session.get(SEEN_AT) or 0) >= TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = t


def mark_second_factor(session: MutableMapping[str, Any], user: Any) -> None:
    """Record that ``user`` (at its current session version) passed the second factor."""
    session[SECOND_FACTOR] = user.get_id()


def second_factor_done(session: MutableMapping[str, Any], user: Any) -> bool:
    return session.get(SECOND_FACTOR) == user.get_id()
