"""Indicators: list, read (with their measurements on the data date), create, update."""

from __future__ import annotations

from flask import g
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...dates import DataDates
from ...extensions import db
from ...models import (
    Department,
    Indicator,
    Recommendation,
    Report,
)
from ...services import benchmark, structure
from .. import schemas
from ..common import (
    AsOfArgsSchema,
    etag_header,
    resolve_as_of,
)
from ..listing import LIST_HEADERS, order_clauses, page_ids
from ..presenters import _indicator
from .blueprint import (
    CREATED_HEADERS,
    TARGETS,
    _actor,
    _created,
    _etag,
    _exists,
    _patch,
    _today,
    _write,
    blp,
    read_op,
    write_operation,
)
from .bodies import body_schema

IndicatorCreateSchema = body_schema("IndicatorCreate", structure.INDICATOR_FIELDS, True)
IndicatorUpdateSchema = body_schema("IndicatorUpdate", structure.INDICATOR_FIELDS, False)
INDICATOR_OPTIONS = (joinedload(Indicator.data_department),)


def _indicators(indicators: list[Indicator], as_of: DataDates) -> list[dict]:
    states = benchmark.indicator_states(indicators, as_of)
    return [_indicator(states[i.id]) for i in indicators]


def _indicator_detail(indicator_id: int, as_of: DataDates) -> dict:
    indicator = db.session.scalar(select(Indicator).where(Indicator.id == indicator_id).options(*INDICATOR_OPTIONS))
    return {**_indicators([indicator], as_of)[0], "as_of": as_of.as_of, "known_at": as_of.known_at}


@blp.get("/indicators")
@read_op
@blp.arguments(schemas.IndicatorListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.IndicatorListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_indicators(args: dict):
    """Indicators with reference, baseline, target and the latest official measurement on the as-of date.

    Filter with ?report=, ?recommendation=, ?data_department= (404 if there is no such one), ?direction=;
    sort with ?sort=.
    """
    as_of = resolve_as_of(args)
    where: list = []
    if args.get("report") is not None:
        report_id = _exists(Report, args["report"], "report")
        where.append(
            Indicator.recommendation_id.in_(select(Recommendation.id).where(Recommendation.report_id == report_id))
        )
    if args.get("recommendation") is not None:
        where.append(Indicator.recommendation_id == _exists(Recommendation, args["recommendation"], "recommendation"))
    if args.get("data_department") is not None:
        where.append(Indicator.data_department_id == _exists(Department, args["data_department"], "department"))
    if args.get("direction") is not None:
        where.append(Indicator.direction == args["direction"])
    columns = {name: getattr(Indicator, name) for name in schemas.INDICATOR_SORT}
    page = page_ids(
        select(Indicator.id).where(*where).order_by(*order_clauses(args["sort"], columns, Indicator.id)), args
    )
    rows = (
        {
            o.id: o
            for o in db.session.scalars(select(Indicator).where(Indicator.id.in_(page.ids)).options(*INDICATOR_OPTIONS))
        }
        if page.ids
        else {}
    )
    indicators = [rows[i] for i in page.ids if i in rows]
    body = {
        "as_of": as_of.as_of,
        "known_at": as_of.known_at,
        "indicators": _indicators(indicators, as_of),
        "pagination": page.body(),
    }
    return body, 200, page.headers()


@blp.get("/indicators/<int:indicator_id>")
@read_op
@blp.arguments(AsOfArgsSchema, location="query")
@blp.response(200, schemas.IndicatorDetailSchema, headers=etag_header("indicator"))
@blp.alt_response(404, response="NOT_FOUND")
def get_indicator(args: dict, indicator_id: int):
    """One indicator as of a date. The ETag names its version."""
    as_of = resolve_as_of(args)
    indicator = g.api_target
    return _indicator_detail(indicator.id, as_of), 200, {"ETag": _etag("indicator", indicator)}


@blp.post("/indicators")
@write_operation(created=True)
@blp.arguments(IndicatorCreateSchema)
@blp.response(201, schemas.IndicatorDetailSchema, headers={**CREATED_HEADERS, **etag_header("indicator")})
def create_indicator(data: dict):
    """Add an indicator to a recommendation (administrators). A baseline the report does not give stays empty."""
    indicator = _write(lambda: structure.create_indicator(_actor(), data))
    return _created(
        "indicator",
        indicator,
        _indicator_detail(indicator.id, _today()),
        "api_structure.get_indicator",
        indicator_id=indicator.id,
    )


@blp.patch("/indicators/<int:indicator_id>")
@write_operation(created=False)
@blp.arguments(IndicatorUpdateSchema)
@blp.response(200, schemas.IndicatorDetailSchema, headers=etag_header("indicator"))
def update_indicator(data: dict, indicator_id: int):
    """Change an indicator (administrators); only the keys sent change. Needs If-Match."""
    indicator = _patch("indicator", g.api_target, data, structure.update_indicator)
    return _indicator_detail(indicator.id, _today()), 200, {"ETag": _etag("indicator", indicator)}


TARGETS["api_structure.get_indicator"] = ("indicator_id", Indicator, "indicator")
TARGETS["api_structure.update_indicator"] = ("indicator_id", Indicator, "indicator")
