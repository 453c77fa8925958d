"""Second factor: TOTP (RFC 6238, pyotp) with one-time recovery codes.

Available to every user; required for the roles in TOTP_REQUIRED_ROLES (production
default: reviewer, admin). A code is accepted once (the last accepted time step is
stored) and wrong codes count against the same database throttle as passwords.
Recovery codes are shown once and stored as salted SHA-256 digests (ASVS 2.6.2).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import RecoveryCode, User, utcnow
from . import DomainError
from .audit import record_event
from .throttle import begin_attempt, generic_message, record_failure, reset, second_factor_key

ISSUER = "Tainan Policy Benchmark Tracker"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# One step either side absorbs clock drift of up to 30 s (RFC 6238 §5.2).
VALID_WINDOW = 1
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 recommends at least 128 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (typed or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def format_secret(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def is_required(user: User) -> bool:
    """True if the user's role must use a second factor (TOTP_REQUIRED_ROLES)."""
    roles = current_app.config.get("TOTP_REQUIRED_ROLES") or ()
    if isinstance(roles, str):
        roles = tuple(r for r in roles.split(",") if r)
    return user.role is not None and user.role.value in {r.strip().lower() for r in roles}


def _matching_counter(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals ``code`` within the window, else None."""
    code = "".join(code.split())
    # ASCII only: "١٢٣٤٥٦".isdigit() is true, and compare_digest refuses non-ASCII text.
    if not _SIX_DIGITS.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    t = time.time() if now is None else now
    current = int(t // totp.interval)
    for counter in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _hash_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{_normalise_code(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def _code_matches(stored: str, code: str) -> bool:
    try:
        scheme, salt, _digest = stored.split("$", 2)
    except ValueError:
        return False
    return scheme == "sha256" and hmac.compare_digest(_hash_code(code, salt), stored)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new ones; returns them (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    db.session.flush()
    record_event("account.recovery_codes", user=user, obj=user, note="new recovery codes generated")
    return codes


def remaining_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def enable(user: User, secret: str, code: str | None) -> list[str]:
    """Turn TOTP on after the user proved their app has ``secret``; returns new recovery codes.

    Raises DomainError(field="code") if the code does not match.
    """
    counter = _matching_counter(secret, code or "")
    if counter is None:
        message = _("That code does not match. Check the time on your phone and try the newest code.")
        raise DomainError(message, field="code", code="bad_code", errors={"code": message})
    user.totp_secret = secret
    user.totp_enabled = True
    user.totp_last_counter = counter
    db.session.flush()
    record_event("account.totp_enable", user=user, obj=user, note="second factor turned on")
    return regenerate_recovery_codes(user)


def disable(user: User, *, actor: User | None = None, by_operator: bool = False) -> None:
    """Turn TOTP off (the caller checked the password, or an administrator or operator resets it).

    Raises DomainError if the user's own role requires it."""
    if is_required(user) and not by_operator and (actor is None or actor.id == user.id):
        raise DomainError(_("Your role must use a second factor; it cannot be turned off."), code="totp_required")
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    record_event(
        "account.totp_disable",
        user=actor or (None if by_operator else user),
        obj=user,
        actor="command line" if by_operator and actor is None else "",
        note="second factor turned off",
    )


def verify(user: User, code: str | None) -> bool:
    """Check a TOTP or recovery code at sign-in; True if accepted. Flushes, caller commits.

    Raises DomainError (generic message) while too many wrong codes have locked the
    account; every attempt is counted (and committed) before the code is checked, and
    wrong codes keep counting towards that lock.
    """
    key = second_factor_key(user)
    if not begin_attempt(key):  # counted (and committed) before the code is checked
        record_event("login.second_factor_locked", user=user, obj=user)
        raise DomainError(generic_message(), field="code", code="locked")
    code = (code or "").strip()
    ok = False
    method = "totp"
    if user.totp_enabled and user.totp_secret:
        counter = _matching_counter(user.totp_secret, code)
        # A code already used (replayed or shoulder-surfed) is refused.
        if counter is not None and (user.totp_last_counter is None or counter > user.totp_last_counter):
            user.totp_last_counter = counter
            ok = True
        elif counter is None and len(_normalise_code(code)) == 12:
            method = "recovery_code"
            ok = _use_recovery_code(user, code)
    if ok:
        reset(key)
        record_event("login.second_factor", user=user, obj=user, after={"method": method})
        db.session.flush()
        return True
    if record_failure(key):
        record_event("login.second_factor_lock", user=user, obj=user)
    record_event("login.second_factor_failure", user=user, obj=user)
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    rows = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for row in rows:
        if _code_matches(row.code_hash, code):
            row.used_at = utcnow()
            return True
    return False
