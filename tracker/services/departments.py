"""Departments: creating, renaming and re-coding them, deactivation and reactivation
(a department's items and history stay). Every change is audited.

Operations flush, never commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import raise_if_errors
from ..extensions import db
from ..inputs import bidi_message, has_bidi_control
from ..models import Department, User
from .audit import changed_fields, record_event


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
    raise_if_errors(_check_department(code, name_zh, name_en, None))
    dept = Department(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip(), active=True)
    db.session.add(dept)
    db.session.flush()
    record_event("department.create", user=actor, obj=dept, after=_dept_summary(dept))
    return dept


def update_department(
    dept: Department, code: str, name_zh: str, name_en: str, *, actor: User | None = None
) -> Department:
    """Rename or re-code a department. Raises DomainError (``errors`` by field)."""
    raise_if_errors(_check_department(code, name_zh, name_en, dept))
    before = _dept_summary(dept)
    dept.code, dept.name_zh, dept.name_en = code.strip(), name_zh.strip(), name_en.strip()
    db.session.flush()
    after = _dept_summary(dept)
    was, now = changed_fields(before, after)
    if now:
        record_event("department.update", user=actor, obj=dept, before=was, after=now)
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
