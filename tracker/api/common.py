"""Pieces every API blueprint shares: the as-of query argument, query-argument
errors as 400 JSON, the action-item ETag, the caller check and the OpenAPI
description of authentication and of the error body.

Write endpoints reuse ``ApiBlueprint`` (400 for bad query arguments),
``item_etag`` / ``parse_if_match`` (optimistic locking) and ``ApiErrorSchema``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import Flask, abort, g
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import INCLUDE, Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser

from ..services import DomainError
from ..services import permissions

# Either way of signing in works for every operation (OpenAPI: a list of
# alternatives). The cookie is what the browser sends; scripts use a token.
API_SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class InvalidArgument(DomainError):
    """A query argument or header the API cannot use; ``field`` names it."""

    status_code = 400

    def __init__(self, message: str, field: str, **kw: object):
        super().__init__(message, field=field, code="invalid_argument", **kw)


def local_today() -> date:
    """Today in Taiwan: the default as-of date (the server may run in UTC)."""
    return datetime.now(ZoneInfo("Asia/Taipei")).date()


class AsOfDate(fields.Date):
    """An ISO date (YYYY-MM-DD) that is not after today in Taiwan."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> date:
        # Strict shape first: marshmallow would accept a few other ISO spellings.
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValidationError(_("Not a valid date: use YYYY-MM-DD, for example 2017-12-31."))
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(_("Not a valid date: %(value)s does not exist (use YYYY-MM-DD).",
                                    value=value.strip())) from None
        today = local_today()
        if day > today:
            raise ValidationError(_(
                "The as-of date %(day)s is in the future: state is only known up to today (%(today)s).",
                day=day.isoformat(), today=today.isoformat(),
            ))
        return day


class AsOfArgsSchema(Schema):
    """``?as_of=YYYY-MM-DD``: the state on that date (default: today)."""

    # A callable default: resolved per request (and left out of the OpenAPI default).
    as_of = AsOfDate(
        load_default=lambda: local_today(),
        metadata={"description": "Report the state on this date (YYYY-MM-DD, not in the future). "
                                 "Default: today in Taiwan (Asia/Taipei)."},
    )


def resolve_as_of(args: Mapping[str, Any]) -> date:
    """The parsed as-of date (the schema defaults it to today)."""
    return args.get("as_of") or local_today()


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

    def handle_error(self, error: ValidationError, req: Any, schema: Schema, *,
                     error_status_code: int | None, error_headers: Mapping[str, str] | None) -> None:
        messages = error.messages
        # webargs nests messages under the location ("query", "json"...).
        if isinstance(messages, Mapping) and len(messages) == 1:
            (location, inner), = messages.items()
            if location in self.__location_map__ and isinstance(inner, Mapping):
                messages = inner
        field, message = _first_error(messages)
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

_ETAG_RE = re.compile(r'^(?:W/)?"item-(\d+)-v(\d+)"$')


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
    tag_item, version = int(match.group(1)), int(match.group(2))
    if item_id is not None and tag_item != item_id:
        raise InvalidArgument(_("If-Match names another action item."), field="If-Match")
    return version


# --- OpenAPI ------------------------------------------------------------------

class ApiErrorDetailSchema(Schema):
    class Meta:
        # Domain errors may add keys of their own (see services.DomainError.extra).
        unknown = INCLUDE

    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = fields.String(required=True, metadata={"description": "Stable machine-readable reason",
                                                  "example": "not_found"})
    message = fields.String(required=True, metadata={"description": "Human-readable reason (zh-TW or en)"})
    request_id = fields.String(required=True, metadata={"description": "Also sent as X-Request-Id"})
    field = fields.String(metadata={"description": "The argument or input the error concerns"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Every invalid field with its messages"})
    current_version = fields.Integer(metadata={"description": "On a version conflict: the item's current version"})


class ApiErrorSchema(Schema):
    """Body of every API error (built by web/errors.py json_error)."""

    error = fields.Nested(ApiErrorDetailSchema, required=True)


def document_api(api: Api, app: Flask) -> None:
    """Describe, for every operation, how to authenticate and what an error looks like."""
    spec = api.spec
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "Personal API token (Authorization: Bearer <token>).",
    })
    spec.components.security_scheme("cookieAuth", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME") or "session",
        "description": "The session cookie set by the sign-in page.",
    })
    spec.options["security"] = API_SECURITY
    # flask-smorest documents errors with its own schema; ours (web/errors.py) differs,
    # so the lazily registered error responses are rebuilt on ApiErrorSchema.
    api.ERROR_SCHEMA = ApiErrorSchema
    api._register_responses()
