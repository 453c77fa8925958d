"""Login throttling kept in the database, so every gunicorn worker sees the same counts.

Per account (the key is the e-mail address typed, whether or not it exists, so the
lock reveals nothing): after LOGIN_MAX_FAILURES failures in a row the key is locked for
LOGIN_LOCK_MINUTES (資通系統防護基準: 5 failures, 15 minutes). The same counters guard
second-factor codes under the key ``2fa:<user id>``.

Every attempt is counted *before* the credential is checked (``begin_attempt``: one
atomic ``UPDATE ... SET failures = failures + 1 ... RETURNING``, committed at once), and
an attempt whose number is beyond the limit is refused without checking anything. So
parallel guesses cannot all read "not locked" during the one-second password hash and
be counted afterwards: with a limit of 5, at most 5 passwords are ever verified between
two successes, however many workers or threads try at once. A success resets the count.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import LoginThrottle, User, utcnow
from . import DomainError
from .audit import record_event

log = logging.getLogger("tracker.security")

KEY_LENGTH = 254


def generic_message() -> str:
    """The one answer to every failed sign-in: it does not say which part was wrong."""
    return _("E-mail or password is incorrect, or the account is temporarily locked.")


def login_key(email: str | None) -> str:
    return (email or "").strip().lower()[:KEY_LENGTH]


def second_factor_key(user: User) -> str:
    return f"2fa:{user.id}"


def _limits() -> tuple[int, timedelta]:
    cfg = current_app.config
    return int(cfg.get("LOGIN_MAX_FAILURES", 5)), timedelta(minutes=int(cfg.get("LOGIN_LOCK_MINUTES", 15)))


def locked_until(key: str, now: datetime | None = None) -> datetime | None:
    """When the lock on ``key`` ends, or None if it is not locked."""
    now = now or utcnow()
    until = db.session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.email == key))
    return until if until is not None and until > now else None


def begin_attempt(key: str, now: datetime | None = None) -> bool:
    """Count one attempt for ``key`` before its credential is checked; True if it may be checked.

    False when the key is locked, or when this attempt is beyond the limit (others are in
    flight or failed); the latter also sets the lock. Commits: the count must be visible to
    every worker before the slow check starts.
    """
    now = now or utcnow()
    max_failures, lock_for = _limits()
    table = LoginThrottle.__table__
    _ensure_row(key, now)
    attempt = db.session.execute(
        update(table)
        .where(table.c.email == key, table.c.locked_until.is_(None))
        .values(failures=table.c.failures + 1, updated_at=now)
        .returning(table.c.failures)
    ).scalar()
    allowed = attempt is not None and attempt <= max_failures
    if attempt is not None and not allowed:
        db.session.execute(
            update(table)
            .where(table.c.email == key, table.c.locked_until.is_(None))
            .values(locked_until=now + lock_for)
        )
    db.session.commit()
    return allowed


def record_failure(key: str, now: datetime | None = None) -> bool:
    """After a wrong credential whose attempt ``begin_attempt`` counted: lock the key once the
    count reached the limit. True if this failure set the lock. Flushes, caller commits."""
    now = now or utcnow()
    max_failures, lock_for = _limits()
    table = LoginThrottle.__table__
    failures = db.session.scalar(select(table.c.failures).where(table.c.email == key)) or 0
    if failures < max_failures:
        _mirror(key, failures, None)
        return False
    until = now + lock_for
    locked = (
        db.session.execute(
            update(table)
            .where(table.c.email == key, table.c.locked_until.is_(None))
            .values(locked_until=until)
            .returning(table.c.id)
        ).first()
        is not None
    )
    _mirror(key, failures, until)
    return locked


def _ensure_row(key: str, now: datetime) -> None:
    """The key's row exists; an expired lock starts a fresh count."""
    table = LoginThrottle.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(table).values(email=key, failures=0, updated_at=now).on_conflict_do_nothing(index_elements=["email"])
    )
    db.session.execute(
        update(table)
        .where(table.c.email == key, table.c.locked_until.is_not(None), table.c.locked_until <= now)
        .values(failures=0, locked_until=None)
    )


def register_failure(key: str, now: datetime | None = None) -> bool:
    """Count one failure for ``key``; True if this failure locked it. Flushes, caller commits."""
    now = now or utcnow()
    max_failures, lock_for = _limits()
    table = LoginThrottle.__table__
    _ensure_row(key, now)
    failures = db.session.execute(
        update(table)
        .where(table.c.email == key)
        .values(failures=table.c.failures + 1, updated_at=now)
        .returning(table.c.failures)
    ).scalar_one()
    if failures < max_failures:
        _mirror(key, failures, None)
        return False
    until = now + lock_for
    # Only the attempt that crosses the limit sets the lock; concurrent ones see it set.
    locked = (
        db.session.execute(
            update(table)
            .where(table.c.email == key, table.c.locked_until.is_(None))
            .values(locked_until=until)
            .returning(table.c.id)
        ).first()
        is not None
    )
    _mirror(key, failures, until)
    return locked


def _mirror(key: str, failures: int, until: datetime | None) -> None:
    """Keep User.failed_logins / locked_until in step for the admin screens."""
    if key.startswith("2fa:"):
        return
    values: dict = {"failed_logins": failures}
    if until is not None:
        values["locked_until"] = until
    db.session.execute(
        update(User).where(User.email == key).values(**values).execution_options(synchronize_session=False)
    )


def reset(key: str) -> None:
    """Forget failures after a success (writes only if there is something to forget)."""
    table = LoginThrottle.__table__
    db.session.execute(
        update(table)
        .where(table.c.email == key, table.c.failures > 0)
        .values(failures=0, locked_until=None, updated_at=utcnow())
    )
    if not key.startswith("2fa:"):
        db.session.execute(
            update(User)
            .where(User.email == key, User.failed_logins > 0)
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )


def check_login(email: str | None, password: str | None) -> User:
    """The signed-in user for these credentials, throttled per account.

    Raises DomainError(code="bad_credentials") with one generic message when the
    address is unknown, the password wrong, the account inactive or locked. The attempt
    is counted and committed before the password is checked; the caller commits in every
    case afterwards (the failure's audit row must be kept).
    """
    from .signin import authenticate  # signin checks the password; this wraps it

    key = login_key(email)
    if not key:
        raise DomainError(generic_message(), field="password", code="bad_credentials")
    if not begin_attempt(key):
        # No password check while locked: guessing stays impossible until the lock ends.
        until = locked_until(key)
        record_event(
            "login.refused_locked",
            actor=key,
            object_type="user_account",
            object_id=key,
            after={"locked_until": until.isoformat() if until else None},
        )
        log.warning("login refused: account locked until %s", until.isoformat() if until else "-")
        raise DomainError(generic_message(), field="password", code="bad_credentials")
    try:
        user = authenticate(key, password or "")
    except DomainError:
        if record_failure(key):
            _, lock_for = _limits()
            record_event(
                "login.lock",
                actor=key,
                object_type="user_account",
                object_id=key,
                after={"minutes": int(lock_for.total_seconds() // 60)},
            )
            log.warning("account locked after repeated failed sign-ins")
        else:
            log.info("failed sign-in")
        raise DomainError(generic_message(), field="password", code="bad_credentials") from None
    reset(key)
    return user
