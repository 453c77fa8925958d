"""Creating and updating reports and recommendations (POST, PATCH)."""

from __future__ import annotations

from flask import g

from ...models import (
    Recommendation,
    Report,
)
from ...services import structure
from .. import reports as read_api
from .. import schemas
from ..common import (
    etag_header,
)
from .blueprint import CREATED_HEADERS, TARGETS, _actor, _created, _etag, _patch, _today, _write, blp, write_operation
from .bodies import body_schema

ReportCreateSchema = body_schema("ReportCreate", structure.REPORT_FIELDS, True)
ReportUpdateSchema = body_schema("ReportUpdate", structure.REPORT_FIELDS, False)


@blp.post("/reports")
@write_operation(created=True)
@blp.arguments(ReportCreateSchema)
@blp.response(201, schemas.ReportDetailSchema, headers={**CREATED_HEADERS, **etag_header("report")})
def create_report(data: dict):
    """Create a report (administrators). Answers the report as GET shows it."""
    report = _write(lambda: structure.create_report(_actor(), data))
    return _created(
        "report", report, read_api.report_detail(report, _today()), "api_reports.get_report", report_id=report.id
    )


@blp.patch("/reports/<int:report_id>")
@write_operation(created=False)
@blp.arguments(ReportUpdateSchema)
@blp.response(200, schemas.ReportDetailSchema, headers=etag_header("report"))
def update_report(data: dict, report_id: int):
    """Change a report's fields (administrators); only the keys sent change. Needs If-Match."""
    report = _patch("report", g.api_target, data, structure.update_report)
    return read_api.report_detail(report, _today()), 200, {"ETag": _etag("report", report)}


TARGETS["api_structure.update_report"] = ("report_id", Report, "report")


# --- Recommendations -------------------------------------------------------------------------------

RecommendationCreateSchema = body_schema("RecommendationCreate", structure.RECOMMENDATION_FIELDS, True)
RecommendationUpdateSchema = body_schema("RecommendationUpdate", structure.RECOMMENDATION_FIELDS, False)


@blp.post("/recommendations")
@write_operation(created=True)
@blp.arguments(RecommendationCreateSchema)
@blp.response(201, schemas.RecommendationDetailSchema, headers={**CREATED_HEADERS, **etag_header("recommendation")})
def create_recommendation(data: dict):
    """Add a recommendation to a report (administrators); ``position`` defaults to after the last."""
    rec = _write(lambda: structure.create_recommendation(_actor(), data))
    return _created(
        "recommendation",
        rec,
        read_api.recommendation_detail(rec.id, _today()),
        "api_reports.get_recommendation",
        recommendation_id=rec.id,
    )


@blp.patch("/recommendations/<int:recommendation_id>")
@write_operation(created=False)
@blp.arguments(RecommendationUpdateSchema)
@blp.response(200, schemas.RecommendationDetailSchema, headers=etag_header("recommendation"))
def update_recommendation(data: dict, recommendation_id: int):
    """Change a recommendation (administrators); only the keys sent change; its report stays. Needs If-Match."""
    rec = _patch("recommendation", g.api_target, data, structure.update_recommendation)
    return (read_api.recommendation_detail(rec.id, _today()), 200, {"ETag": _etag("recommendation", rec)})


TARGETS["api_structure.update_recommendation"] = ("recommendation_id", Recommendation, "recommendation")
