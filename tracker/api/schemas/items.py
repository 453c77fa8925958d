"""Action items: references to what an item belongs to, its official and pending reports,
schedule, budget, the detail answer, and the list's arguments and entries.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from ...models import BudgetSource, Status
from ..common import IdArg
from ..listing import ListArgsSchema, PaginationSchema, SortArg
from .base import DepartmentRefSchema, Progress, _enum, _number
from .recommendations import ActionItemBriefSchema, ItemStateFields


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
