"""The lists of reference practices, figures and indicators: their arguments and answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...models import Direction
from ..common import IdArg
from ..listing import BoundedInt, ListArgsSchema, PaginationSchema, PagingArgsSchema, SortArg, text_filter
from .recommendations import IndicatorSchema, PracticeFigureSchema, PracticeSchema

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
