"""What a successful login puts in the session (kept in one place so the test
helper and the login view cannot drift apart)."""

from __future__ import annotations


def for_user(user) -> dict:
    from tracker.web.authn import session_payload

    return session_payload(user)
