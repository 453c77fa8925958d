"""The structure API's blueprint and what its endpoints share: the body parser (422 with
``errors`` by field), the guard (readers read, administrators write, the PATCH target found
before its body is judged), the OpenAPI decorators of reads and writes, and the steps of a
write (run the service operation, check If-Match, answer with Location and ETag).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from ...dates import DataDates
from ...extensions import db
from ...services import ConflictError, DomainError, PermissionDenied, permissions, structure
from ..common import (
    API_SECURITY,
    ETAG_PATTERN,
    ApiBlueprint,
    ApiErrorSchema,
    ApiParser,
    PreconditionFailed,
    _first_error,
    _plain,
    item_etag,
    local_today,
    require_reader,
    required_if_match,
    resource_etag,
)
from ..listing import order_clauses, page_ids

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


CREATED_HEADERS = {"Location": {"description": "URL of the new object", "schema": {"type": "string"}}}
