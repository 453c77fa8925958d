"""Response schemas of the read API (they also write its OpenAPI document).

Numbers: every progress is a JSON number rounded to one decimal (0.0–100.0) or
null when nothing counts; every stored Decimal (figure and indicator values,
budgets, weights) is a JSON number too, never a string. Dates are ISO strings,
enumerations their stored value. Bilingual texts come as ``*_zh`` and ``*_en``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from ..models import Adoption, BudgetSource, Direction, Status, TrackingChoice
from ..services.benchmark import OnTrack
from .common import IdArg
from .listing import BoundedInt, ListArgsSchema, PaginationSchema, PagingArgsSchema, SortArg, text_filter

FLAGS = ("overdue", "due_soon", "stale")
MISSING = ("baseline", "target", "reference", "measurement")


class Progress(fields.Float):
    """Progress in percent, one decimal, or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", "Percent, one decimal (0.0–100.0); null when no item counts")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return round(float(value), 1)


def _number(description: str, **kw) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description}, **kw)


def _enum(enum_cls, description: str = "", **kw) -> fields.Enum:
    return fields.Enum(enum_cls, by_value=True, metadata={"description": description} if description else {}, **kw)


StatusCountsSchema = Schema.from_dict({s.value: fields.Integer(required=True) for s in Status}, name="StatusCounts")


class DepartmentRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


# --- Reports --------------------------------------------------------------------


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


# --- Recommendations --------------------------------------------------------------


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


# --- Action items -----------------------------------------------------------------


class RecommendationRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    section = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)


class ReportRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)


class PracticeRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    section = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)


class IndicatorRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "Unit as the report writes it (zh-TW)"})
    unit_en = fields.String(
        required=True,
        metadata={"description": "English form of the unit; empty when none is recorded (show unit instead)"},
    )


class OfficialUpdateSchema(Schema):
    id = fields.Integer(required=True)
    status = _enum(Status, required=True)
    progress = Progress(required=True)
    effective_date = fields.Date(required=True, metadata={"description": "The date the update describes"})
    approved_on = fields.Date(required=True)
    narrative = fields.String(required=True, metadata={"description": "What was done (辦理情形)"})
    reason = fields.String(required=True)


class PendingUpdateSchema(Schema):
    id = fields.Integer(required=True)
    status = _enum(Status, required=True)
    progress = Progress(required=True)
    effective_date = fields.Date(required=True)
    department_id = fields.Integer(required=True)


class ScheduleSchema(Schema):
    start_date = fields.Date(required=True, allow_none=True)
    due_date = fields.Date(required=True, allow_none=True)


class BudgetSchema(Schema):
    amount = _number("NT$; null when no budget is planned", required=True)
    source = _enum(BudgetSource, required=True, allow_none=True)
    note = fields.String(required=True)


class ActionItemDetailSchema(ItemStateFields):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    report = fields.Nested(ReportRefSchema, required=True)
    recommendation = fields.Nested(RecommendationRefSchema, required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    description_zh = fields.String(required=True)
    description_en = fields.String(required=True)
    source_section = fields.String(required=True)
    lead_department = fields.Nested(DepartmentRefSchema, required=True)
    supporting_departments = fields.List(fields.Nested(DepartmentRefSchema), required=True)
    departments_proposed = fields.Boolean(
        required=True,
        metadata={
            "description": "The report does not name these departments: proposed (擬議) until a reviewer confirms them"
        },
    )
    practices = fields.List(fields.Nested(PracticeRefSchema), required=True)
    indicators = fields.List(fields.Nested(IndicatorRefSchema), required=True)
    effective_date = fields.Date(
        required=True, allow_none=True, metadata={"description": "Effective date of the official update"}
    )
    official_update = fields.Nested(OfficialUpdateSchema, required=True, allow_none=True)
    pending_update = fields.Nested(PendingUpdateSchema, required=True, allow_none=True)
    schedule = fields.Nested(ScheduleSchema, required=True)
    budget = fields.Nested(BudgetSchema, required=True)
    weight = fields.Float(required=True, metadata={"description": "Weight in the recommendation's roll-up"})
    version = fields.Integer(required=True, metadata={"description": "Send it back as If-Match (see ETag)"})
    position = fields.Integer(required=True, metadata={"description": "Order among the recommendation's items"})
    tracking_start = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Tracking starts on this day if set, otherwise on the report's filing date"},
    )


# --- Practices and figures ----------------------------------------------------------

PRACTICE_SORT = ("recommendation_id", "position", "code", "section", "id")
FIGURE_SORT = ("practice_id", "position", "code", "year", "id")


class PracticeListArgsSchema(PagingArgsSchema):
    sort = SortArg(PRACTICE_SORT, "recommendation_id,position")
    report = IdArg(load_default=None, metadata={"description": "Only practices of this report's recommendations"})
    recommendation = IdArg(load_default=None, metadata={"description": "Only practices of this recommendation"})
    place = text_filter("Place contains (zh-TW or English)")


class PracticeListSchema(Schema):
    practices = fields.List(fields.Nested(PracticeSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class FigureListArgsSchema(PagingArgsSchema):
    sort = SortArg(FIGURE_SORT, "practice_id,position")
    practice = IdArg(load_default=None, metadata={"description": "Only figures of this practice"})
    recommendation = IdArg(
        load_default=None, metadata={"description": "Only figures of this recommendation's practices"}
    )
    year = BoundedInt(1900, 2199, load_default=None, metadata={"description": "Only figures of this data year"})


class FigureListSchema(Schema):
    figures = fields.List(fields.Nested(PracticeFigureSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


# --- Indicators ---------------------------------------------------------------------

INDICATOR_SORT = ("recommendation_id", "position", "code", "name_zh", "name_en", "id")


class IndicatorListArgsSchema(ListArgsSchema):
    sort = SortArg(INDICATOR_SORT, "recommendation_id,position")
    report = IdArg(load_default=None, metadata={"description": "Only indicators of this report's recommendations"})
    recommendation = IdArg(load_default=None, metadata={"description": "Only indicators of this recommendation"})
    direction = fields.Enum(
        Direction,
        by_value=True,
        load_default=None,
        metadata={"description": "Only indicators where this way is better"},
    )
    data_department = IdArg(
        load_default=None, metadata={"description": "Only indicators whose missing data this department is to provide"}
    )


class IndicatorListSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class IndicatorDetailSchema(IndicatorSchema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})


# --- Action items (list) ------------------------------------------------------------

ITEM_SORT = ("recommendation_id", "position", "code", "due_date", "start_date", "title_zh", "title_en", "id")


class ItemListArgsSchema(ListArgsSchema):
    sort = SortArg(ITEM_SORT, "recommendation_id,position")
    report = IdArg(load_default=None, metadata={"description": "Only items of this report"})
    recommendation = IdArg(load_default=None, metadata={"description": "Only items of this recommendation"})
    lead_department = IdArg(load_default=None, metadata={"description": "Only items this department leads"})
    supporting_department = IdArg(load_default=None, metadata={"description": "Only items this department supports"})
    due_before = fields.Date(
        load_default=None, metadata={"description": "Only items due on or before this day (YYYY-MM-DD)"}
    )


class ActionItemListEntrySchema(ActionItemBriefSchema):
    recommendation_id = fields.Integer(required=True)
    report_id = fields.Integer(required=True)


class ActionItemListSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "Data date of the state"})
    known_at = fields.Date(required=True, metadata={"description": "Knowledge date of the state"})
    action_items = fields.List(fields.Nested(ActionItemListEntrySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)
