"""Pieces every API blueprint shares: the as-of query argument, query-argument
errors as 400 JSON, the action-item ETag, the caller check and the OpenAPI
description of authentication and of the error body.

Write endpoints reuse ``ApiBlueprint`` (400 for bad query arguments),
``item_etag`` / ``parse_if_match`` (optimistic locking) and ``ApiErrorSchema``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask, abort, g
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import INCLUDE, Schema, ValidationError, fields, validates_schema
from webargs.flaskparser import FlaskParser

from .. import dates
from ..dates import DataDates
from ..errors import InvalidDate
from ..inputs import MAX_INT, parse_id
from ..services import DomainError, permissions

# Either way of signing in works for every operation (OpenAPI: a list of
# alternatives). The cookie is what the browser sends; scripts use a token.
API_SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class InvalidArgument(DomainError):
    """A query argument or header the API cannot use; ``field`` names it."""

    status_code = 400

    def __init__(self, message: str, field: str, **kw: object):
        super().__init__(message, field=field, code="invalid_argument", **kw)


def local_today() -> date:
    """Today in Taiwan: the default data and knowledge date (tracker.dates.today)."""
    return dates.today()


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DayArg(fields.Date):
    """An ISO date (YYYY-MM-DD): the API is strict where the web forms accept 民國 forms too,
    so that what a script sends means one thing."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> date:
        text = value.strip() if isinstance(value, str) else ""
        day = dates.parse_date(text) if _ISO_DAY.fullmatch(text) else None
        if day is None:
            raise ValidationError(
                _(
                    "Not a valid date: use YYYY-MM-DD, for example 2017-12-31 (“%(value)s” is not).",
                    value=str(value)[:40],
                )
            )
        return day


class AsOfDate(DayArg):
    """A data date: not after today in Taiwan."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        today = local_today()
        if day > today:
            raise ValidationError(
                _(
                    "The date %(day)s is in the future: state is only known up to today (%(today)s).",
                    day=day.isoformat(),
                    today=today.isoformat(),
                )
            )
        return day


AS_OF_DOC = (
    "Data date: records describing this day or earlier count (YYYY-MM-DD, not after today). "
    "Default: today in Taiwan (Asia/Taipei)."
)
KNOWN_AT_DOC = (
    "Knowledge date: only what was submitted, approved or decided by the end of this day counts "
    "(YYYY-MM-DD, not before as_of, not after today). Default: today (everything known); "
    "as_of = known_at gives the state as it could have been printed that day."
)


class IdArg(fields.Field):
    """A database id in a query argument: ASCII digits only (``?report=²`` is refused with
    400). A number too large for any id loads as is; the lookup (``inputs.get_by_id``)
    then answers 404 without a query, like any id that does not exist."""

    default_error_messages = {"invalid": "Not a valid id: use a whole number from 1 to 2147483647."}

    def __init__(self, **kwargs: Any):
        metadata = kwargs.pop("metadata", {})
        metadata = {"type": "integer", "minimum": 1, "maximum": MAX_INT, **metadata}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,40}", value.strip()):
            return int(value.strip())
        raise self.make_error("invalid")


class AsOfArgsSchema(Schema):
    """``?as_of=`` and ``?known_at=``: the state on the data date as known on the knowledge date."""

    as_of = AsOfDate(load_default=None, metadata={"description": AS_OF_DOC})
    known_at = AsOfDate(load_default=None, metadata={"description": KNOWN_AT_DOC})

    @validates_schema
    def _known_after_data(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        as_of, known_at = data.get("as_of"), data.get("known_at")
        if as_of is not None and known_at is not None and known_at < as_of:
            raise ValidationError(
                _(
                    "The knowledge date %(known)s is before the data date %(as_of)s: a state can "
                    "only be known after the date it describes.",
                    known=known_at.isoformat(),
                    as_of=as_of.isoformat(),
                ),
                field_name="known_at",
            )


def resolve_as_of(args: Mapping[str, Any]) -> DataDates:
    """The parsed data and knowledge dates (defaults: today). Raises InvalidArgument."""
    try:
        return dates.resolve_data_dates(args.get("as_of"), args.get("known_at"))
    except InvalidDate as exc:
        raise InvalidArgument(exc.message, field=exc.field or "as_of") from None


def _first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """(field, message) of the first error in a marshmallow messages tree."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            return _first_error(value, name)
    if isinstance(messages, (list, tuple)) and messages:
        return _first_error(messages[0], prefix)
    return prefix, str(messages)


def _plain(messages: Any) -> Any:
    """Messages as JSON-safe values (lazy strings become str)."""
    if isinstance(messages, Mapping):
        return {str(k): _plain(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_plain(v) for v in messages]
    return str(messages)


class ApiParser(FlaskParser):
    """Bad query arguments are the caller's mistake: 400 with the field named,
    instead of webargs' default 422."""

    DEFAULT_VALIDATION_STATUS = 400

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
        # webargs nests messages under the location ("query", "json"...).
        if isinstance(messages, Mapping) and len(messages) == 1:
            ((location, inner),) = messages.items()
            if location in self.__location_map__ and isinstance(inner, Mapping):
                messages = inner
        field, message = _first_error(messages)
        if message == "Unknown field.":  # marshmallow's words, for a list's unknown=RAISE
            message = _(
                "This request takes no argument “%(name)s”: see its parameters in the OpenAPI document.",
                name=field[:40],
            )
        raise InvalidArgument(message, field=field, fields=_plain(messages))


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()


def require_reader() -> None:
    """401 unless someone is signed in (session or token); 403 unless they may read.

    The global guard normally answers first; this keeps the API closed even if
    a blueprint is registered without it.
    """
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if user is None:
        abort(401, description=_("Sign in or send an API token (Authorization: Bearer <token>)."))
    if not permissions.can_read(user):
        abort(403)


# --- Optimistic locking -------------------------------------------------------

_ETAG_RE = re.compile(r'^(?:W/)?"item-([0-9]{1,10})-v([0-9]{1,10})"$')


def item_etag(item: Any) -> str:
    """Weak ETag naming the item's version, e.g. ``W/"item-12-v3"``.

    Weak because the body also depends on ``as_of`` and today's date (health
    flags); what the tag promises is the stored version, which every write bumps.
    """
    return f'W/"item-{item.id}-v{item.version}"'


def parse_if_match(header: str | None, item_id: int | None = None) -> int | None:
    """The item version named by an ``If-Match`` header, or None when the header
    is absent or ``*``. Weak and strong forms are both accepted (the version is
    compared, not the bytes). Raises InvalidArgument (400, field "If-Match") when
    the header is malformed, lists several tags or names another item."""
    if header is None or not header.strip() or header.strip() == "*":
        return None
    value = header.strip()
    if "," in value:
        raise InvalidArgument(_("If-Match must hold exactly one entity tag."), field="If-Match")
    match = _ETAG_RE.match(value)
    if match is None:
        raise InvalidArgument(
            _('If-Match is not an item tag: send the ETag of the item, like W/"item-12-v3".'),
            field="If-Match",
        )
    tag_item, version = parse_id(match.group(1)), parse_id(match.group(2))
    if tag_item is None or version is None:
        # No item or version can be numbered like that (ids and versions fit the database's integer).
        raise InvalidArgument(_("If-Match names a version that cannot exist."), field="If-Match")
    if item_id is not None and tag_item != item_id:
        raise InvalidArgument(_("If-Match names another action item."), field="If-Match")
    return version


# Every structure object (report, recommendation, practice, figure, indicator, item) carries
# a version bumped by each edit; its ETag names it: W/"report-3-v2". PATCH needs If-Match.
ETAG_KINDS = ("report", "recommendation", "practice", "figure", "indicator", "item")
_ANY_ETAG_RE = re.compile(r'^(?:W/)?"(' + "|".join(ETAG_KINDS) + r')-([0-9]{1,10})-v([0-9]{1,10})"$')
ETAG_PATTERN = r'^(W/)?"(' + "|".join(ETAG_KINDS) + r')-[0-9]{1,10}-v[0-9]{1,10}"$'


class PreconditionRequired(DomainError):
    """An update without If-Match (428): the API does not let a write overwrite unseen changes."""

    status_code = 428

    def __init__(self, message: str, **kw: object):
        super().__init__(message, field="If-Match", code="precondition_required", **kw)


class PreconditionFailed(DomainError):
    """If-Match names an older version (412); ``current_version`` and ``etag`` say what is current."""

    status_code = 412

    def __init__(self, message: str, current_version: int, etag: str, **kw: object):
        super().__init__(
            message, field="If-Match", code="precondition_failed", current_version=current_version, etag=etag, **kw
        )


def etag_header(kind: str) -> dict:
    """The OpenAPI description of the ETag header of a ``kind``."""
    return {
        "ETag": {
            "description": f'Version of the {kind}, e.g. W/"{kind}-12-v3"; send it back as If-Match to update it',
            "schema": {"type": "string"},
        }
    }


def resource_etag(kind: str, obj: Any) -> str:
    """Weak ETag of a stored object and its version, e.g. ``W/"report-3-v2"`` (``item_etag`` for items)."""
    return f'W/"{kind}-{obj.id}-v{obj.version}"'


def required_if_match(header: str | None, kind: str, obj_id: int) -> int:
    """The version an update is based on, from ``If-Match``. Raises PreconditionRequired (428)
    when the header is absent or ``*`` and InvalidArgument (400) when it is malformed, lists
    several tags or names another object."""
    value = (header or "").strip()
    if not value or value == "*":
        raise PreconditionRequired(
            _(
                'Send the ETag you read as If-Match (for example If-Match: W/"%(kind)s-%(id)s-v1"): an update '
                "must name the version it is based on, so that it cannot overwrite a change you have not seen.",
                kind=kind,
                id=obj_id,
            )
        )
    if "," in value:
        raise InvalidArgument(_("If-Match must hold exactly one entity tag."), field="If-Match")
    match = _ANY_ETAG_RE.match(value)
    if match is None:
        raise InvalidArgument(
            _(
                'If-Match is not an entity tag of this API: send the ETag you read, like W/"%(kind)s-%(id)s-v3".',
                kind=kind,
                id=obj_id,
            ),
            field="If-Match",
        )
    tag_id, version = parse_id(match.group(2)), parse_id(match.group(3))
    if tag_id is None or version is None:
        raise InvalidArgument(_("If-Match names a version that cannot exist."), field="If-Match")
    if match.group(1) != kind or tag_id != obj_id:
        raise InvalidArgument(
            _("If-Match names another object: send the ETag of the one you update."), field="If-Match"
        )
    return version


# --- OpenAPI ------------------------------------------------------------------


class ApiErrorDetailSchema(Schema):
    class Meta:
        # Domain errors may add keys of their own (see services.DomainError.extra).
        unknown = INCLUDE

    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = fields.String(
        required=True, metadata={"description": "Stable machine-readable reason", "example": "not_found"}
    )
    message = fields.String(required=True, metadata={"description": "Human-readable reason (zh-TW or en)"})
    request_id = fields.String(required=True, metadata={"description": "Also sent as X-Request-Id"})
    field = fields.String(metadata={"description": "The argument or input the error concerns"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Every invalid field with its messages"})
    errors_ = fields.Dict(
        data_key="errors", metadata={"description": "On 422 from a write: each invalid field with its message"}
    )
    current_version = fields.Integer(metadata={"description": "On a version conflict (409, 412): the current version"})
    etag = fields.String(metadata={"description": "On 412: the current ETag, to read again before retrying"})


class ApiErrorSchema(Schema):
    """Body of every API error (built by web/errors.py json_error)."""

    error = fields.Nested(ApiErrorDetailSchema, required=True)


def document_api(api: Api, app: Flask) -> None:
    """Describe, for every operation, how to authenticate and what an error looks like."""
    spec = api.spec
    spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "Personal API token (Authorization: Bearer <token>).",
        },
    )
    spec.components.security_scheme(
        "cookieAuth",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME") or "session",
            "description": "The session cookie set by the sign-in page.",
        },
    )
    spec.options["security"] = API_SECURITY
    # flask-smorest documents errors with its own schema; ours (web/errors.py) differs,
    # so the lazily registered error responses are rebuilt on ApiErrorSchema.
    api.ERROR_SCHEMA = ApiErrorSchema
    api._register_responses()
