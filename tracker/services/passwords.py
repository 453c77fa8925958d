"""Password policy: what a new password must satisfy, changing it, expiry and history.

Default = OWASP ASVS 4.0 level 2 (V2.1): 12–128 characters, any characters, checked
against a list of common (breached) passwords, no composition rules, no forced rotation.
Taiwan's 資通系統防護基準 adds complexity, a maximum age and no reuse of the last three;
those are off by default and switched on with PASSWORD_REQUIRE_COMPLEXITY,
PASSWORD_MAX_AGE_DAYS and PASSWORD_HISTORY (docs/security.md explains the choice).
Hashing is argon2id, here too (``hash_password``, ``verify_password``; ARGON2_PARAMS sets its cost).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import PasswordHistory, User, utcnow
from . import DomainError
from .audit import record_event

DEFAULT_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
# Words an attacker tries first against this particular system.
SERVICE_WORDS = {"tainan", "tracker", "benchmark", "policy", "israel", "admin", "administrator"}
_TRAILING_JUNK = re.compile(r"[\d\W_]+$")
_LEADING_JUNK = re.compile(r"^[\d\W_]+")

# Only verifies: argon2 reads the parameters from each stored hash.
_verifier = PasswordHasher()


# --- hashing -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _hasher_for(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def password_hasher() -> PasswordHasher:
    """argon2id with the library's RFC 9106 defaults, or ``ARGON2_PARAMS`` (tests use cheap ones)."""
    params = current_app.config.get("ARGON2_PARAMS") or {}
    return _hasher_for(tuple(sorted(params.items())))


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a real password: equalises timing for unknown e-mails")


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """True if ``password`` matches; upgrades the stored hash when parameters changed."""
    hasher = password_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def password_problem(password: str | None, user: User | None = None) -> str | None:
    """The reasons a new password is refused, or None (the policy below: ASVS length and
    common-password list; 防護基準 rules when configured)."""
    return " ".join(validate_new_password(user, password)) or None


# --- policy ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_list(path: str) -> frozenset[str]:
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.rstrip("\n").lower() for line in fh if line.rstrip("\n"))


def common_passwords() -> frozenset[str]:
    """The bundled list (or PASSWORD_LIST_PATH), lowercased."""
    return _load_list(str(current_app.config.get("PASSWORD_LIST_PATH") or DEFAULT_LIST))


def _is_common(password: str, user: User | None) -> bool:
    """True for a listed password, also with digits or symbols stuck on either end
    (``Password2024!``), or the user's own e-mail name or a word about this system."""
    listed = common_passwords()
    lowered = password.lower()
    core = _LEADING_JUNK.sub("", _TRAILING_JUNK.sub("", lowered))
    words = set(SERVICE_WORDS)
    if user is not None and user.email:
        local = user.email.split("@", 1)[0].lower()
        words |= {local, _TRAILING_JUNK.sub("", local)}
        if user.name:
            words.add("".join(user.name.lower().split()))
    candidates = {lowered, core, "".join(lowered.split()), "".join(core.split())}
    if any(c in listed or c in words for c in candidates if c):
        return True
    # A short unit or a listed word repeated ("111111111111", "abcabcabcabc", "qwertyqwerty").
    for text in {core, lowered}:
        for size in range(1, len(text) // 2 + 1):
            if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
                if size <= 4 or text[:size] in listed or text[:size] in words:
                    return True
                break
    return False


def _complexity_problem(password: str) -> str | None:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if not all(classes):
        return _("Use upper-case and lower-case letters, digits and symbols.")
    return None


def _reused(user: User, password: str, count: int) -> bool:
    """True if ``password`` is the current one or one of the ``count - 1`` before it."""
    hashes = [user.password_hash] if user.password_hash else []
    if count > 1 and user.id is not None:
        hashes += list(
            db.session.scalars(
                select(PasswordHistory.password_hash)
                .where(PasswordHistory.user_id == user.id)
                .order_by(PasswordHistory.id.desc())
                .limit(count - 1)
            )
        )
    for stored in hashes:
        try:
            if _verifier.verify(stored, password):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def validate_new_password(user: User | None, password: str | None) -> list[str]:
    """Every reason ``password`` is refused as ``user``'s new password (empty list: accepted)."""
    cfg = current_app.config
    low, high = cfg.get("PASSWORD_MIN_LENGTH", 12), cfg.get("PASSWORD_MAX_LENGTH", 128)
    password = password or ""
    problems: list[str] = []
    if len(password) < low:
        problems.append(_("Use a password of at least %(n)d characters.", n=low))
    elif len(password) > high:
        problems.append(_("Use a password of at most %(n)d characters.", n=high))
    if password and len(password) <= high and _is_common(password, user):
        problems.append(
            _(
                "This password is too common or too easy to guess; choose another one, "
                "for example a few unrelated words."
            )
        )
    if cfg.get("PASSWORD_REQUIRE_COMPLEXITY"):
        problem = _complexity_problem(password)
        if problem:
            problems.append(problem)
    history = int(cfg.get("PASSWORD_HISTORY") or 0)
    if user is not None and history > 0 and password and _reused(user, password, history):
        problems.append(_("Choose a password you have not used for your last %(n)d passwords.", n=history))
    return problems


def remember_old_password(user: User) -> None:
    """Keep the current hash in the history before it is replaced (for PASSWORD_HISTORY)."""
    if user.id is not None and user.password_hash:
        db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))


def password_expired(user: User, now: datetime | None = None) -> bool:
    """True if PASSWORD_MAX_AGE_DAYS is set and the password is older than that."""
    days = int(current_app.config.get("PASSWORD_MAX_AGE_DAYS") or 0)
    if days <= 0 or user.password_changed_at is None:
        return False
    return (now or utcnow()) - user.password_changed_at > timedelta(days=days)


def check_current_password(user: User, password: str | None) -> bool:
    try:
        return _verifier.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def confirm_password(user: User, password: str | None) -> bool:
    """The signed-in user typed their password again before a sensitive change: is it theirs?
    A wrong one is audited (``account.password_confirm_failed``); the caller commits."""
    if check_current_password(user, password):
        return True
    record_event("account.password_confirm_failed", user=user, obj=user)
    return False


def change_password(user: User, current: str | None, new: str | None) -> int:
    """Change one's own password; ends the user's other sessions and revokes every API
    token (a token made with a stolen password must not survive). Returns how many
    tokens were revoked.

    Raises DomainError(field="current_password") if the current password is wrong and
    DomainError(field="new_password", errors=...) if the new one breaks the policy.
    """
    if not check_current_password(user, current):
        record_event("account.password_change_refused", user=user, obj=user, note="wrong current password")
        message = _("Your current password is not correct.")
        raise DomainError(
            message, field="current_password", code="wrong_password", errors={"current_password": message}
        )
    problems = validate_new_password(user, new)
    if problems:
        raise DomainError(
            " ".join(problems), field="new_password", code="weak_password", errors={"new_password": " ".join(problems)}
        )
    remember_old_password(user)
    user.password_hash = hash_password(new or "")
    user.password_changed_at = utcnow()
    # The session id carries the version: every other browser is signed out.
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()
    record_event("account.password_change", user=user, obj=user, note="password changed by its owner")
    from .tokens import revoke_all

    return revoke_all(user, reason="password_changed")
