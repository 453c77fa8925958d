"""Accounts and departments: sign-in, users, passwords, departments.

Operations flush, never commit. Sign-in lives here (not in the view) so that later
hardening (throttling, lockout, second factor) wraps one clear function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..inputs import bidi_message, has_bidi_control
from ..models import Department, Role, User, utcnow
from . import DomainError
from .audit import record_event
from .passwords import remember_old_password, validate_new_password
from .tokens import revoke_all

MAX_EMAIL = 254
MAX_NAME = 120


# --- passwords -----------------------------------------------------------------------------


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
    """The reasons a new password is refused, or None (the policy is services/passwords.py:
    ASVS length and common-password list; 防護基準 rules when configured)."""
    return " ".join(validate_new_password(user, password)) or None


# --- sign-in ---------------------------------------------------------------------------------


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


def sign_out_everywhere(user: User) -> int:
    """End every session of ``user`` and revoke every API token (a thief's token too);
    returns how many tokens were revoked. Flushes, caller commits."""
    end_sessions(user)
    db.session.flush()
    record_event("account.sign_out_others", user=user, obj=user)
    return revoke_all(user, reason="signed_out_everywhere")


# --- users -----------------------------------------------------------------------------------


@dataclass
class UserChanges:
    email: str | None = None
    name: str | None = None
    role: str | Role | None = None
    department_code: str | None = None
    locale: str | None = None


def _check_email(address: str, errors: dict[str, str], current: User | None = None) -> str:
    address = normalise_email(address)
    if not address:
        errors["email"] = _("Enter an e-mail address.")
        return address
    try:
        address = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = _("Enter a valid e-mail address, like name@tainan.gov.tw.")
        return address
    if len(address) > MAX_EMAIL:
        errors["email"] = _("Enter a valid e-mail address, like name@tainan.gov.tw.")
        return address
    other = find_user_by_email(address)
    if other is not None and other is not current:
        errors["email"] = _("Another account already uses this e-mail address.")
    return address


def _check_role(role: Any, errors: dict[str, str]) -> Role | None:
    try:
        return Role(role.value if isinstance(role, Role) else str(role or "").strip().lower())
    except ValueError:
        errors["role"] = _("Choose a role: editor, reviewer, viewer or admin.")
        return None


def _department_by_code(code: str | None, errors: dict[str, str]) -> Department | None:
    code = (code or "").strip()
    if not code:
        return None
    dept = db.session.scalar(select(Department).where(func.lower(Department.code) == code.lower()))
    if dept is None:
        errors["department"] = _("There is no department with code %(code)s.", code=code)
    elif not dept.active:
        errors["department"] = _("Department %(code)s is deactivated.", code=dept.code)
    return dept


def _check_locale(locale: str | None, errors: dict[str, str]) -> str | None:
    """ "" (the default language), zh_TW or en; anything else is refused (the column holds 8 characters)."""
    value = (locale or "").strip()
    if value and value not in ("zh_TW", "en"):
        errors["locale"] = _("Choose a language from the list.")
        return None
    return value or None


def _active_admin_count() -> int:
    return (
        db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True)))
        or 0
    )


def _user_summary(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value if user.role else None,
        "department": user.department.code if user.department else None,
        "active": user.active,
        "locale": user.locale,
    }


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        raise DomainError(
            errors[first] if len(errors) == 1 else _("Please correct the fields marked below."),
            field=first,
            errors=errors,
        )


def create_user(
    email: str,
    role: str | Role,
    password: str,
    *,
    department_code: str | None = None,
    name: str = "",
    locale: str | None = None,
    actor: User | None = None,
    actor_label: str = "",
) -> User:
    """A new active account. Raises DomainError (``errors`` by field) on a bad value."""
    errors: dict[str, str] = {}
    address = _check_email(email, errors)
    role_v = _check_role(role, errors)
    dept = _department_by_code(department_code, errors)
    if role_v is Role.EDITOR and dept is None and "department" not in errors:
        errors["department"] = _("An editor must belong to a department.")
    if len(name or "") > MAX_NAME:
        errors["name"] = _("Use at most %(n)d characters.", n=MAX_NAME)
    elif has_bidi_control(name):
        errors["name"] = bidi_message()
    locale_v = _check_locale(locale, errors)
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    _raise_if(errors)
    user = User(
        email=address,
        name=(name or "").strip(),
        role=role_v,
        department=dept,
        locale=locale_v,
        password_hash=hash_password(password),
        session_version=1,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    record_event("user.create", user=actor, obj=user, actor=actor_label, after=_user_summary(user))
    return user


def update_user(user: User, changes: UserChanges, *, actor: User | None = None) -> User:
    """Change e-mail, name, role, department or language. Raises DomainError by field."""
    errors: dict[str, str] = {}
    before = _user_summary(user)
    address = _check_email(changes.email, errors, current=user) if changes.email is not None else user.email
    role_v = _check_role(changes.role, errors) if changes.role is not None else user.role
    dept = (
        _department_by_code(changes.department_code, errors) if changes.department_code is not None else user.department
    )
    if role_v is Role.EDITOR and dept is None and "department" not in errors:
        errors["department"] = _("An editor must belong to a department.")
    if changes.name is not None and len(changes.name) > MAX_NAME:
        errors["name"] = _("Use at most %(n)d characters.", n=MAX_NAME)
    elif has_bidi_control(changes.name):
        errors["name"] = bidi_message()
    locale_v = _check_locale(changes.locale, errors) if changes.locale is not None else user.locale
    if user.role is Role.ADMIN and role_v is not Role.ADMIN and user.active and _active_admin_count() <= 1:
        errors["role"] = _("This is the last active administrator; make someone else an administrator first.")
    _raise_if(errors)
    user.email = address
    if changes.name is not None:
        user.name = changes.name.strip()
    user.role = role_v
    user.department = dept
    if changes.locale is not None:
        user.locale = locale_v
    db.session.flush()
    after = _user_summary(user)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        record_event(
            "user.update",
            user=actor,
            obj=user,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return user


def set_password(user: User, password: str, *, actor: User | None = None) -> int:
    """Replace the password (an administrator's reset), end the user's sessions and revoke
    their API tokens; returns how many tokens were revoked. Raises DomainError(field="password")."""
    problem = password_problem(password, user)
    if problem:
        raise DomainError(problem, field="password", errors={"password": problem})
    remember_old_password(user)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_sessions(user)
    db.session.flush()
    record_event("user.password", user=actor, obj=user, note="password changed")
    return revoke_all(user, reason="password_reset", actor=actor)


def deactivate_user(user: User, *, actor: User | None = None) -> int:
    """Block sign-in, end every session and revoke every API token (reactivation does not
    bring them back); returns how many tokens were revoked. Raises DomainError for oneself
    or the last admin."""
    if actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot deactivate your own account."), code="self_deactivation")
    if user.role is Role.ADMIN and user.active and _active_admin_count() <= 1:
        raise DomainError(
            _("This is the last active administrator; make someone else an administrator first."), code="last_admin"
        )
    if not user.active:
        return 0
    user.active = False
    end_sessions(user)
    db.session.flush()
    record_event("user.deactivate", user=actor, obj=user, before={"active": True}, after={"active": False})
    return revoke_all(user, reason="deactivated", actor=actor)


def reactivate_user(user: User, *, actor: User | None = None) -> None:
    """Allow sign-in again (old sessions stay ended, revoked tokens stay revoked)."""
    if user.active:
        return
    user.active = True
    db.session.flush()
    record_event("user.reactivate", user=actor, obj=user, before={"active": False}, after={"active": True})


# --- departments -----------------------------------------------------------------------------


def _dept_summary(dept: Department) -> dict[str, Any]:
    return {"code": dept.code, "name_zh": dept.name_zh, "name_en": dept.name_en, "active": dept.active}


def _check_department(code: str, name_zh: str, name_en: str, current: Department | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = _("Enter a short code, e.g. WRB.")
    elif len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = _("Use up to 40 letters, digits, - or _.")
    else:
        other = db.session.scalar(select(Department).where(func.lower(Department.code) == code.lower()))
        if other is not None and other is not current:
            errors["code"] = _("Another department already uses this code.")
    if not (name_zh or "").strip():
        errors["name_zh"] = _("Enter the Chinese name.")
    elif len(name_zh) > 120:
        errors["name_zh"] = _("Use at most %(n)d characters.", n=120)
    elif has_bidi_control(name_zh):
        errors["name_zh"] = bidi_message()
    if not (name_en or "").strip():
        errors["name_en"] = _("Enter the English name.")
    elif len(name_en) > 200:
        errors["name_en"] = _("Use at most %(n)d characters.", n=200)
    elif has_bidi_control(name_en):
        errors["name_en"] = bidi_message()
    return errors


def create_department(code: str, name_zh: str, name_en: str, *, actor: User | None = None) -> Department:
    """A new department. Raises DomainError (``errors`` by field)."""
    _raise_if(_check_department(code, name_zh, name_en, None))
    dept = Department(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip(), active=True)
    db.session.add(dept)
    db.session.flush()
    record_event("department.create", user=actor, obj=dept, after=_dept_summary(dept))
    return dept


def update_department(
    dept: Department, code: str, name_zh: str, name_en: str, *, actor: User | None = None
) -> Department:
    """Rename or re-code a department. Raises DomainError (``errors`` by field)."""
    _raise_if(_check_department(code, name_zh, name_en, dept))
    before = _dept_summary(dept)
    dept.code, dept.name_zh, dept.name_en = code.strip(), name_zh.strip(), name_en.strip()
    db.session.flush()
    after = _dept_summary(dept)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        record_event(
            "department.update",
            user=actor,
            obj=dept,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return dept


def set_department_active(dept: Department, active: bool, *, actor: User | None = None) -> None:
    """Deactivate (no new editors, hidden from choices) or reactivate a department; its history stays."""
    if dept.active == active:
        return
    dept.active = active
    db.session.flush()
    record_event(
        "department.activate" if active else "department.deactivate",
        user=actor,
        obj=dept,
        before={"active": not active},
        after={"active": active},
    )
