""""My department": the items a department leads or supports, and what needs doing."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Department, Role, Status
from ..services import updates

bp = Blueprint("mydept", __name__, url_prefix="/my-department")


@bp.get("/")
def index():
    """Editors see their own department; administrators choose one with ?department=CODE."""
    role = current_user.role
    if role is Role.EDITOR:
        department = current_user.department
    elif role is Role.ADMIN:
        code = (request.args.get("department") or "").strip()
        department = (db.session.scalar(select(Department).where(func.lower(Department.code) == code.lower()))
                      if code else None)
        if department is None:
            departments = db.session.scalars(select(Department).order_by(Department.code)).all()
            return render_template("mydept/choose.html", departments=departments, code=code), (404 if code else 200)
    else:
        abort(403)
    if department is None:
        abort(403)

    today = updates.local_today()
    args = {k: (request.args.get(k) or "").strip() for k in ("sort", "status", "flag", "role", "q")}
    rows = updates.department_worklist(department.id, today)
    shown = updates.sort_worklist(
        updates.filter_worklist(rows, status=args["status"], flag=args["flag"], role=args["role"], q=args["q"]),
        args["sort"],
    )
    counts = {
        "lead": sum(1 for r in rows if r.role == "lead"),
        "supporting": sum(1 for r in rows if r.role == "supporting"),
        "returned": sum(1 for r in rows if r.returned is not None),
        "pending": sum(1 for r in rows if r.state.pending is not None),
        "overdue": sum(1 for r in rows if r.state.overdue),
    }
    return render_template(
        "mydept/index.html", department=department, rows=shown, total=len(rows), counts=counts, args=args,
        today=today, statuses=list(Status), flags=updates.WORKLIST_FLAGS, sorts=updates.WORKLIST_SORTS,
        admin_view=role is Role.ADMIN,
    )
