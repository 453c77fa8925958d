"""Signing in and out: who the e-mail and password name (audited, the same answer whatever
went wrong), and ending a user's sessions.

Operations flush, never commit. Sign-in lives here (not in the view) so that its defences
(throttling and lockout in throttle.py, the second factor in totp.py) wrap one clear function.
"""

from __future__ import annotations

from argon2.exceptions import VerificationError
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow
from . import DomainError
from .audit import record_event
from .passwords import _dummy_hash, password_hasher, verify_password
from .tokens import revoke_all

MAX_EMAIL = 254


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password; audits success and failure.

    Raises DomainError(code="bad_credentials") with one generic message whatever went
    wrong, so the page does not reveal which accounts exist. The caller commits in both
    cases (the audit row of a failure must be kept).
    """
    address = normalise_email(email)[:MAX_EMAIL]
    user = find_user_by_email(address) if address else None
    if user is None:
        # Spend the same time as a real check so response time does not reveal the account.
        try:
            password_hasher().verify(_dummy_hash(password_hasher()), password or "")
        except VerificationError:
            pass
        ok = False
    else:
        ok = verify_password(user, password or "")
    if not ok or user is None or not user.active:
        reason = "unknown_email" if user is None else ("inactive" if ok else "wrong_password")
        record_event(
            "login.failure",
            user=user,
            actor=address,
            object_type="user_account",
            object_id=user.id if user else "",
            after={"reason": reason},
        )
        raise DomainError(_("Wrong e-mail address or password."), field="password", code="bad_credentials")
    user.last_login_at = utcnow()
    record_event("login.success", user=user, obj=user)
    return user


def end_sessions(user: User) -> None:
    """Make every existing session of ``user`` useless (the session id carries the version)."""
    user.session_version = (user.session_version or 1) + 1


def sign_out(user: User) -> None:
    """Sign out: every session of ``user`` ends (a copied cookie stops working); audited.
    Flushes, caller commits."""
    end_sessions(user)
    db.session.flush()
    record_event("logout", user=user, obj=user)


def sign_out_everywhere(user: User) -> int:
    """End every session of ``user`` and revoke every API token (a thief's token too);
    returns how many tokens were revoked. Flushes, caller commits."""
    end_sessions(user)
    db.session.flush()
    record_event("account.sign_out_others", user=user, obj=user)
    return revoke_all(user, reason="signed_out_everywhere")
