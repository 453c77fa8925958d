"""User accounts: creating and changing them, an administrator's password reset,
deactivation and reactivation. Every change is audited with its before and after.

Operations flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import raise_if_errors
from ..extensions import db
from ..inputs import bidi_message, has_bidi_control
from ..models import Department, Role, User, utcnow
from . import DomainError
from .audit import changed_fields, record_event
from .passwords import hash_password, password_problem, remember_old_password
from .signin import MAX_EMAIL, end_sessions, find_user_by_email, normalise_email
from .tokens import revoke_all

MAX_NAME = 120


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
    raise_if_errors(errors)
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
    raise_if_errors(errors)
    user.email = address
    if changes.name is not None:
        user.name = changes.name.strip()
    user.role = role_v
    user.department = dept
    if changes.locale is not None:
        user.locale = locale_v
    db.session.flush()
    after = _user_summary(user)
    was, now = changed_fields(before, after)
    if now:
        record_event("user.update", user=actor, obj=user, before=was, after=now)
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
