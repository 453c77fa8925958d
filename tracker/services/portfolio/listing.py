"""The portfolio list (a read): filters, sorts and one page of reports with their
aggregates in a constant number of statements, and the choices the filter form offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    AdoptionDecision,
    Department,
    ItemPeriod,
    Recommendation,
    Report,
    RollupRecommendation,
)
from ...models.enums import Adoption
from .. import projections

SORTS = (
    "report_date",
    "trip_start",
    "agency",
    "destination",
    "recommendations",
    "items",
    "progress",
    "not_reported",
    "code",
)
STATES = ("current", "archived", "all")
PER_PAGE = 25


@dataclass
class PortfolioFilters:
    year: int | None = None
    department_id: int | None = None
    destination: str = ""
    state: str = "current"
    sort: str = "report_date"
    descending: bool = True
    page: int = 1


@dataclass
class PortfolioRow:
    id: int
    code: str
    title_zh: str
    title_en: str
    agency_zh: str
    agency_en: str
    destination_zh: str
    destination_en: str
    trip_start: date
    trip_end: date
    report_date: date
    archived: bool
    recommendations: int
    items: int
    progress: float | None
    not_reported: int
    adoptions: dict[str, int] = field(default_factory=dict)


@dataclass
class PortfolioPage:
    rows: list[PortfolioRow]
    total: int
    page: int
    pages: int
    period_end: date
    collecting_period: Any


def collecting_period(today: date | None = None) -> Any:
    """The period whose reports are being collected: the one that just ended while its
    deadline has not passed, otherwise the current one (as on the period page)."""
    cal = projections.calendar()
    today = today or dates.today()
    current = cal.containing(today)
    previous = cal.containing(current.start - timedelta(days=1))
    return previous if today <= previous.deadline else current


def _filters(f: PortfolioFilters) -> list[Any]:
    conds: list[Any] = []
    if f.year is not None:
        conds += [Report.report_date >= date(f.year, 1, 1), Report.report_date <= date(f.year, 12, 31)]
    if f.destination:
        like = f"%{f.destination.lower()}%"
        conds.append(or_(func.lower(Report.destination_zh).like(like), func.lower(Report.destination_en).like(like)))
    if f.department_id is not None:
        conds.append(
            Report.id.in_(
                select(Recommendation.report_id)
                .join(ActionItem)
                .where(ActionItem.lead_department_id == f.department_id)
            )
        )
    if f.state == "current":
        conds.append(Report.archived_at.is_(None))
    elif f.state == "archived":
        conds.append(Report.archived_at.is_not(None))
    return conds


def portfolio_page(f: PortfolioFilters, today: date | None = None) -> PortfolioPage:
    """One page of the portfolio: every aggregate in SQL (GROUP BY), three statements
    after the read model is brought up to date, whatever the number of reports."""
    today = today or dates.today()
    projections.sync(db.session)
    projections.ensure_current(today)
    cal = projections.calendar()
    pe_now = cal.containing(today).end
    collecting = collecting_period(today)
    conds = _filters(f)
    total = db.session.scalar(select(func.count()).select_from(Report).where(*conds)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, f.page), pages)

    rr = RollupRecommendation
    recs = (
        select(Recommendation.report_id.label("rid"), func.count().label("n"))
        .group_by(Recommendation.report_id)
        .subquery()
    )
    items = (
        select(Recommendation.report_id.label("rid"), func.count(ActionItem.id).label("n"))
        .join(ActionItem, ActionItem.recommendation_id == Recommendation.id)
        .group_by(Recommendation.report_id)
        .subquery()
    )
    rec_progress = case((rr.weight_total > 0, rr.weighted_progress * 1.0 / rr.weight_total), else_=None)
    prog = (
        select(rr.report_id.label("rid"), func.avg(rec_progress).label("p"))
        .where(rr.period_end == pe_now)
        .group_by(rr.report_id)
        .subquery()
    )
    ip = ItemPeriod
    unreported = (
        select(ip.report_id.label("rid"), func.count().label("n"))
        .where(ip.period_end == collecting.end, ip.must_report.is_(True), ip.review.is_(None))
        .group_by(ip.report_id)
        .subquery()
    )
    n_recs = func.coalesce(recs.c.n, 0)
    n_items = func.coalesce(items.c.n, 0)
    n_unrep = func.coalesce(unreported.c.n, 0)
    sort_col = {
        "report_date": Report.report_date,
        "trip_start": Report.trip_start,
        "agency": Report.agency_zh,
        "destination": Report.destination_zh,
        "recommendations": n_recs,
        "items": n_items,
        "progress": func.coalesce(prog.c.p, -1),
        "not_reported": n_unrep,
        "code": Report.code,
    }[f.sort if f.sort in SORTS else "report_date"]
    order = [sort_col.desc() if f.descending else sort_col.asc(), Report.id.desc() if f.descending else Report.id]
    q = (
        select(
            Report.id,
            Report.code,
            Report.title_zh,
            Report.title_en,
            Report.agency_zh,
            Report.agency_en,
            Report.destination_zh,
            Report.destination_en,
            Report.trip_start,
            Report.trip_end,
            Report.report_date,
            Report.archived_at,
            n_recs.label("n_recs"),
            n_items.label("n_items"),
            prog.c.p,
            n_unrep.label("n_unrep"),
        )
        .outerjoin(recs, recs.c.rid == Report.id)
        .outerjoin(items, items.c.rid == Report.id)
        .outerjoin(prog, prog.c.rid == Report.id)
        .outerjoin(unreported, unreported.c.rid == Report.id)
        .where(*conds)
        .order_by(*order)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    rows = [
        PortfolioRow(
            r.id,
            r.code,
            r.title_zh,
            r.title_en,
            r.agency_zh,
            r.agency_en,
            r.destination_zh,
            r.destination_en,
            r.trip_start,
            r.trip_end,
            r.report_date,
            r.archived_at is not None,
            int(r.n_recs),
            int(r.n_items),
            float(r.p) if r.p is not None else None,
            int(r.n_unrep),
        )
        for r in db.session.execute(q)
    ]
    if rows:
        _adoption_counts(rows)
    return PortfolioPage(rows, total, page, pages, pe_now, collecting)


def _adoption_counts(rows: list[PortfolioRow]) -> None:
    """Per report, how many recommendations stand at each adoption decision (the latest
    decision per recommendation): one statement."""
    ad = AdoptionDecision
    ranked = select(
        ad.recommendation_id,
        ad.decision,
        func.row_number()
        .over(partition_by=ad.recommendation_id, order_by=(ad.decided_on.desc(), ad.id.desc()))
        .label("rn"),
    ).subquery()
    q = (
        select(Recommendation.report_id, ranked.c.decision, func.count())
        .join(ranked, ranked.c.recommendation_id == Recommendation.id)
        .where(ranked.c.rn == 1, Recommendation.report_id.in_([r.id for r in rows]))
        .group_by(Recommendation.report_id, ranked.c.decision)
    )
    by_id = {r.id: r for r in rows}
    for rid, decision, n in db.session.execute(q):
        key = decision.value if isinstance(decision, Adoption) else str(decision)
        by_id[rid].adoptions[key] = int(n)


def filter_choices() -> dict[str, list]:
    """Years of filing, destinations and departments leading items, for the filter form."""
    years = sorted({d.year for d in db.session.scalars(select(Report.report_date).distinct())}, reverse=True)
    destinations = sorted({d for d in db.session.scalars(select(Report.destination_zh).distinct()) if d})
    depts = list(
        db.session.scalars(
            select(Department).where(Department.id.in_(select(ActionItem.lead_department_id))).order_by(Department.code)
        )
    )
    return {"years": years, "destinations": destinations, "departments": depts}
