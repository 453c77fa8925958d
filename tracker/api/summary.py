"""Summary API: the dashboard's numbers as JSON, as of any date.

Built by services.progress.build_summary, the one function behind the dashboard page
and the annual export, so the three cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields

from ..dates import DataDates
from ..inputs import get_by_id
from ..models import Report, Status
from ..services import permissions, progress
from ..services.review import latest_adoptions
from .common import API_SECURITY, ApiBlueprint, AsOfArgsSchema, IdArg, require_reader, resolve_as_of
from .schemas import Progress, StatusCountsSchema

blp = ApiBlueprint(
    "api_summary",
    __name__,
    url_prefix="/api/v1",
    description="Dashboard numbers as of a date (the same numbers as the dashboard page)",
)

FORMULA = (
    "recommendation progress = Σ(weight × item progress) / Σ(weight) over applicable items "
    "(not-feasible items left out); overall progress = mean of the recommendations' progress "
    "(for several reports, the mean of the reports' means)"
)


@blp.before_request
def _signed_in() -> None:
    require_reader()


class SummaryArgsSchema(AsOfArgsSchema):
    report = IdArg(
        load_default=None,
        error_messages={"invalid": _l("Not a valid report id: use the number of a report.")},
        metadata={"description": "Limit to one report (its id). Default: every report."},
    )


class SummaryReportSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)


class SummaryRollupSchema(Schema):
    weight_total = fields.Float(required=True)
    items_counted = fields.Integer(required=True)
    items_excluded = fields.Integer(required=True, metadata={"description": "Not-feasible items left out"})


class SummaryAdoptionSchema(Schema):
    decision = fields.String(required=True)
    decided_on = fields.Date(required=True)
    decided_by = fields.String(required=True)


class SummaryRecommendationSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    report_id = fields.Integer(required=True)
    section = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    progress = Progress(required=True)
    rollup = fields.Nested(SummaryRollupSchema, required=True)
    item_count = fields.Integer(required=True)
    status_counts = fields.Nested(StatusCountsSchema, required=True)
    adoption = fields.Nested(SummaryAdoptionSchema, allow_none=True, required=True)


class SummaryDepartmentSchema(Schema):
    department_id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    status_counts = fields.Nested(StatusCountsSchema, required=True)
    total = fields.Integer(required=True)


class SummaryFlaggedItemSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    recommendation_code = fields.String(required=True)
    lead_department_code = fields.String(required=True)
    due_date = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True)
    progress = fields.Integer(required=True)
    last_approved_effective_date = fields.Date(allow_none=True, required=True)


class SummaryFlagsSchema(Schema):
    overdue = fields.List(fields.Nested(SummaryFlaggedItemSchema), required=True)
    due_soon = fields.List(fields.Nested(SummaryFlaggedItemSchema), required=True)
    stale = fields.List(fields.Nested(SummaryFlaggedItemSchema), required=True)


class SummaryDecisionSchema(Schema):
    id = fields.Integer(required=True)
    action_item_id = fields.Integer(required=True)
    action_item_code = fields.String(required=True)
    recommendation_code = fields.String(required=True)
    decision = fields.String(required=True, metadata={"description": "continue, release or self_track"})
    reason = fields.String(required=True)
    effective_date = fields.Date(required=True)


class SummaryReportingSchema(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    deadline = fields.Date(required=True)
    must_report = fields.Integer(required=True)
    reported = fields.Integer(required=True)
    on_time = fields.Integer(required=True)
    late = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    not_reported = fields.Integer(required=True)


class SummaryFlagCountsSchema(Schema):
    overdue = fields.Integer(required=True)
    due_soon = fields.Integer(required=True)
    stale = fields.Integer(required=True)


class SummarySchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "Data date"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date"})
    year = fields.Integer(required=True, metadata={"description": "Year whose tracking decisions are listed"})
    reports = fields.List(fields.Nested(SummaryReportSchema), required=True)
    formula = fields.String(required=True)
    overall_progress = Progress(required=True)
    item_count = fields.Integer(required=True)
    status_counts = fields.Nested(StatusCountsSchema, required=True)
    recommendations = fields.List(fields.Nested(SummaryRecommendationSchema), required=True)
    departments = fields.List(fields.Nested(SummaryDepartmentSchema), required=True)
    flags = fields.Nested(
        SummaryFlagsSchema,
        required=True,
        metadata={"description": "The first 100 items carrying each flag (flag_counts has the totals)"},
    )
    flag_counts = fields.Nested(SummaryFlagCountsSchema, required=True)
    reporting = fields.Nested(
        SummaryReportingSchema, required=True, metadata={"description": "Reporting on the period holding the data date"}
    )
    decisions = fields.List(fields.Nested(SummaryDecisionSchema), required=True)
    pending_count = fields.Integer(
        required=True, metadata={"description": "Updates submitted and not yet reviewed on the as-of date"}
    )


_STATUS_VALUES = tuple((s, s.value) for s in Status)  # enum .value is slow, and this runs per row


def _counts(counter: Any) -> dict[str, int]:
    return {value: int(counter.get(s, 0)) for s, value in _STATUS_VALUES}


FLAG_LIMIT = 100


def summary_payload(summary: progress.Summary, adoptions: dict | None = None) -> dict:
    """The Summary as plain data (dates stay dates: the schema formats them)."""
    adoptions = adoptions or {}
    departments = summary.departments

    def flagged(f: progress.FlaggedItem) -> dict:
        return {
            "id": f.item_id,
            "code": f.code,
            "recommendation_code": f.recommendation_code,
            "lead_department_code": departments[f.lead_department_id].code,
            "due_date": f.due_date,
            "status": f.status.value,
            "progress": f.progress,
            "last_approved_effective_date": f.last_effective,
        }

    recs = []
    for rs in summary.recommendations:
        rec = rs.recommendation
        ad = adoptions.get(rec.id)
        recs.append(
            {
                "id": rec.id,
                "code": rec.code,
                "report_id": rec.report_id,
                "section": rec.section,
                "title_zh": rec.title_zh,
                "title_en": rec.title_en,
                "progress": rs.rollup.progress,
                "rollup": {
                    "weight_total": float(rs.rollup.weight_total),
                    "items_counted": rs.rollup.items_counted,
                    "items_excluded": rs.rollup.items_excluded,
                },
                "item_count": rs.item_count,
                "status_counts": _counts(rs.status_counts),
                "adoption": {"decision": ad.decision.value, "decided_on": ad.decided_on, "decided_by": ad.decided_by}
                if ad
                else None,
            }
        )
    depts = []
    for dept_id, counter in sorted(summary.department_counts.items(), key=lambda kv: departments[kv[0]].code):
        d = departments[dept_id]
        depts.append(
            {
                "department_id": d.id,
                "code": d.code,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "status_counts": _counts(counter),
                "total": sum(counter.values()),
            }
        )
    rp = summary.reporting
    return {
        "as_of": summary.dates.as_of,
        "known_at": summary.dates.known_at,
        "year": summary.as_of.year,
        "reports": [
            {"id": r.id, "code": r.code, "title_zh": r.title_zh, "title_en": r.title_en} for r in summary.reports
        ],
        "formula": FORMULA,
        "overall_progress": summary.overall_progress,
        "item_count": summary.item_count,
        "status_counts": _counts(summary.status_counts),
        "recommendations": recs,
        "departments": depts,
        "flags": {flag: [flagged(f) for f in summary.flagged[flag][:FLAG_LIMIT]] for flag in progress.FLAGS},
        "flag_counts": dict(summary.flag_counts),
        "reporting": {
            "period_start": rp.period.start,
            "period_end": rp.period.end,
            "deadline": rp.period.deadline,
            "must_report": rp.must_report,
            "reported": rp.reported,
            "on_time": rp.on_time,
            "late": rp.late,
            "approved": rp.approved,
            "returned": rp.returned,
            "not_reported": rp.not_reported,
        },
        "decisions": [
            {
                "id": d.id,
                "action_item_id": d.item_id,
                "action_item_code": d.item_code,
                "recommendation_code": d.recommendation_code,
                "decision": d.decision.value,
                "reason": d.reason,
                "effective_date": d.effective_date,
            }
            for d in summary.decisions_in_year
        ],
        "pending_count": summary.pending_count,
    }


def _field_dumper(field: fields.Field) -> Callable[[Any], Any]:
    """A plain function giving what ``field`` serialises a value to (None stays None)."""
    if isinstance(field, Progress):
        return lambda v: None if v is None else round(float(v), 1)
    if isinstance(field, fields.Integer) and not field.as_string:
        return lambda v: None if v is None else int(v)
    if isinstance(field, fields.Float) and not field.as_string:
        return lambda v: None if v is None else float(v)
    if type(field) is fields.String:
        return lambda v: None if v is None else (v if isinstance(v, str) else str(v))
    if type(field) is fields.Date and field.format in (None, "iso"):
        return lambda v: None if v is None else v.isoformat()
    if type(field) is fields.Nested and not field.many:
        inner = schema_dumper(field.schema)
        return lambda v: None if v is None else inner(v)
    if type(field) is fields.List:
        item = _field_dumper(field.inner)
        return lambda v: None if v is None else [item(x) for x in v]
    return lambda v: field._serialize(v, None, None)  # anything else: marshmallow itself


def schema_dumper(schema: Schema) -> Callable[[dict], dict]:
    """``schema.dump`` for plain dicts as a precomputed function (built once per schema, from
    code only): every declared field, in order, a key absent from the data left out. The
    summary holds thousands of values; marshmallow's generic walk was half of its time.
    tests/test_summary_api.py checks that it answers exactly what ``schema.dump`` does."""
    plan = [(name, field.data_key or name, _field_dumper(field)) for name, field in schema.dump_fields.items()]

    def dump(data: dict) -> dict:
        return {key: conv(data[name]) for name, key, conv in plan if name in data}

    return dump


_dump_summary = schema_dumper(SummarySchema())


def build_payload(as_of: DataDates, report_ids: list[int] | None) -> dict:
    """build_summary plus the adoption decisions in force, as API data."""
    summary = progress.build_summary(
        as_of, report_ids, flag_limit=FLAG_LIMIT, decision_limit=1000, with_recommendations=True
    )
    adoptions = latest_adoptions([rs.recommendation.id for rs in summary.recommendations], as_of)
    return summary_payload(summary, adoptions)


@blp.get("/summary")
@blp.doc(security=API_SECURITY)
@blp.arguments(SummaryArgsSchema, location="query")
@blp.response(200, SummarySchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
def get_summary(args: dict) -> dict:
    """Dashboard numbers on the as-of date: overall and per-recommendation progress, status
    counts overall and per lead department, overdue / due-soon / stale items, the year's
    tracking decisions and the number of updates pending review."""
    user = g.get("api_user") or current_user
    if not permissions.can_view_dashboard(user):
        abort(403, description=_("Only reviewers, viewers and administrators see the dashboard numbers."))
    as_of = resolve_as_of(args)
    report_ids = None
    if args.get("report") is not None:
        report = get_by_id(Report, args["report"])
        if report is None:
            abort(404, description=_("No such report: %(value)s.", value=args["report"]))
        report_ids = [report.id]
    # Serialised here (the schema above documents it): a Response is passed through as is.
    return jsonify(_dump_summary(build_payload(as_of, report_ids)))
