"""Reports: list entries, detail (with each recommendation's roll-up) and list arguments."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..listing import BoundedInt, ListArgsSchema, PaginationSchema, SortArg, text_filter
from .base import Progress, StatusCountsSchema


class ReportSummarySchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    agency_zh = fields.String(required=True)
    agency_en = fields.String(required=True)
    trip_start = fields.Date(required=True)
    trip_end = fields.Date(required=True)
    report_date = fields.Date(required=True)
    progress = Progress(
        required=True,
        metadata={"description": "Mean of the recommendations' progress on the as-of date; null when no item counts"},
    )


class ReportListSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    reports = fields.List(fields.Nested(ReportSummarySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class RollUpFields(Schema):
    """The roll-up of a recommendation: Σ(weight × progress) / Σ(weight), not-feasible items left out."""

    progress = Progress(required=True)
    item_count = fields.Integer(required=True, metadata={"description": "Action items of the recommendation"})
    items_counted = fields.Integer(required=True, metadata={"description": "Items in the weighted mean"})
    items_excluded = fields.Integer(required=True, metadata={"description": "Not-feasible items left out"})
    status_counts = fields.Nested(
        StatusCountsSchema, required=True, metadata={"description": "Items by official status on the as-of date"}
    )


class RecommendationSummarySchema(RollUpFields):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    position = fields.Integer(required=True)
    section = fields.String(required=True, metadata={"description": "Report section it comes from, e.g. 三(三)"})
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)


class ReportDetailSchema(ReportSummarySchema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    destination_zh = fields.String(required=True)
    destination_en = fields.String(required=True)
    summary_zh = fields.String(required=True)
    summary_en = fields.String(required=True)
    travellers_zh = fields.String(required=True)
    travellers_en = fields.String(required=True)
    source_file = fields.String(required=True, metadata={"description": "The document the report was read from"})
    version = fields.Integer(required=True, metadata={"description": "Bumped by every edit; the ETag names it"})
    recommendations = fields.List(fields.Nested(RecommendationSummarySchema), required=True)


REPORT_SORT = ("report_date", "trip_start", "code", "title_zh", "title_en", "id")


class ReportListArgsSchema(ListArgsSchema):
    sort = SortArg(REPORT_SORT, "-report_date")
    year = BoundedInt(1900, 2199, load_default=None, metadata={"description": "Filed in this year (report_date)"})
    code = text_filter("Code contains (case-insensitive)", 60)
    agency = text_filter("Agency contains (zh-TW or English name)")
    destination = text_filter("Destination contains (zh-TW or English)")
