"""Date fields as officials fill them in: a text input, not ``<input type="date">``.

The browser's date picker shows the machine's Gregorian calendar (11/30/2026 in an
English Chromium) and cannot take a 民國 date. These fields take what officials type —
``107/12/31``, ``107.12.31``, ``1071231``, ``民國107年12月31日``, ``2018-12-31``,
``2018/12/31`` — read by the one parser (``tracker.dates.parse_date``), show a stored date
the way the page's language writes it (107/12/31 in zh-TW, 2018-12-31 in English) and echo
how the typed value was read under the input, in both calendars. ``static/js/app.js``
refreshes that echo while typing by asking ``dates.parse`` (the same parser, on the
server: there is no second parser in JavaScript).

* ``DateTextField``: ``data`` is the text as typed; the operations (services/*) parse it
  and report a bad date by field, so the form and the API refuse it with the same words.
* ``DateValueField``: ``data`` is a ``date`` (or None); a value that is not a date is
  refused by the field itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from .. import dates
from ..locale import current_locale, format_date, format_date_echo, format_date_input

bp = Blueprint("dates", __name__, url_prefix="/dates")


def not_a_date_message(text: str) -> str:
    return _(
        "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
        value=str(text).strip()[:40],
    )


def echo_text(day: date | None) -> str:
    """The sentence under a date input: how the value was read, or the accepted forms."""
    if day is None:
        return _("Write 107/12/31, 1071231 or 2018-12-31.")
    return _("Read as %(date)s.", date=format_date_echo(day, current_locale()))


class DateText:
    """A text input for a date plus the echo line under it (``<p id="…-echo">``), tied
    to the input with aria-describedby. ``max``/``min`` (ISO dates, as templates passed
    them to ``type=date``) become ``data-max``/``data-min`` for the live hint."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        echo_id = f"{kwargs['id']}-echo"
        for bound in ("max", "min"):
            value = kwargs.pop(bound, None)
            if value:
                kwargs[f"data-{bound}"] = value.isoformat() if isinstance(value, date) else str(value)
        described = " ".join(
            x for x in (kwargs.pop("aria-describedby", None) or kwargs.pop("aria_describedby", None), echo_id) if x
        )
        css = " ".join(x for x in ("input-date", kwargs.pop("class", "") or kwargs.pop("class_", "")) if x)
        attrs = {
            "type": "text",
            "autocomplete": "off",
            "spellcheck": "false",
            "class": css,
            "data-date-input": echo_id,
            "aria-describedby": described,
            "maxlength": 40,
            **kwargs,
        }
        if getattr(field.flags, "required", False):
            attrs.setdefault("required", True)
        value = field._value()
        parsed = dates.parse_date(value) if value else None
        echo_class = "date-echo" + (" date-echo-ok" if parsed else "")
        return Markup(
            f"<input {html_params(name=field.name, value=value, **attrs)}>"
            f'<p class="{echo_class}" id="{escape(echo_id)}" aria-live="polite">{escape(echo_text(parsed))}</p>'
        )


class DateTextField(StringField):
    """A date typed as text; ``data`` is the text (the operation parses it)."""

    widget = DateText()

    @property
    def parsed(self) -> date | None:
        return dates.parse_date(self.data) if self.data else None

    def _value(self) -> str:
        if self.raw_data:  # submitted: show it as typed (the echo says how it was read)
            return str(self.raw_data[0])
        if isinstance(self.data, date):
            return format_date_input(self.data, current_locale())
        if isinstance(self.data, str) and self.data:
            day = dates.parse_date(self.data)  # e.g. a default set in code as ISO
            return format_date_input(day, current_locale()) if day else self.data
        return ""


class DateValueField(DateTextField):
    """A date typed as text; ``data`` is a ``date`` (None when empty or not a date)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self._bad_text = None
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = dates.parse_date(text) if text else None
        if text and self.data is None:
            self._bad_text = text

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "_bad_text", None):
            raise StopValidation(not_a_date_message(self._bad_text))

    @property
    def parsed(self) -> date | None:
        return self.data if isinstance(self.data, date) else None


def not_future(form: Any, field: Any) -> None:
    """A validator: the date is not after today on the city's calendar; the message names
    both dates in the page's calendar."""
    day = field.data if isinstance(field.data, date) else dates.parse_date(field.data)
    today = dates.today()
    if day is not None and day > today:
        locale = current_locale()
        raise StopValidation(
            _(
                "%(date)s is after today (%(today)s): choose today or an earlier date.",
                date=format_date(day, locale),
                today=format_date(today, locale),
            )
        )


@bp.get("/parse")
def parse():
    """The echo of a typed date, for the live hint under date inputs: how ``value`` is read
    (by the one parser) and, when ``max`` or ``min`` (ISO) is given, whether it is outside."""
    raw = request.args.get("value", "")
    text = raw.strip()[:40]
    day = dates.parse_date(text) if text else None
    body: dict[str, Any] = {"value": text, "date": day.isoformat() if day else None, "ok": day is not None}
    locale = current_locale()
    if not text:
        body["message"] = echo_text(None)
    elif day is None:
        body["message"] = not_a_date_message(text)
    else:
        body["message"] = echo_text(day)
        high = dates.parse_date(request.args.get("max", "")) if request.args.get("max") else None
        low = dates.parse_date(request.args.get("min", "")) if request.args.get("min") else None
        if high is not None and day > high:
            body["ok"] = False
            body["message"] = _(
                "%(date)s is after %(limit)s.", date=format_date(day, locale), limit=format_date(high, locale)
            )
        elif low is not None and day < low:
            body["ok"] = False
            body["message"] = _(
                "%(date)s is before %(limit)s.", date=format_date(day, locale), limit=format_date(low, locale)
            )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("date_echo")
def date_echo(value: Any) -> str:
    """The echo line for a date input written by hand in a template (GET forms)."""
    return echo_text(dates.parse_date(value) if value else None)
