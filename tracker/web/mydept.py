""" "My department": the items a department leads or supports, and what needs doing."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from .. import dates
from ..extensions import db
from ..inputs import page_number
from ..models import Department, Role, Status
from ..services import worklist
from .nav import prime_badges

bp = Blueprint("mydept", __name__, url_prefix="/my-department")


@bp.get("/")
def index():
    """Editors see their own department; administrators choose one with ?department=CODE."""
    role = current_user.role
    if role is Role.EDITOR:
        department = current_user.department
    elif role is Role.ADMIN:
        code = (request.args.get("department") or "").strip()
        department = (
            db.session.scalar(select(Department).where(func.lower(Department.code) == code.lower())) if code else None
        )
        if department is None:
            departments = db.session.scalars(select(Department).order_by(Department.code)).all()
            return render_template("mydept/choose.html", departments=departments, code=code), (404 if code else 200)
    else:
        abort(403)
    if department is None:
        abort(403)

    today = dates.today()
    args = {k: (request.args.get(k) or "").strip()[:100] for k in ("sort", "status", "flag", "role", "q")}
    work = worklist.department_worklist(department.id, today, page=page_number(request.args.get("page")), **args)
    due = worklist.due_this_period(department.id, today, page=page_number(request.args.get("due_page")))
    if role is Role.EDITOR:
        prime_badges({"mydept.index": work.counts["returned"]})
    return render_template(
        "mydept/index.html",
        department=department,
        rows=work.rows,
        returned_rows=work.returned,
        total=work.total,
        counts=work.counts,
        args=args,
        page=work.page,
        pages=work.pages,
        today=today,
        statuses=list(Status),
        flags=worklist.WORKLIST_FLAGS,
        sorts=worklist.WORKLIST_SORTS,
        admin_view=role is Role.ADMIN,
        due=due,
        # The links of each list's pager keep the other list's page and the filters.
        link_args=dict(args, department=department.code if role is Role.ADMIN else None),
    )
