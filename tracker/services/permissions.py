"""Who may do what (docs/domain.md, "Users"). Pure functions of the user and the object;
views and the API call these and turn ``False`` into 403."""

from __future__ import annotations

from typing import Any

from ..models import ActionItem, Role


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def can_read(user: Any) -> bool:
    """Every signed-in, active user may read reports, items, dashboards and exports."""
    return _role(user) is not None


def is_admin(user: Any) -> bool:
    return _role(user) is Role.ADMIN


def can_review(user: Any) -> bool:
    """Review queue, approve/return, tracking decisions, adoption decisions."""
    return _role(user) in (Role.REVIEWER, Role.ADMIN)


def can_view_dashboard(user: Any) -> bool:
    """Every signed-in role reads overall progress: in a city government each department
    may see how the whole follow-up stands (read only)."""
    return can_read(user)


def can_export(user: Any) -> bool:
    """Every signed-in role may download the annual summary (read only)."""
    return can_read(user)


def has_department_work(user: Any) -> bool:
    """Editors work for a department ("my department")."""
    return _role(user) is Role.EDITOR


def can_read_department(user: Any, department_id: int) -> bool:
    """Department pages (my department): its own editors and administrators."""
    role = _role(user)
    return role is Role.ADMIN or (role is Role.EDITOR and user.department_id == department_id)


def is_lead_editor(user: Any, item: ActionItem) -> bool:
    return _role(user) is Role.EDITOR and user.department_id == item.lead_department_id


def is_supporting_editor(user: Any, item: ActionItem) -> bool:
    return _role(user) is Role.EDITOR and any(d.id == user.department_id for d in item.supporting_departments)


def can_submit_update(user: Any, item: ActionItem) -> bool:
    """Only an editor of the lead department submits status updates."""
    return is_lead_editor(user, item)


def can_add_note(user: Any, item: ActionItem) -> bool:
    """Editors of the lead or a supporting department add notes."""
    return is_lead_editor(user, item) or is_supporting_editor(user, item)


def can_administer(user: Any) -> bool:
    """Users, departments, reports, recommendations, action items, imports."""
    return is_admin(user)
