"""Administration: users, departments, action items and the audit log (administrators only)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import dates
from ..extensions import db
from ..inputs import MAX_INT, load_or_404, parse_int
from ..locale import current_locale
from ..models import ActionItem, AuditLog, Department, Recommendation, Role, User
from ..services import ConflictError, permissions, updates
from ..services import departments as department_ops
from ..services import users as user_ops
from . import audit_text
from .forms import (
    AuditFilterForm,
    ConfirmForm,
    DepartmentForm,
    ItemForm,
    UserForm,
    apply_errors,
    choices,
    password_hint,
)
from .saving import save

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _save(form, operation, *, default_field: str, message, next_endpoint: str):  # noqa: ANN001
    """Run a write for a validated form (``save``): redirect when it is saved, else put the
    refusal on the form's fields and return None."""
    saved = save(operation, message)
    if saved.ok:
        return redirect(url_for(next_endpoint))
    apply_errors(form, saved.errors(default_field))
    return None


AUDIT_PAGE_SIZE = 50


def _tokens_revoked(count: int, email: str) -> str:
    """ "N API tokens of … were revoked" ("" for none): the owner sees why on their token page."""
    if not count:
        return ""
    return ngettext(
        "%(num)d API token of %(email)s was revoked.",
        "%(num)d API tokens of %(email)s were revoked.",
        count,
        email=email,
    )


@bp.before_request
def _administrators_only():
    # The global guard has already required a signed-in user.
    if not permissions.can_administer(current_user):
        abort(403)


def _department_choices(by: str = "code", keep: set[int] | None = None) -> list:
    """Active departments as (code or id, "CODE · name"); ``keep`` adds inactive ones already chosen."""
    keep = keep or set()
    depts = db.session.scalars(select(Department).order_by(Department.code)).all()
    pairs = [("", _("— none —"))] if by == "code" else []
    for d in depts:
        if d.active or d.id in keep:
            text = f"{d.code} · {d.name(current_locale())}"
            if not d.active:
                text += f" ({_('deactivated')})"
            pairs.append((d.code if by == "code" else str(d.id), text))
    return choices(pairs)


@bp.get("/")
def index():
    counts = {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "departments": db.session.scalar(
            select(func.count()).select_from(Department).where(Department.active.is_(True))
        ),
        "items": db.session.scalar(select(func.count()).select_from(ActionItem)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditLog)),
    }
    return render_template("admin/index.html", counts=counts)


# --- users -----------------------------------------------------------------------------------


@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip().lower()
    stmt = select(User).options(selectinload(User.department)).order_by(User.active.desc(), User.email)
    if q:
        stmt = stmt.where(or_(User.email.contains(q), func.lower(User.name).contains(q)))
    return render_template("admin/users.html", users=db.session.scalars(stmt).all(), q=q, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm()
    form.department.choices = _department_choices()
    status = 200
    if form.validate_on_submit():

        def create():
            return user_ops.create_user(
                form.email.data or "",
                form.role.data or "",
                form.password.data or "",
                department_code=form.department.data or None,
                name=form.name.data or "",
                locale=form.locale.data or None,
                actor=current_user,
            )

        done = _save(
            form,
            create,
            default_field="email",
            next_endpoint="admin.users",
            message=lambda user: _("Account %(email)s created.", email=user.email),
        )
        if done is not None:
            return done
        status = 422
    form.password.description = password_hint(_("Give it to the person in a safe way."))
    form.password.data = ""
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = load_or_404(User, user_id)
    form = UserForm(obj=None)
    form.department.choices = _department_choices(keep={user.department_id} if user.department_id else None)
    status = 200
    if request.method == "GET":
        form.email.data, form.name.data, form.role.data = user.email, user.name, user.role.value
        form.department.data = user.department.code if user.department else ""
        form.locale.data = user.locale or ""
    elif form.validate_on_submit():
        revoked = {"count": 0}

        def update():
            user_ops.update_user(
                user,
                user_ops.UserChanges(
                    email=form.email.data or "",
                    name=form.name.data or "",
                    role=form.role.data or "",
                    department_code=form.department.data or "",
                    locale=form.locale.data or "",
                ),
                actor=current_user,
            )
            if form.password.data:
                revoked["count"] = user_ops.set_password(user, form.password.data, actor=current_user)
            return user

        done = _save(
            form,
            update,
            default_field="email",
            next_endpoint="admin.users",
            message=lambda saved: " ".join(
                filter(
                    None,
                    [_("Account %(email)s saved.", email=saved.email), _tokens_revoked(revoked["count"], saved.email)],
                )
            ),
        )
        if done is not None:
            return done
        status = 422
    form.password.data = ""
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm()), status


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    user = load_or_404(User, user_id)
    save(
        lambda: user_ops.deactivate_user(user, actor=current_user),
        lambda revoked: " ".join(
            filter(
                None,
                [
                    _("Account %(email)s deactivated; its sessions and tokens no longer work.", email=user.email),
                    _tokens_revoked(revoked, user.email),
                ],
            )
        ),
        flash_error=True,
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    user = load_or_404(User, user_id)
    save(
        lambda: user_ops.reactivate_user(user, actor=current_user),
        _("Account %(email)s reactivated.", email=user.email),
    )
    return redirect(url_for("admin.users"))


# --- departments --------------------------------------------------------------------------


@bp.get("/departments")
def departments():
    depts = db.session.scalars(select(Department).order_by(Department.active.desc(), Department.code)).all()
    editor_counts = dict(
        db.session.execute(
            select(User.department_id, func.count())
            .where(User.role == Role.EDITOR, User.active.is_(True))
            .group_by(User.department_id)
        ).all()
    )
    return render_template(
        "admin/departments.html", departments=depts, editor_counts=editor_counts, confirm=ConfirmForm()
    )


@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    form = DepartmentForm()
    status = 200
    if form.validate_on_submit():
        done = _save(
            form,
            lambda: department_ops.create_department(
                form.code.data or "", form.name_zh.data or "", form.name_en.data or "", actor=current_user
            ),
            default_field="code",
            next_endpoint="admin.departments",
            message=lambda dept: _("Department %(code)s created.", code=dept.code),
        )
        if done is not None:
            return done
        status = 422
    return render_template("admin/department_form.html", form=form, department=None), status


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department_edit(department_id: int):
    dept = load_or_404(Department, department_id)
    form = DepartmentForm()
    status = 200
    if request.method == "GET":
        form.code.data, form.name_zh.data, form.name_en.data = dept.code, dept.name_zh, dept.name_en
    elif form.validate_on_submit():

        def update():
            department_ops.update_department(
                dept, form.code.data or "", form.name_zh.data or "", form.name_en.data or "", actor=current_user
            )
            return dept

        done = _save(
            form,
            update,
            default_field="code",
            next_endpoint="admin.departments",
            message=lambda saved: _("Department %(code)s saved.", code=saved.code),
        )
        if done is not None:
            return done
        status = 422
    return render_template("admin/department_form.html", form=form, department=dept), status


@bp.post("/departments/<int:department_id>/deactivate")
def department_deactivate(department_id: int):
    dept = load_or_404(Department, department_id)
    save(
        lambda: department_ops.set_department_active(dept, False, actor=current_user),
        _("Department %(code)s deactivated. Its items and history stay.", code=dept.code),
    )
    return redirect(url_for("admin.departments"))


@bp.post("/departments/<int:department_id>/reactivate")
def department_reactivate(department_id: int):
    dept = load_or_404(Department, department_id)
    save(
        lambda: department_ops.set_department_active(dept, True, actor=current_user),
        _("Department %(code)s reactivated.", code=dept.code),
    )
    return redirect(url_for("admin.departments"))


# --- action items ---------------------------------------------------------------------------


@bp.get("/items")
def items():
    q = (request.args.get("q") or "").strip()
    stmt = (
        select(ActionItem)
        .join(Recommendation)
        .options(
            selectinload(ActionItem.lead_department),
            selectinload(ActionItem.recommendation),
            selectinload(ActionItem.supporting_departments),
        )
        .order_by(Recommendation.report_id, Recommendation.position, ActionItem.position, ActionItem.id)
    )
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(ActionItem.code).like(like),
                func.lower(ActionItem.title_zh).like(like),
                func.lower(ActionItem.title_en).like(like),
            )
        )
    return render_template("admin/items.html", items=db.session.scalars(stmt).all(), q=q)


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
def item_edit(item_id: int):
    """Edit an item; the hidden version makes a concurrent edit come back as a conflict (409)."""
    item = load_or_404(ActionItem, item_id)
    form = ItemForm()
    keep = {item.lead_department_id} | {d.id for d in item.supporting_departments}
    dept_choices = _department_choices(by="id", keep=keep)
    form.lead_department_id.choices = dept_choices
    form.supporting_department_ids.choices = dept_choices
    status = 200
    conflict = None
    if request.method == "GET":
        for key in ("title_zh", "title_en", "description_zh", "description_en", "budget_note"):
            form[key].data = getattr(item, key) or ""
        form.lead_department_id.data = str(item.lead_department_id)
        form.supporting_department_ids.data = [str(d.id) for d in item.supporting_departments]
        form.weight.data = f"{item.weight.normalize():f}" if item.weight is not None else "1"
        form.start_date.data = item.start_date.isoformat() if item.start_date else ""
        form.due_date.data = item.due_date.isoformat() if item.due_date else ""
        form.budget_amount.data = f"{item.budget_amount:f}" if item.budget_amount is not None else ""
        form.budget_source.data = item.budget_source.value if item.budget_source else ""
        form.version.data = str(item.version)
    elif form.validate_on_submit():
        values = {key: form[key].data for key in updates.ITEM_FIELDS}
        saved = save(
            lambda: updates.edit_item(item, current_user, values, based_on_version=form.version.data),
            _("Action item %(code)s saved.", code=item.code),
        )
        if saved.ok:
            return redirect(url_for("admin.items"))
        if isinstance(saved.error, ConflictError):
            conflict = {"current": saved.error.current_version, "based_on": form.version.data}
            form.version.data = str(saved.error.current_version)
            status = 409
        else:
            apply_errors(form, saved.errors("title_zh"))
            status = 422
    return render_template("admin/item_form.html", form=form, item=item, conflict=conflict), status


# --- audit log --------------------------------------------------------------------------------


def _local_day_start(day) -> datetime:  # noqa: ANN001
    return dates.start_of_day(day)


@bp.get("/audit")
def audit():
    """The audit log, newest first, filtered by user, action, object and local (Taipei) dates."""
    form = AuditFilterForm(request.args)
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    form.action.choices = choices([("", _("All actions"))] + [(a, audit_text.action_label(a)) for a in actions])
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    status = 200
    user_q = (form.user.data or "").strip().lower()
    if user_q:
        stmt = stmt.where(func.lower(AuditLog.actor).contains(user_q))
    if form.action.data:
        stmt = stmt.where(AuditLog.action == form.action.data)
    if (form.object_type.data or "").strip():
        stmt = stmt.where(AuditLog.object_type == form.object_type.data.strip())
    if (form.object_id.data or "").strip():
        stmt = stmt.where(AuditLog.object_id == form.object_id.data.strip())
    for key, op in (("date_from", "ge"), ("date_to", "lt")):
        raw = (form[key].data or "").strip()
        if not raw:
            continue
        day = updates.parse_date(raw)
        if day is None:
            form[key].errors = [
                _("“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.", value=raw[:40])
            ]
            status = 400
            continue
        if op == "ge":
            stmt = stmt.where(AuditLog.at >= _local_day_start(day))
        else:
            stmt = stmt.where(AuditLog.at < _local_day_start(day + timedelta(days=1)))
    raw_page = request.args.get("page")
    page_number = 1 if raw_page is None or not raw_page.strip() else parse_int(raw_page, low=1)
    if page_number is None:
        abort(400, description=_("The page number must be a whole number from 1 to %(n)d.", n=MAX_INT))
    page = db.paginate(stmt, page=page_number, per_page=AUDIT_PAGE_SIZE, error_out=False)
    rows = [(row, _summary(row.summary)) for row in page.items]
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        rows=rows,
        filters=filters,
        audit_action=audit_text.action_label,
        audit_object=audit_text.object_label,
        audit_details=audit_text.details,
    ), status


def _summary(raw: str) -> dict:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {"note": raw}
    return data if isinstance(data, dict) else {"note": raw}
