"""Read API: reports, recommendations, action items, each as of a date.

Same numbers as the dashboard and the exports: item state from
services.progress.item_states, roll-ups from progress.rollup / build_summary,
indicators from services.benchmark.indicator_states. Each endpoint sends a fixed
number of SQL statements whatever the amount of data (eager loading plus those
set-based services). The dicts the schemas describe are built in api/presenters.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from marshmallow import RAISE
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from ..dates import DataDates
from ..extensions import db
from ..inputs import load_or_404
from ..models import (
    ActionItem,
    Indicator,
    Recommendation,
    ReferencePractice,
    Report,
    StatusUpdate,
)
from ..services import NotFound, benchmark, progress
from ..services.review import latest_adoptions
from . import schemas
from .common import (
    API_SECURITY,
    ApiBlueprint,
    AsOfArgsSchema,
    etag_header,
    item_etag,
    require_reader,
    resolve_as_of,
    resource_etag,
)
from .listing import LIST_HEADERS, order_clauses, page_ids
from .presenters import _indicator, _item_ref, _practice, _rec_ref, _report, _rollup, _state

blp = ApiBlueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1",
    description="Reports, their recommendations and action items, as of a date (read only)",
)


@blp.before_request
def _signed_in() -> None:
    require_reader()


def read_operation(func: Callable) -> Callable:
    """OpenAPI for what every read operation shares: sign-in and error responses."""
    func = blp.alt_response(403, response="FORBIDDEN")(func)
    func = blp.alt_response(401, response="UNAUTHORIZED")(func)
    return blp.doc(security=API_SECURITY)(func)


# --- Endpoints ------------------------------------------------------------------


@blp.get("/reports")
@read_operation
@blp.arguments(schemas.ReportListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.ReportListSchema, headers=LIST_HEADERS)
def list_reports(args: dict) -> tuple[dict, int, dict]:
    """Reports with their overall progress, a page at a time (newest filing first by default).

    Progress is the mean of the recommendations' weighted roll-ups on the as-of date.
    Filter with ?year=, ?code=, ?agency=, ?destination=; sort with ?sort=.
    """
    as_of = resolve_as_of(args)
    where: list[ColumnElement[bool]] = []
    if args.get("year") is not None:
        where.append(Report.report_date.between(date(args["year"], 1, 1), date(args["year"], 12, 31)))
    if args.get("code"):
        where.append(func.lower(Report.code).contains(args["code"].lower(), autoescape=True))
    for key, columns in (
        ("agency", (Report.agency_zh, Report.agency_en)),
        ("destination", (Report.destination_zh, Report.destination_en)),
    ):
        if args.get(key):
            where.append(or_(*(func.lower(c).contains(args[key].lower(), autoescape=True) for c in columns)))
    columns = {name: getattr(Report, name) for name in schemas.REPORT_SORT}
    page = page_ids(select(Report.id).where(*where).order_by(*order_clauses(args["sort"], columns, Report.id)), args)
    rows: list[dict] = []
    if page.ids:
        summary = progress.build_summary(
            as_of, report_ids=page.ids, flag_limit=0, decision_limit=0, with_recommendations=False
        )
        by_id = {r.id: r for r in summary.reports}
        rows = [_report(by_id[i], summary.report_progress.get(i)) for i in page.ids if i in by_id]
    body = {"as_of": as_of.as_of, "known_at": as_of.known_at, "reports": rows, "pagination": page.body()}
    return body, 200, page.headers()


@blp.get("/reports/<int:report_id>")
@read_operation
@blp.arguments(AsOfArgsSchema, location="query")
@blp.response(200, schemas.ReportDetailSchema, headers=etag_header("report"))
@blp.alt_response(404, response="NOT_FOUND")
def get_report(args: dict, report_id: int) -> tuple[dict, int, dict]:
    """One report with the roll-up of each recommendation and item counts by status.

    The ETag header names the report's version; PATCH sends it back as If-Match.
    """
    as_of = resolve_as_of(args)
    report = _get_report(report_id)
    return report_detail(report, as_of), 200, {"ETag": resource_etag("report", report)}


def report_detail(report: Report, as_of: DataDates) -> dict:
    """The report as GET /reports/{id} shows it (also the answer to POST and PATCH)."""
    summary = progress.build_summary(as_of, report_ids=[report.id], flag_limit=0, decision_limit=0)
    data = _report(report, summary.overall_progress)
    data.update(
        as_of=as_of.as_of,
        known_at=as_of.known_at,
        destination_zh=report.destination_zh,
        destination_en=report.destination_en,
        summary_zh=report.summary_zh,
        summary_en=report.summary_en,
        travellers_zh=report.travellers_zh,
        travellers_en=report.travellers_en,
        source_file=report.source_file,
        version=report.version,
        recommendations=[
            {**_rec_ref(rs.recommendation), **_rollup(rs.rollup, rs.item_count, rs.status_counts)}
            for rs in summary.recommendations
        ],
    )
    return data


@blp.get("/recommendations")
@read_operation
@blp.arguments(schemas.RecommendationArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.RecommendationListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_recommendations(args: dict) -> tuple[dict, int, dict]:
    """Recommendations with adoption, practices and figures, indicators and action items, a page at a time.

    Filter with ?report=<id> (404 if there is no such report), ?code=, ?section=; sort with ?sort=.
    """
    as_of = resolve_as_of(args)
    where: list[ColumnElement[bool]] = []
    if args.get("report") is not None:
        report = _get_report(args["report"])
        where.append(Recommendation.report_id == report.id)
    if args.get("code"):
        where.append(func.lower(Recommendation.code).contains(args["code"].lower(), autoescape=True))
    if args.get("section"):
        where.append(Recommendation.section.contains(args["section"], autoescape=True))
    columns = {name: getattr(Recommendation, name) for name in schemas.RECOMMENDATION_SORT}
    page = page_ids(
        select(Recommendation.id).where(*where).order_by(*order_clauses(args["sort"], columns, Recommendation.id)), args
    )
    found = {r["id"]: r for r in _recommendations([Recommendation.id.in_(page.ids)], as_of)} if page.ids else {}
    body = {
        "as_of": as_of.as_of,
        "known_at": as_of.known_at,
        "recommendations": [found[i] for i in page.ids if i in found],
        "pagination": page.body(),
    }
    return body, 200, page.headers()


@blp.get("/recommendations/<int:recommendation_id>")
@read_operation
@blp.arguments(AsOfArgsSchema, location="query")
@blp.response(200, schemas.RecommendationDetailSchema, headers=etag_header("recommendation"))
@blp.alt_response(404, response="NOT_FOUND")
def get_recommendation(args: dict, recommendation_id: int) -> tuple[dict, int, dict]:
    """One recommendation, nested as in the list. The ETag names its version (PATCH takes it as If-Match)."""
    as_of = resolve_as_of(args)
    data = recommendation_detail(recommendation_id, as_of)
    return data, 200, {"ETag": f'W/"recommendation-{data["id"]}-v{data["version"]}"'}


def recommendation_detail(recommendation_id: int, as_of: DataDates) -> dict:
    """The recommendation as GET /recommendations/{id} shows it (also the answer to POST and PATCH)."""
    found = _recommendations([Recommendation.id == recommendation_id], as_of)
    if not found:
        raise NotFound(_("There is no recommendation %(id)s.", id=recommendation_id))
    return {**found[0], "as_of": as_of.as_of, "known_at": as_of.known_at}


@blp.get("/action-items/<int:item_id>")
@read_operation
@blp.arguments(AsOfArgsSchema, location="query")
@blp.response(
    200,
    schemas.ActionItemDetailSchema,
    headers={
        "ETag": {
            "description": 'Item version, e.g. W/"item-12-v3"; send it as If-Match when writing',
            "schema": {"type": "string"},
        },
    },
)
@blp.alt_response(404, response="NOT_FOUND")
def get_action_item(args: dict, item_id: int) -> tuple[dict, int, dict]:
    """One action item: official state, pending update, tracking decision, schedule and budget.

    The ETag header names the item's version; write requests send it back as If-Match.
    """
    as_of = resolve_as_of(args)
    data, item = item_detail(item_id, as_of)
    return data, 200, {"ETag": item_etag(item)}


def item_detail(item_id: int, as_of: DataDates) -> tuple[dict, ActionItem]:
    """The item as GET /action-items/{id} shows it (also the answer to POST and PATCH), and the item."""
    item = load_or_404(
        ActionItem,
        item_id,
        joinedload(ActionItem.recommendation).joinedload(Recommendation.report),
        joinedload(ActionItem.lead_department),
        selectinload(ActionItem.supporting_departments),
        selectinload(ActionItem.practices),
        selectinload(ActionItem.indicators),
        message=_("There is no action item %(id)s.", id=item_id),
    )
    state = progress.item_states([item], as_of, fold=True)[item.id]
    rec, report = item.recommendation, item.recommendation.report
    official, pending = state.official, state.pending
    rows = (
        {
            u.id: u
            for u in db.session.scalars(
                select(StatusUpdate).where(StatusUpdate.id.in_([u.id for u in (official, pending) if u is not None]))
            )
        }
        if (official or pending)
        else {}
    )
    data = {
        "as_of": as_of.as_of,
        "known_at": as_of.known_at,
        **_item_ref(item),
        "report": {"id": report.id, "code": report.code, "title_zh": report.title_zh, "title_en": report.title_en},
        "recommendation": _rec_ref(rec),
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "practices": sorted(
            (
                {"id": p.id, "code": p.code, "section": p.section, "title_zh": p.title_zh, "title_en": p.title_en}
                for p in item.practices
            ),
            key=lambda p: (p["code"], p["id"]),
        ),
        "indicators": sorted(
            (
                {
                    "id": i.id,
                    "code": i.code,
                    "name_zh": i.name_zh,
                    "name_en": i.name_en,
                    "unit": i.unit,
                    "unit_en": i.unit_en,
                }
                for i in item.indicators
            ),
            key=lambda i: (i["code"], i["id"]),
        ),
        **_state(state),
        "effective_date": official.effective_date if official else None,
        "official_update": None
        if official is None
        else {
            "id": official.id,
            "status": official.status,
            "progress": official.progress,
            "effective_date": official.effective_date,
            "approved_on": official.approved_on,
            "narrative": rows[official.id].narrative,
            "reason": rows[official.id].reason,
        },
        "pending_update": None
        if pending is None
        else {
            "id": pending.id,
            "status": pending.status,
            "progress": pending.progress,
            "effective_date": pending.effective_date,
            "department_id": rows[pending.id].department_id,
        },
        "schedule": {"start_date": item.start_date, "due_date": item.due_date},
        "budget": {"amount": item.budget_amount, "source": item.budget_source, "note": item.budget_note},
        "position": item.position,
        "tracking_start": item.tracking_start,
    }
    return data, item


# --- Queries ----------------------------------------------------------------------


def _get_report(report_id: int) -> Report:
    """The report or NotFound (404)."""
    return load_or_404(Report, report_id, message=_("There is no report %(id)s.", id=report_id), field="report")


def _recommendations(where: list[ColumnElement[bool]], as_of: DataDates) -> list[dict]:
    """Recommendations matching ``where``, fully nested, on ``as_of``.

    Nine statements whatever the number of recommendations, items, practices or indicators.
    """
    rec_ids = select(Recommendation.id).where(*where)
    recs = list(
        db.session.scalars(
            select(Recommendation)
            .where(*where)
            .options(
                selectinload(Recommendation.practices).selectinload(ReferencePractice.figures),
                selectinload(Recommendation.indicators).joinedload(Indicator.data_department),
                selectinload(Recommendation.action_items).options(
                    joinedload(ActionItem.lead_department),
                    selectinload(ActionItem.supporting_departments),
                ),
            )
            .order_by(Recommendation.report_id, Recommendation.position, Recommendation.id)
        )
    )
    if not recs:
        return []
    items = [it for rec in recs for it in rec.action_items]
    states = (
        progress.item_states(items, as_of, select(ActionItem.id).where(ActionItem.recommendation_id.in_(rec_ids)))
        if items
        else {}
    )
    indicator_states = benchmark.indicator_states([i for rec in recs for i in rec.indicators], as_of)
    adoption = latest_adoptions([rec.id for rec in recs], as_of)

    out = []
    for rec in recs:
        rec_items = [i for i in rec.action_items if states[i.id].exists]
        counts = Counter(states[i.id].status for i in rec_items)
        decision = adoption.get(rec.id)
        out.append(
            {
                **_rec_ref(rec),
                "report_id": rec.report_id,
                "text_zh": rec.text_zh,
                "text_en": rec.text_en,
                "version": rec.version,
                **_rollup(progress.rollup(rec_items, states), len(rec_items), counts),
                "adoption": None
                if decision is None
                else {
                    "decision": decision.decision,
                    "reason": decision.reason,
                    "decided_on": decision.decided_on,
                    "decided_by": decision.decided_by,
                },
                "practices": [_practice(p) for p in rec.practices],
                "indicators": [_indicator(indicator_states[i.id]) for i in rec.indicators],
                "action_items": [{**_item_ref(it), **_state(states[it.id])} for it in rec_items],
            }
        )
    return out
