"""The portfolio blueprint and what its forms share: loading an object or 404, and one
form view (GET shows it, POST calls the service and shows its DomainErrors on the form).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from ...extensions import db
from ...models import Department
from ...services import portfolio as svc
from ..saving import save

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")


# --- administrator forms -----------------------------------------------------------------------


def _form(
    fields: tuple,
    *,
    title: str,
    obj: Any,
    write: Callable[[dict], Any],
    back: str,
    message: Callable[[Any], str],
    next_url: Callable[[Any], str],
    extra: dict | None = None,
):
    """GET: the form (filled from ``obj``); POST: ``write(values)`` saved, then redirect, or the
    form again with every message by field (422)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f.name: request.form.get(f.name, "") for f in fields}
        saved = save(lambda: write(values), message)
        if saved.ok:
            return redirect(next_url(saved.result))
        errors = saved.errors(fields[0].name)
    else:
        values = {k: ("" if v is None else str(v)) for k, v in svc.snapshot(obj, fields).items()} if obj else {}
    depts = (
        list(db.session.scalars(select(Department).order_by(Department.code)))
        if any(f.kind == "dept" for f in fields)
        else []
    )
    return render_template(
        "portfolio/form.html",
        fields=fields,
        values=values,
        errors=errors,
        title=title,
        back=back,
        departments=depts,
        **(extra or {}),
    ), (422 if errors else 200)


def _back_to(report_id: int) -> Callable[[Any], str]:
    return lambda _obj: url_for("portfolio.manage", report_id=report_id)
