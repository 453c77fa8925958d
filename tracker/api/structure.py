"""Writing the structure of reports: create (POST) and update (PATCH) reports,
recommendations, reference practices and their figures, indicators and action items;
and the lists and single reads of the objects the read API did not have yet.

Rules (docs/api.md):
- Every signed-in role and token reads; only administrators write (403 before the body is
  read, logged as ``access.denied``). The operations are ``services.structure``: the same
  checks and audit rows whatever the caller.
- POST answers 201 with the object, ``Location`` and ``ETag``. PATCH changes only the keys
  it sends and needs ``If-Match`` with the ETag read: none is 428, an older version 412
  (with the current ``etag``), a malformed tag 400.
- A body key the object does not have, a missing required field or a value that breaks a
  rule is a 422 with ``errors`` mapping each field to its message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, ValidationError, fields
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..dates import DataDates
from ..extensions import db
from ..inputs import MAX_INT
from ..models import (
    ActionItem,
    Department,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    action_item_supporting,
)
from ..services import ConflictError, DomainError, PermissionDenied, benchmark, permissions, progress, structure
from ..services.structure import Field
from .common import (
    API_SECURITY,
    ETAG_PATTERN,
    ApiBlueprint,
    ApiErrorSchema,
    ApiParser,
    AsOfArgsSchema,
    PreconditionFailed,
    _first_error,
    _plain,
    etag_header,
    item_etag,
    local_today,
    require_reader,
    required_if_match,
    resolve_as_of,
    resource_etag,
)
from .listing import LIST_HEADERS, order_clauses, page_ids

blp = ApiBlueprint(
    "api_structure",
    __name__,
    url_prefix="/api/v1",
    description="Create and update reports, recommendations, practices, figures, indicators and "
    "action items (administrators); list and read practices, figures, indicators and "
    "action items",
)

# Which object a PATCH (or single GET) of an endpoint concerns: URL argument, model, ETag kind.
TARGETS: dict[str, tuple[str, type, str]] = {}


# --- request parsing ------------------------------------------------------------------------------

_MESSAGES = {
    "Missing data for required field.": lambda: _("Fill in this field."),
    "Unknown field.": lambda: _("This field does not exist here."),
    "Field may not be null.": lambda: _("This field cannot be null."),
    "Invalid input type.": lambda: _("Send the fields as a JSON object."),
}


class WriteParser(ApiParser):
    """Query arguments: 400 as everywhere. A JSON body that does not fit its schema (a missing
    required field, an unknown key, null where a value is needed): 422 with ``errors`` by
    field, the same shape as the service's own refusals."""

    def handle_error(
        self,
        error: ValidationError,
        req: Any,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> None:
        messages = error.messages
        if isinstance(messages, Mapping) and set(messages) == {"json"}:
            inner = messages["json"]
            errors = {}
            for key, value in inner.items() if isinstance(inner, Mapping) else [("_schema", inner)]:
                _field, text = _first_error(value)
                text = _MESSAGES.get(text, lambda t=text: t)()
                errors["body" if key == "_schema" else str(key)[:60]] = text
            first = next(iter(errors))
            message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
            raise DomainError(message, field=first, code="invalid", errors=_plain(errors))
        super().handle_error(error, req, schema, error_status_code=error_status_code, error_headers=error_headers)


blp.ARGUMENTS_PARSER = WriteParser()


@blp.before_request
def _guard() -> None:
    """Readers read; only administrators write, refused before the body is looked at. A PATCH
    of an object that does not exist is a 404 before its body is judged."""
    require_reader()
    if request.method in ("POST", "PATCH", "PUT", "DELETE"):
        user = g.get("api_user") or current_user
        if not permissions.can_administer(user):
            raise PermissionDenied(
                _(
                    "Only administrators may create or change reports, recommendations, "
                    "practices, indicators and action items."
                )
            )
    target = TARGETS.get(request.endpoint or "")
    if target is not None and request.view_args:
        arg, model, kind = target
        g.api_target = structure.get(model, request.view_args.get(arg), _what(kind))


def _what(kind: str) -> str:
    return {
        "report": _("report"),
        "recommendation": _("recommendation"),
        "practice": _("reference practice"),
        "figure": _("figure"),
        "indicator": _("indicator"),
        "item": _("action item"),
        "department": _("department"),
    }[kind]


# --- OpenAPI description of the bodies, from the service's field list ------------------------------


def _property(spec: Field, creating: bool) -> dict[str, Any]:
    kind = spec.kind
    meta: dict[str, Any]
    if kind in ("text", "code"):
        meta = {"type": "string", "maxLength": spec.max_len}
        if spec.required:
            meta["minLength"] = 1
            meta["pattern"] = r"\S"
        if kind == "code":
            meta["pattern"] = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
        meta["description"] = (
            "Text without NUL, lone surrogates (400) or text-direction controls (422)"
            if kind == "text"
            else "Letters A–Z, digits, . _ -; unique within the parent"
        )
    elif kind == "date":
        meta = {"type": "string", "format": "date", "description": "YYYY-MM-DD, 1912-01-01 … 2199-12-31"}
    elif kind == "int":
        meta = {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_INT,
            "description": "Order among its siblings (default: after the last)",
        }
    elif kind == "year":
        meta = {"type": "integer", "minimum": structure.YEAR_MIN, "maximum": structure.YEAR_MAX}
    elif kind == "decimal":
        meta = {
            "type": "number",
            "minimum": -999999999999999,
            "maximum": 999999999999999,
            "description": "At most four decimals",
        }
    elif kind == "weight":
        meta = {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 99999.999,
            "description": "Weight in the recommendation's roll-up (default 1), at most three decimals",
        }
    elif kind == "budget":
        meta = {"type": "integer", "minimum": 0, "maximum": 999999999999999, "description": "Whole NT$"}
    elif kind == "enum":
        assert spec.enum is not None
        meta = {"type": "string", "enum": [m.value for m in spec.enum]}
    elif kind == "ref":
        meta = {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_INT,
            "description": "Id of an existing record"
            + (" (set on creation, cannot change)" if spec.create_only else ""),
        }
    elif kind == "refs":
        meta = {
            "type": "array",
            "maxItems": 100,
            "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        }
    else:  # pragma: no cover
        raise AssertionError(kind)
    return meta


def body_schema(name: str, specs: tuple[Field, ...], creating: bool) -> type[Schema]:
    """A request schema whose fields are read raw (the service checks them and words the
    messages) and whose OpenAPI description states each rule."""
    attrs: dict[str, Any] = {}
    for spec in specs:
        if spec.create_only and not creating:
            continue
        required = creating and spec.required
        attrs[spec.name] = fields.Raw(required=required, allow_none=not required, metadata=_property(spec, creating))
    return Schema.from_dict(attrs, name=name)


# --- shared steps of the endpoints -------------------------------------------------------------------


def _actor():
    return current_user._get_current_object()


def _write(operation: Callable[[], Any]) -> Any:
    """Run a service write and commit; on a refusal keep the audit row (403) or roll back."""
    try:
        result = operation()
    except PermissionDenied:
        db.session.commit()
        g.denial_logged = True
        raise
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def _etag(kind: str, obj: Any) -> str:
    return item_etag(obj) if kind == "item" else resource_etag(kind, obj)


def _patch(kind: str, obj: Any, data: dict, operation: Callable[..., Any]) -> Any:
    """PATCH: the If-Match version, then the service; a stale version is a 412 with the current tag."""
    version = required_if_match(request.headers.get("If-Match"), kind, obj.id)
    try:
        return _write(lambda: operation(obj, _actor(), data, based_on_version=version))
    except ConflictError as exc:
        obj = db.session.get(type(obj), obj.id)
        raise PreconditionFailed(
            _(
                "The %(what)s changed since you read it (it is now version %(v)s, you sent version %(mine)s): read it "
                "again, then send your change with the new ETag.",
                what=_what(kind),
                v=exc.current_version,
                mine=version,
            ),
            current_version=exc.current_version,
            etag=_etag(kind, obj),
        ) from None


def _today() -> DataDates:
    today = local_today()
    return DataDates(today, today, today)


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": ETAG_PATTERN},
    "description": 'The ETag you read (e.g. W/"report-3-v2"). Missing: 428; another version: 412; '
    "malformed or another object's tag: 400",
}


def write_operation(created: bool) -> Callable:
    """OpenAPI for what every write shares: its error answers."""

    def deco(func: Callable) -> Callable:
        func = blp.alt_response(
            400,
            schema=ApiErrorSchema,
            description=(
                "Malformed If-Match or query argument, invalid JSON, JSON nested deeper than 32 levels, NUL or a lone "
                "surrogate in a string"
            ),
        )(func)
        func = blp.alt_response(401, response="UNAUTHORIZED")(func)
        func = blp.alt_response(403, schema=ApiErrorSchema, description="Not an administrator")(func)
        func = blp.alt_response(404, response="NOT_FOUND")(func)
        func = blp.alt_response(
            409,
            schema=ApiErrorSchema,
            description=("`duplicate_code`: another write saved the same code at the same moment"),
        )(func)
        func = blp.alt_response(413, schema=ApiErrorSchema, description="The body is too large")(func)
        func = blp.alt_response(415, schema=ApiErrorSchema, description="The body is not JSON")(func)
        func = blp.alt_response(
            422,
            schema=ApiErrorSchema,
            description=(
                "Invalid fields (`errors` maps each to its message): missing or unknown field, wrong type, a broken "
                "rule (code already used, dates out of order, text-direction controls ...)"
            ),
        )(func)
        if not created:
            func = blp.alt_response(
                412,
                schema=ApiErrorSchema,
                description=(
                    "`precondition_failed`: If-Match names an older version; `current_version` and `etag` say "
                    "which is current"
                ),
            )(func)
            func = blp.alt_response(
                428, schema=ApiErrorSchema, description=("`precondition_required`: If-Match is missing (or `*`)")
            )(func)
            func = blp.doc(parameters=[IF_MATCH])(func)
        return blp.doc(security=API_SECURITY)(func)

    return deco


def read_op(func: Callable) -> Callable:
    """OpenAPI for what every read shares: sign-in and error responses."""
    func = blp.alt_response(400, response="BAD_REQUEST")(func)
    func = blp.alt_response(403, response="FORBIDDEN")(func)
    func = blp.alt_response(401, response="UNAUTHORIZED")(func)
    return blp.doc(security=API_SECURITY)(func)


def _list(
    model: type,
    args: dict,
    where: list,
    sort: tuple[str, ...],
    key: str,
    present: Callable[[Any], dict],
    options: tuple = (),
) -> tuple[dict, int, dict]:
    """One page of stored objects: count, ids, then the rows with their relations (fixed statements)."""
    columns = {name: getattr(model, name) for name in sort}
    page = page_ids(select(model.id).where(*where).order_by(*order_clauses(args["sort"], columns, model.id)), args)
    rows = (
        {o.id: o for o in db.session.scalars(select(model).where(model.id.in_(page.ids)).options(*options))}
        if page.ids
        else {}
    )
    return ({key: [present(rows[i]) for i in page.ids if i in rows], "pagination": page.body()}, 200, page.headers())


def _exists(model: type, ident: Any, kind: str) -> int:
    """The id of a filter argument's object; 404 if there is none."""
    return structure.get(model, ident, _what(kind)).id


def _created(kind: str, obj: Any, body: dict, endpoint: str, **url_args: Any) -> tuple[dict, int, dict]:
    return body, 201, {"Location": url_for(endpoint, **url_args), "ETag": _etag(kind, obj)}


# --- Reports -------------------------------------------------------------------------------------------

from . import reports as read_api  # noqa: E402  (the read presenters)
from . import schemas  # noqa: E402

ReportCreateSchema = body_schema("ReportCreate", structure.REPORT_FIELDS, True)
ReportUpdateSchema = body_schema("ReportUpdate", structure.REPORT_FIELDS, False)
CREATED_HEADERS = {"Location": {"description": "URL of the new object", "schema": {"type": "string"}}}


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


# --- Reference practices -----------------------------------------------------------------------------

PracticeCreateSchema = body_schema("PracticeCreate", structure.PRACTICE_FIELDS, True)
PracticeUpdateSchema = body_schema("PracticeUpdate", structure.PRACTICE_FIELDS, False)


def _practice_detail(practice_id: int) -> dict:
    practice = db.session.scalar(
        select(ReferencePractice)
        .where(ReferencePractice.id == practice_id)
        .options(selectinload(ReferencePractice.figures))
    )
    return read_api._practice(practice)


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
        read_api._practice,
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
    return _list(PracticeFigure, args, where, schemas.FIGURE_SORT, "figures", read_api._figure)


@blp.get("/figures/<int:figure_id>")
@read_op
@blp.response(200, schemas.PracticeFigureSchema, headers=etag_header("figure"))
@blp.alt_response(404, response="NOT_FOUND")
def get_figure(figure_id: int):
    """One figure of a practice. The ETag names its version."""
    figure = g.api_target
    return read_api._figure(figure), 200, {"ETag": _etag("figure", figure)}


@blp.post("/figures")
@write_operation(created=True)
@blp.arguments(FigureCreateSchema)
@blp.response(201, schemas.PracticeFigureSchema, headers={**CREATED_HEADERS, **etag_header("figure")})
def create_figure(data: dict):
    """Add a figure to a practice (administrators): a value, or its wording when the report gives only words."""
    figure = _write(lambda: structure.create_figure(_actor(), data))
    return _created("figure", figure, read_api._figure(figure), "api_structure.get_figure", figure_id=figure.id)


@blp.patch("/figures/<int:figure_id>")
@write_operation(created=False)
@blp.arguments(FigureUpdateSchema)
@blp.response(200, schemas.PracticeFigureSchema, headers=etag_header("figure"))
def update_figure(data: dict, figure_id: int):
    """Change a figure (administrators); only the keys sent change. Needs If-Match."""
    figure = _patch("figure", g.api_target, data, structure.update_figure)
    return read_api._figure(figure), 200, {"ETag": _etag("figure", figure)}


TARGETS["api_structure.get_figure"] = ("figure_id", PracticeFigure, "figure")
TARGETS["api_structure.update_figure"] = ("figure_id", PracticeFigure, "figure")


# --- Indicators ------------------------------------------------------------------------------------------

IndicatorCreateSchema = body_schema("IndicatorCreate", structure.INDICATOR_FIELDS, True)
IndicatorUpdateSchema = body_schema("IndicatorUpdate", structure.INDICATOR_FIELDS, False)
INDICATOR_OPTIONS = (joinedload(Indicator.data_department),)


def _indicators(indicators: list[Indicator], as_of: DataDates) -> list[dict]:
    states = benchmark.indicator_states(indicators, as_of)
    return [read_api._indicator(states[i.id]) for i in indicators]


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


# --- Action items ---------------------------------------------------------------------------------------

ItemCreateSchema = body_schema("ActionItemCreate", structure.ITEM_FIELDS, True)
ItemUpdateSchema = body_schema("ActionItemUpdate", structure.ITEM_FIELDS, False)


@blp.get("/action-items")
@read_op
@blp.arguments(schemas.ItemListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.ActionItemListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_action_items(args: dict):
    """Action items with their official state on the as-of date, a page at a time.

    Filter with ?report=, ?recommendation=, ?lead_department=, ?supporting_department= (404 if there is no
    such one), ?due_before=; sort with ?sort=.
    """
    as_of = resolve_as_of(args)
    where: list = []
    if args.get("report") is not None:
        report_id = _exists(Report, args["report"], "report")
        where.append(
            ActionItem.recommendation_id.in_(select(Recommendation.id).where(Recommendation.report_id == report_id))
        )
    if args.get("recommendation") is not None:
        where.append(ActionItem.recommendation_id == _exists(Recommendation, args["recommendation"], "recommendation"))
    if args.get("lead_department") is not None:
        where.append(ActionItem.lead_department_id == _exists(Department, args["lead_department"], "department"))
    if args.get("supporting_department") is not None:
        dept_id = _exists(Department, args["supporting_department"], "department")
        where.append(
            ActionItem.id.in_(
                select(action_item_supporting.c.action_item_id).where(action_item_supporting.c.department_id == dept_id)
            )
        )
    if args.get("due_before") is not None:
        where.append(ActionItem.due_date <= args["due_before"])
    columns = {name: getattr(ActionItem, name) for name in schemas.ITEM_SORT}
    page = page_ids(
        select(ActionItem.id).where(*where).order_by(*order_clauses(args["sort"], columns, ActionItem.id)), args
    )
    rows = (
        {
            o.id: o
            for o in db.session.scalars(
                select(ActionItem)
                .where(ActionItem.id.in_(page.ids))
                .options(
                    joinedload(ActionItem.recommendation),
                    joinedload(ActionItem.lead_department),
                    selectinload(ActionItem.supporting_departments),
                )
            )
        }
        if page.ids
        else {}
    )
    items = [rows[i] for i in page.ids if i in rows]
    states = progress.item_states(items, as_of) if items else {}
    entries = [
        {
            **read_api._item_ref(it),
            **read_api._state(states[it.id]),
            "recommendation_id": it.recommendation_id,
            "report_id": it.recommendation.report_id,
        }
        for it in items
    ]
    body = {"as_of": as_of.as_of, "known_at": as_of.known_at, "action_items": entries, "pagination": page.body()}
    return body, 200, page.headers()


@blp.post("/action-items")
@write_operation(created=True)
@blp.arguments(ItemCreateSchema)
@blp.response(201, schemas.ActionItemDetailSchema, headers={**CREATED_HEADERS, **etag_header("item")})
def create_action_item(data: dict):
    """Add an action item to a recommendation (administrators). Its departments stay proposed (擬議) until a
    reviewer or an administrator confirms them."""
    item = _write(lambda: structure.create_item(_actor(), data))
    body, item = read_api.item_detail(item.id, _today())
    return _created("item", item, body, "api_reports.get_action_item", item_id=item.id)


@blp.patch("/action-items/<int:item_id>")
@write_operation(created=False)
@blp.arguments(ItemUpdateSchema)
@blp.response(200, schemas.ActionItemDetailSchema, headers=etag_header("item"))
def update_action_item(data: dict, item_id: int):
    """Change an action item (administrators); only the keys sent change. Needs If-Match with the item's ETag,
    whose version status updates bump too."""
    item = _patch("item", g.api_target, data, structure.update_item)
    body, item = read_api.item_detail(item.id, _today())
    return body, 200, {"ETag": _etag("item", item)}


TARGETS["api_structure.update_action_item"] = ("item_id", ActionItem, "item")
