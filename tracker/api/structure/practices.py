"""Reference practices and their figures: list, read, create, update."""

from __future__ import annotations

from flask import g
from marshmallow import RAISE
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
)
from ...services import structure
from .. import schemas
from ..common import (
    etag_header,
)
from ..listing import LIST_HEADERS
from ..presenters import _figure, _practice
from .blueprint import (
    CREATED_HEADERS,
    TARGETS,
    _actor,
    _created,
    _etag,
    _exists,
    _list,
    _patch,
    _write,
    blp,
    read_op,
    write_operation,
)
from .bodies import body_schema

PracticeCreateSchema = body_schema("PracticeCreate", structure.PRACTICE_FIELDS, True)
PracticeUpdateSchema = body_schema("PracticeUpdate", structure.PRACTICE_FIELDS, False)


def _practice_detail(practice_id: int) -> dict:
    practice = db.session.scalar(
        select(ReferencePractice)
        .where(ReferencePractice.id == practice_id)
        .options(selectinload(ReferencePractice.figures))
    )
    return _practice(practice)


@blp.get("/practices")
@read_op
@blp.arguments(schemas.PracticeListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.PracticeListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_practices(args: dict):
    """Reference practices (國外標竿作法) with their figures, a page at a time.

    Filter with ?report=, ?recommendation= (404 if there is no such one), ?place=; sort with ?sort=.
    """
    where: list = []
    if args.get("report") is not None:
        report_id = _exists(Report, args["report"], "report")
        where.append(
            ReferencePractice.recommendation_id.in_(
                select(Recommendation.id).where(Recommendation.report_id == report_id)
            )
        )
    if args.get("recommendation") is not None:
        where.append(
            ReferencePractice.recommendation_id == _exists(Recommendation, args["recommendation"], "recommendation")
        )
    if args.get("place"):
        needle = args["place"].lower()
        where.append(
            or_(
                func.lower(ReferencePractice.place_zh).contains(needle, autoescape=True),
                func.lower(ReferencePractice.place_en).contains(needle, autoescape=True),
            )
        )
    return _list(
        ReferencePractice,
        args,
        where,
        schemas.PRACTICE_SORT,
        "practices",
        _practice,
        (selectinload(ReferencePractice.figures),),
    )


@blp.get("/practices/<int:practice_id>")
@read_op
@blp.response(200, schemas.PracticeSchema, headers=etag_header("practice"))
@blp.alt_response(404, response="NOT_FOUND")
def get_practice(practice_id: int):
    """One reference practice with its figures. The ETag names its version."""
    practice = g.api_target
    return _practice_detail(practice.id), 200, {"ETag": _etag("practice", practice)}


@blp.post("/practices")
@write_operation(created=True)
@blp.arguments(PracticeCreateSchema)
@blp.response(201, schemas.PracticeSchema, headers={**CREATED_HEADERS, **etag_header("practice")})
def create_practice(data: dict):
    """Add a reference practice to a recommendation (administrators)."""
    practice = _write(lambda: structure.create_practice(_actor(), data))
    return _created(
        "practice", practice, _practice_detail(practice.id), "api_structure.get_practice", practice_id=practice.id
    )


@blp.patch("/practices/<int:practice_id>")
@write_operation(created=False)
@blp.arguments(PracticeUpdateSchema)
@blp.response(200, schemas.PracticeSchema, headers=etag_header("practice"))
def update_practice(data: dict, practice_id: int):
    """Change a reference practice (administrators); only the keys sent change. Needs If-Match."""
    practice = _patch("practice", g.api_target, data, structure.update_practice)
    return _practice_detail(practice.id), 200, {"ETag": _etag("practice", practice)}


TARGETS["api_structure.get_practice"] = ("practice_id", ReferencePractice, "practice")
TARGETS["api_structure.update_practice"] = ("practice_id", ReferencePractice, "practice")


# --- Practice figures ------------------------------------------------------------------------------------

FigureCreateSchema = body_schema("FigureCreate", structure.FIGURE_FIELDS, True)
FigureUpdateSchema = body_schema("FigureUpdate", structure.FIGURE_FIELDS, False)


@blp.get("/figures")
@read_op
@blp.arguments(schemas.FigureListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.FigureListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_figures(args: dict):
    """Figures the reports give for their practices, with the verbatim quote, a page at a time.

    Filter with ?practice=, ?recommendation= (404 if there is no such one), ?year=; sort with ?sort=.
    """
    where: list = []
    if args.get("practice") is not None:
        where.append(PracticeFigure.practice_id == _exists(ReferencePractice, args["practice"], "practice"))
    if args.get("recommendation") is not None:
        rec_id = _exists(Recommendation, args["recommendation"], "recommendation")
        where.append(
            PracticeFigure.practice_id.in_(
                select(ReferencePractice.id).where(ReferencePractice.recommendation_id == rec_id)
            )
        )
    if args.get("year") is not None:
        where.append(PracticeFigure.year == args["year"])
    return _list(PracticeFigure, args, where, schemas.FIGURE_SORT, "figures", _figure)


@blp.get("/figures/<int:figure_id>")
@read_op
@blp.response(200, schemas.PracticeFigureSchema, headers=etag_header("figure"))
@blp.alt_response(404, response="NOT_FOUND")
def get_figure(figure_id: int):
    """One figure of a practice. The ETag names its version."""
    figure = g.api_target
    return _figure(figure), 200, {"ETag": _etag("figure", figure)}


@blp.post("/figures")
@write_operation(created=True)
@blp.arguments(FigureCreateSchema)
@blp.response(201, schemas.PracticeFigureSchema, headers={**CREATED_HEADERS, **etag_header("figure")})
def create_figure(data: dict):
    """Add a figure to a practice (administrators): a value, or its wording when the report gives only words."""
    figure = _write(lambda: structure.create_figure(_actor(), data))
    return _created("figure", figure, _figure(figure), "api_structure.get_figure", figure_id=figure.id)


@blp.patch("/figures/<int:figure_id>")
@write_operation(created=False)
@blp.arguments(FigureUpdateSchema)
@blp.response(200, schemas.PracticeFigureSchema, headers=etag_header("figure"))
def update_figure(data: dict, figure_id: int):
    """Change a figure (administrators); only the keys sent change. Needs If-Match."""
    figure = _patch("figure", g.api_target, data, structure.update_figure)
    return _figure(figure), 200, {"ETag": _etag("figure", figure)}


TARGETS["api_structure.get_figure"] = ("figure_id", PracticeFigure, "figure")
TARGETS["api_structure.update_figure"] = ("figure_id", PracticeFigure, "figure")
