"""Untrusted input at the edge: ids, integers, dates and text, one set of rules for
the web pages and the API.

- Path ids: the app-wide ``int`` URL converter matches only ASCII digits and values
  1..2**31-1, so an id that cannot exist is a 404 before any view or query runs
  (PostgreSQL ``integer`` columns overflow above 2**31-1).
- Query and body integers: ``parse_int`` / ``parse_id`` accept ASCII digits only
  (``"²".isdigit()`` and ``"١٢".isdigit()`` are true in Python) and bounded values.
- Dates: ``parse_iso_date`` accepts YYYY-MM-DD in ASCII digits between 1900-01-01 and
  2999-12-31, so date arithmetic (a day later, midnight in Taipei as UTC, 180 days
  earlier) can never overflow.
- Text: ``guard_request`` refuses NUL characters and lone surrogates anywhere in the
  query string, the form fields, uploaded file names and JSON strings (the database
  cannot store them), and JSON nested deeper than ``MAX_JSON_DEPTH``; API writes must
  be JSON (415 otherwise). ``has_bidi_control`` finds the bidirectional override and
  isolate characters that can make a name or narrative display as something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask import Flask, abort, g, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

# The one window of accepted dates (tracker.dates): nothing before the ROC calendar, nothing
# so far ahead that date arithmetic could overflow.
from .dates import EARLIEST as MIN_DATE
from .dates import LATEST as MAX_DATE

# PostgreSQL ``integer``: every id, version and count column.
MAX_INT = 2**31 - 1

MAX_JSON_DEPTH = 32

_ASCII_INT = re.compile(r"-?[0-9]{1,10}")
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# U+202A..U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066..U+2069 (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BAD_TEXT_RE = re.compile("[\x00\ud800-\udfff]")


# --- numbers -----------------------------------------------------------------------------------


def _bounded_regex(high: int) -> str:
    """A regex of the decimal numbers 1..high without leading zeros (so that the URL map itself
    bounds an id: a converter that matched and then refused the value would make werkzeug answer
    405 instead of 404 where a URL has a GET rule and a PATCH rule of different views)."""
    digits = str(high)
    parts = [rf"[1-9][0-9]{{0,{len(digits) - 2}}}"]  # fewer digits than high
    for i, d in enumerate(digits):  # same length: a prefix of high, then a smaller digit, then anything
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            parts.append(
                digits[:i]
                + f"[{low}-{int(d) - 1}]"
                + ("[0-9]" + f"{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
            )
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits without leading zeros, 1..2**31-1 (anything else
    is a 404: the regex bounds the value, see ``_bounded_regex``)."""

    regex = _bounded_regex(2**31 - 1)

    def __init__(
        self,
        map,
        fixed_digits: int = 0,
        min: int | None = 1,  # noqa: A002, ANN001
        max: int | None = MAX_INT,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)
        if min is not None and min <= 0:  # an index (``<int(min=0):index>``): 0 matches too
            self.regex = "(?:0|" + type(self).regex + ")"


def parse_int(value: Any, *, low: int = -MAX_INT, high: int = MAX_INT) -> int | None:
    """An integer in [low, high] from an int or a string of ASCII digits (an optional
    minus and surrounding spaces allowed); None for anything else (bool, float with a
    fraction, Unicode digits, out of range)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _ASCII_INT.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value: Any) -> int | None:
    """A database id (1..2**31-1) or None."""
    return parse_int(value, low=1, high=MAX_INT)


MAX_PAGE = 100000


def page_number(raw: str | None) -> int:
    """``?page=``: a positive whole number (anything else is page 1)."""
    value = (raw or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return max(1, min(int(value), MAX_PAGE))
    return 1


def looks_like_number(value: Any) -> bool:
    """True for a string of ASCII digits (an id, possibly too large), not for a code."""
    return isinstance(value, str) and bool(re.fullmatch(r"\s*[0-9]+\s*", value))


def get_by_id(model: Any, value: Any, *options: Any) -> Any:
    """``db.session.get(model, value)`` (loaded with ``options``), or None without a query when no
    row can have that id."""
    from .extensions import db

    ident = parse_id(value)
    if ident is None:
        return None
    return db.session.get(model, ident, options=options) if options else db.session.get(model, ident)


def load_or_404(model: Any, value: Any, *options: Any, message: str | None = None, field: str | None = None) -> Any:
    """The one loader of the web pages and the API: the ``model`` row whose id is ``value`` (a path id,
    or the text of a query or form field), loaded with the loader ``options``, else a 404.

    Without ``message`` the 404 is the plain error page (``abort(404)``); with one it is a
    ``NotFound`` domain error carrying it (the API's JSON body names what is missing)."""
    row = get_by_id(model, value, *options)
    if row is None:
        if message is None:
            abort(404)
        from .errors import NotFound

        raise NotFound(message, field=field)
    return row


# --- dates ---------------------------------------------------------------------------------------


def parse_iso_date(value: Any) -> date | None:
    """A date written YYYY-MM-DD (ASCII digits) between MIN_DATE and MAX_DATE, else None
    (the strict form scripts send; people's forms use tracker.dates.parse_date)."""
    from .dates import parse_date

    if not isinstance(value, str) or not _ASCII_DATE.fullmatch(value.strip()):
        return None
    return parse_date(value.strip())


def date_in_range(day: date) -> bool:
    return MIN_DATE <= day <= MAX_DATE


def date_range_message() -> str:
    return _("Enter a date between %(first)s and %(last)s.", first=MIN_DATE.isoformat(), last=MAX_DATE.isoformat())


# --- text ----------------------------------------------------------------------------------------


def has_bad_text(value: str) -> bool:
    """NUL or a lone surrogate: neither can be stored (PostgreSQL refuses both)."""
    return bool(_BAD_TEXT_RE.search(value))


def has_bidi_control(value: Any) -> bool:
    return isinstance(value, str) and bool(_BIDI_RE.search(value))


def strip_bidi_controls(value: str) -> str:
    return _BIDI_RE.sub("", value)


def bidi_message() -> str:
    return _(
        "Remove the invisible text-direction control characters (U+202A–U+202E, U+2066–U+2069): "
        "they can make text display differently from what was stored."
    )


def bad_text_message() -> str:
    return _(
        "The request contains a NUL character or an invalid Unicode character (a lone surrogate), "
        "which cannot be stored. Remove it and send the request again."
    )


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the JSON text nests arrays/objects deeper than ``limit`` (strings skipped).

    A scan of the raw bytes, so a hostile body is refused before the JSON parser
    recurses (Python's parser raises RecursionError near 1,000 levels).
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


# A JSON string (with escapes) or a bracket; strings are matched whole so brackets in them do not count.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _strings_in(value: Any, depth: int = 0) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item, depth + 1)


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


class RefusedInput(Exception):
    """The request carries input the app refuses at the edge (status and message)."""

    def __init__(self, status: int, message: str, code: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def check_request() -> None:
    """Raise RefusedInput for a request whose text cannot be stored or whose JSON is hostile.

    Requests that matched no route are left to routing (404, or 405 with Allow).
    """
    if request.routing_exception is not None:
        return
    for key, values in request.args.lists():
        if has_bad_text(key) or any(has_bad_text(v) for v in values):
            raise RefusedInput(400, bad_text_message(), "invalid_text")
    api_write = request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH", "DELETE")
    if api_write and not is_json_mimetype(request.mimetype):
        raise RefusedInput(
            415, _("Send the request body as JSON (Content-Type: application/json)."), "unsupported_media_type"
        )
    if is_json_mimetype(request.mimetype):
        raw = request.get_data(cache=True)
        if json_too_deep(raw):
            raise RefusedInput(
                400, _("The JSON body is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH), "json_too_deep"
            )
        data = request.get_json(silent=True)
        if data is None and raw.strip():
            raise RefusedInput(400, _("The request body is not valid JSON."), "invalid_json")
        if any(has_bad_text(s) for s in _strings_in(data)):
            raise RefusedInput(400, bad_text_message(), "invalid_text")
    elif request.method in ("POST", "PUT", "PATCH"):
        for key, values in request.form.lists():
            if has_bad_text(key) or any(has_bad_text(v) for v in values):
                raise RefusedInput(400, bad_text_message(), "invalid_text")
        for key, files in request.files.lists():
            if has_bad_text(key) or any(has_bad_text(f.filename or "") for f in files):
                raise RefusedInput(400, bad_text_message(), "invalid_text")


def init_input_guards(app: Flask, respond: Callable[..., Any]) -> None:
    """The bounded ``int`` converter for every route, and the edge check before any view;
    ``respond(status, message, code=...)`` answers a refused request (the web layer's JSON
    error or error page, handed in by the application factory)."""
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def _refuse_unstorable_input():
        try:
            check_request()
        except RefusedInput as exc:
            g.input_refused = True
            return respond(exc.status, exc.message, code=exc.code)
        return None
