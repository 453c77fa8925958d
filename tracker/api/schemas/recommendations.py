"""Recommendations and what they carry: adoption, reference practices and their figures,
indicators with their values, tracking decisions, the brief state of each action item.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from ...models import Adoption, Direction, Status, TrackingChoice
from ...services.benchmark import OnTrack
from ..common import IdArg
from ..listing import ListArgsSchema, PaginationSchema, SortArg, text_filter
from .base import FLAGS, MISSING, DepartmentRefSchema, Progress, _enum, _number
from .reports import RollUpFields


class AdoptionSchema(Schema):
    decision = _enum(Adoption, required=True)
    reason = fields.String(required=True)
    decided_on = fields.Date(required=True)
    decided_by = fields.String(required=True)


VERSION_DOC = {"description": "Bumped by every edit; the ETag names it"}


class PracticeFigureSchema(Schema):
    id = fields.Integer(required=True)
    practice_id = fields.Integer(required=True)
    code = fields.String(required=True)
    position = fields.Integer(required=True)
    version = fields.Integer(required=True, metadata=VERSION_DOC)
    label_zh = fields.String(required=True)
    label_en = fields.String(required=True)
    value = _number("Numeric value; null when the report gives it only as text", required=True)
    value_text_zh = fields.String(required=True)
    value_text_en = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "Unit as the report writes it (zh-TW)"})
    unit_en = fields.String(
        required=True,
        metadata={"description": "English form of the unit; empty when none is recorded (show unit instead)"},
    )
    year = fields.Integer(required=True, allow_none=True)
    section = fields.String(required=True)
    quote_zh = fields.String(required=True, metadata={"description": "Verbatim quote from the report"})


class PracticeSchema(Schema):
    id = fields.Integer(required=True)
    recommendation_id = fields.Integer(required=True)
    code = fields.String(required=True)
    position = fields.Integer(required=True)
    version = fields.Integer(required=True, metadata=VERSION_DOC)
    section = fields.String(required=True)
    place_zh = fields.String(required=True)
    place_en = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    description_zh = fields.String(required=True)
    description_en = fields.String(required=True)
    figures = fields.List(fields.Nested(PracticeFigureSchema), required=True)


class ReferenceValueSchema(Schema):
    value = _number("Reference (benchmark) value", required=True)
    year = fields.Integer(required=True, allow_none=True)
    place_zh = fields.String(required=True)
    place_en = fields.String(required=True)
    source = fields.String(required=True)


class BaselineSchema(Schema):
    value = _number("Tainan baseline; null when the report gives none (see missing)", required=True)
    year = fields.Integer(required=True, allow_none=True)
    source = fields.String(required=True)


class TargetSchema(Schema):
    value = _number("Target value", required=True)
    year = fields.Integer(required=True, allow_none=True)


class MeasurementSchema(Schema):
    id = fields.Integer(required=True)
    value = fields.Float(required=True)
    measured_on = fields.Date(required=True)


class IndicatorSchema(Schema):
    id = fields.Integer(required=True)
    recommendation_id = fields.Integer(required=True)
    code = fields.String(required=True)
    position = fields.Integer(required=True)
    version = fields.Integer(required=True, metadata=VERSION_DOC)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "Unit as the report writes it (zh-TW)"})
    unit_en = fields.String(
        required=True,
        metadata={"description": "English form of the unit; empty when none is recorded (show unit instead)"},
    )
    direction = _enum(Direction, "Which way is better", required=True)
    practice_id = fields.Integer(required=True, allow_none=True)
    reference = fields.Nested(ReferenceValueSchema, required=True)
    baseline = fields.Nested(BaselineSchema, required=True)
    target = fields.Nested(TargetSchema, required=True)
    latest = fields.Nested(
        MeasurementSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Latest official measurement on the as-of date"},
    )
    gap_closure = _number(
        "(latest − baseline) / (reference − baseline), 4 decimals; null when undefined", required=True
    )
    ratio = _number("Actual / needed yearly change towards the target, 4 decimals; null when undefined", required=True)
    on_track = _enum(OnTrack, "On-track class (after Open SDG)", required=True)
    missing = fields.List(
        fields.String(validate=OneOf(MISSING)), required=True, metadata={"description": "Data still to be provided"}
    )
    data_department = fields.Nested(
        DepartmentRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Department expected to provide missing data"},
    )
    notes_zh = fields.String(required=True)
    notes_en = fields.String(required=True)


class TrackingDecisionSchema(Schema):
    id = fields.Integer(required=True)
    decision = _enum(TrackingChoice, required=True)
    reason = fields.String(required=True)
    effective_date = fields.Date(required=True)


class ItemStateFields(Schema):
    """Official state of an action item on the as-of date."""

    status = _enum(Status, "Official status: from the latest approved update", required=True)
    progress = Progress(required=True)
    flags = fields.List(
        fields.String(validate=OneOf(FLAGS)), required=True, metadata={"description": "Health flags on the as-of date"}
    )
    pending = fields.Boolean(required=True, metadata={"description": "An update awaits review"})
    tracking_decision = fields.Nested(TrackingDecisionSchema, required=True, allow_none=True)


class ActionItemBriefSchema(ItemStateFields):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    source_section = fields.String(required=True)
    lead_department = fields.Nested(DepartmentRefSchema, required=True)
    supporting_departments = fields.List(fields.Nested(DepartmentRefSchema), required=True)
    departments_proposed = fields.Boolean(
        required=True,
        metadata={
            "description": "The report does not name these departments: proposed (擬議) until a reviewer confirms them"
        },
    )
    start_date = fields.Date(required=True, allow_none=True)
    due_date = fields.Date(required=True, allow_none=True)
    weight = fields.Float(required=True)
    version = fields.Integer(required=True, metadata={"description": "Bumped by every write (see ETag)"})


class RecommendationSchema(RollUpFields):
    id = fields.Integer(required=True)
    report_id = fields.Integer(required=True)
    code = fields.String(required=True)
    position = fields.Integer(required=True)
    section = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    text_zh = fields.String(required=True)
    text_en = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Bumped by every edit; the ETag names it"})
    adoption = fields.Nested(
        AdoptionSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Latest adoption decision (採行情形) on the as-of date"},
    )
    practices = fields.List(fields.Nested(PracticeSchema), required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
    action_items = fields.List(fields.Nested(ActionItemBriefSchema), required=True)


class RecommendationListSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class RecommendationDetailSchema(RecommendationSchema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})


RECOMMENDATION_SORT = ("report_id", "position", "code", "section", "id")


class RecommendationArgsSchema(ListArgsSchema):
    sort = SortArg(RECOMMENDATION_SORT, "report_id,position")
    code = text_filter("Code contains (case-insensitive)", 40)
    section = text_filter("Section contains, e.g. 三", 40)
    report = IdArg(
        load_default=None,
        error_messages={"invalid": _l("Not a valid report id: use the number of a report.")},
        metadata={"description": "Only the recommendations of this report (id)"},
    )
