"""Personal API tokens: shown once, stored as a SHA-256 digest, revocable.

A token is a credential of its own, so it must not outlive the events that end a
user's sessions: a password change or reset, "sign out everywhere" and deactivation
revoke every token of the user (``revoke_all``), or a token made with a stolen
password would keep working after the victim secured the account. Making a token
asks for the password again (and the second factor when the user has one).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..inputs import bidi_message, has_bidi_control
from ..models import ApiToken, User, utcnow
from . import DomainError, NotFound
from .audit import record_event

TOKEN_PREFIX = "pbt_"
# Why a token was revoked (ApiToken.revoked_reason), with the words the token page shows.
REVOKE_REASONS = {
    "owner": _l("revoked by you"),
    "password_changed": _l("your password was changed"),
    "password_reset": _l("an administrator set a new password"),
    "signed_out_everywhere": _l("you signed out everywhere"),
    "deactivated": _l("the account was deactivated"),
}
# last_used_at is refreshed at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def check_token_name(name: str | None) -> str:
    """The cleaned token name. Raises DomainError(field="name")."""
    name = (name or "").strip()
    if not name:
        raise DomainError(
            _("Give the token a name, e.g. the script that uses it."),
            field="name",
            errors={"name": _("Give the token a name, e.g. the script that uses it.")},
        )
    if len(name) > 120:
        raise DomainError(
            _("Use at most %(n)d characters.", n=120),
            field="name",
            errors={"name": _("Use at most %(n)d characters.", n=120)},
        )
    if has_bidi_control(name):
        raise DomainError(bidi_message(), field="name", errors={"name": bidi_message()})
    return name


def create_token(
    user: User, name: str, *, actor: User | None = None, actor_label: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the raw token (never stored). Raises DomainError.

    The web page calls ``reauthenticate`` first; the CLI (operators on the server) does not."""
    name = check_token_name(name)
    if not user.active:
        raise DomainError(_("This account is deactivated."), code="inactive")
    # 32 random bytes; the readable prefix lets people tell their tokens apart.
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=digest(raw), prefix=raw[:10], expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record_event(
        "token.create",
        user=actor or user,
        obj=token,
        actor=actor_label,
        after={"owner": user.email, "name": name, "prefix": token.prefix},
    )
    return token, raw


def reauthenticate(user: User, password: str | None, code: str | None) -> None:
    """Check the password again (and the second factor when the user has one) before a
    token is made: a stolen session alone must not mint a credential that outlives it.

    Password tries count against the same database lock as sign-in (and codes against the
    second-factor lock). Raises DomainError with ``errors`` by field ("password", "code").
    Commits the attempt count (see throttle.begin_attempt); the caller commits the rest.
    """
    from . import passwords, totp
    from .throttle import begin_attempt, generic_message, login_key, record_failure, reset

    key = login_key(user.email)
    if not begin_attempt(key):
        record_event("token.create_refused", user=user, obj=user, note="account locked")
        message = generic_message()
        raise DomainError(message, field="password", code="locked", errors={"password": message})
    if not passwords.check_current_password(user, password):
        record_failure(key)
        record_event("token.create_refused", user=user, obj=user, note="wrong password")
        message = _("Your password is not correct; nothing was changed.")
        raise DomainError(message, field="password", code="wrong_password", errors={"password": message})
    reset(key)
    if user.totp_enabled:
        if not totp.verify(user, code):
            record_event("token.create_refused", user=user, obj=user, note="wrong second-factor code")
            message = _("That code is not correct or was already used.")
            raise DomainError(message, field="code", code="bad_code", errors={"code": message})


def revoke_token(token: ApiToken, *, actor: User | None = None) -> None:
    """Stop the token from working (kept for the record)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_reason = "owner"
    db.session.flush()
    record_event("token.revoke", user=actor, obj=token, after={"owner_id": token.user_id, "prefix": token.prefix})


def revoke_all(user: User, *, reason: str, actor: User | None = None, actor_label: str = "") -> int:
    """Revoke every active token of ``user`` (one UPDATE); returns how many. Audited as
    "token.revoke_all" with the reason when there was any. Flushes, caller commits."""
    if reason not in REVOKE_REASONS:
        raise ValueError(f"unknown revoke reason {reason!r}")
    now = utcnow()
    prefixes = list(
        db.session.scalars(select(ApiToken.prefix).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    )
    if not prefixes:
        return 0
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    record_event(
        "token.revoke_all",
        user=actor if actor is not None else user,
        obj=user,
        actor=actor_label,
        after={"owner": user.email, "reason": reason, "count": len(prefixes), "prefixes": prefixes},
    )
    return len(prefixes)


def revoked_reason_label(token: ApiToken) -> str:
    """Why the token was revoked, in the page's language ("" when unknown or active)."""
    label = REVOKE_REASONS.get(token.revoked_reason or "")
    return str(label) if label else ""


def user_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_own_token(user: User, token_id: int) -> ApiToken:
    """The user's own token. Raises NotFound for someone else's (existence is not revealed)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    return token


def user_for_token(raw: str) -> User | None:
    """The active owner of a valid (known, unrevoked, unexpired) token, else None.

    Touches last_used_at with a single guarded UPDATE; the caller commits.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    user = token.user
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return user
