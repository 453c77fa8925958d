"""The portfolio list (every signed-in role): its filters from the query string and the page."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...inputs import page_number
from ...models import Department
from ...services import permissions
from ...services import portfolio as svc
from ..authz import require
from .blueprint import bp


def _filters() -> tuple[svc.PortfolioFilters, dict[str, str]]:
    """The list's filters from the query string; unknown values are ignored (the page says
    which filters are in force), a department or year that is not a number likewise."""
    args = request.args
    f = svc.PortfolioFilters()
    kept: dict[str, str] = {}
    year = (args.get("year") or "").strip()
    if year.isascii() and year.isdigit() and len(year) == 4 and 1900 <= int(year) <= 2199:
        f.year = int(year)
        kept["year"] = year
    dept = (args.get("department") or "").strip()
    if dept:
        d = db.session.scalar(select(Department).where(Department.code == dept[:40]))
        if d is not None:
            f.department_id = d.id
            kept["department"] = d.code
    dest = (args.get("destination") or "").strip()[:120]
    if dest:
        f.destination = dest
        kept["destination"] = dest
    state = args.get("state") or "current"
    f.state = state if state in svc.STATES else "current"
    if f.state != "current":
        kept["state"] = f.state
    sort = args.get("sort") or "report_date"
    f.sort = sort if sort in svc.SORTS else "report_date"
    f.descending = (args.get("dir") or "desc") != "asc"
    if f.sort != "report_date" or not f.descending:
        kept["sort"] = f.sort
        kept["dir"] = "desc" if f.descending else "asc"
    f.page = page_number(args.get("page"))
    return f, kept


@bp.get("/")
@require(permissions.can_read)
def index():
    f, kept = _filters()
    page = svc.portfolio_page(f)
    return render_template(
        "portfolio/index.html",
        page=page,
        f=f,
        kept=kept,
        choices=svc.filter_choices(),
        sorts=svc.SORTS,
        is_admin=permissions.can_administer(current_user),
    )
