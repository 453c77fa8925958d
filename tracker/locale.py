"""Language choice, 民國 (ROC) dates and number formats.

Pure formatting helpers (``format_date``, ``roc_year``...) take the locale as an
argument so exports can use them outside a request.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import support
from flask import Flask, g, request, session
from flask_babel import get_locale

from . import numbers

SUPPORTED = ("zh_TW", "en")
ROC_OFFSET = 1911


def normalise_locale(value: str | None) -> str | None:
    """Map 'zh-TW', 'zh_tw', 'en-US'... to a supported locale, or None."""
    if not value:
        return None
    v = value.replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_TW"
    if v.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """Query ?lang= (remembered in the session), then the user's saved choice, then zh-TW."""
    if request:
        chosen = normalise_locale(request.args.get("lang"))
        if chosen:
            session["lang"] = chosen
            return chosen
        if session.get("lang") in SUPPORTED:
            return session["lang"]
        user = g.get("api_user")
        if user is not None and user.locale in SUPPORTED:
            return user.locale
        header = request.headers.get("Accept-Language", "")
        if request.path.startswith("/api/") and header:
            best = request.accept_languages.best_match(["zh-TW", "zh", "en"])
            return normalise_locale(best) or "zh_TW"
    return "zh_TW"


def select_timezone() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Taipei"


def current_locale() -> str:
    loc = get_locale()
    return "en" if loc is not None and str(loc).startswith("en") else "zh_TW"


def roc_year(year: int) -> int:
    """民國 year of a Gregorian year (2017 -> 106)."""
    return year - ROC_OFFSET


def format_date(value: date | datetime | None, locale: str, empty: str = "—") -> str:
    """106年12月31日 in zh-TW, 2017-12-31 in English."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        # An instant is shown on the city's calendar (tracker.dates.local_date), not UTC's:
        # 2026-11-29 17:00 UTC is 115年11月30日 in Taipei.
        from .dates import local_date

        value = local_date(value)
    if locale.startswith("zh"):
        return f"{roc_year(value.year)}年{value.month}月{value.day}日"
    return value.isoformat()


def format_date_echo(value: date, locale: str) -> str:
    """How a typed date was read, in both calendars: 民國107年12月31日（2018-12-31）in zh-TW,
    2018-12-31 (ROC 107/12/31) in English."""
    if locale.startswith("zh"):
        return f"民國{roc_year(value.year)}年{value.month}月{value.day}日（{value.isoformat()}）"
    return f"{value.isoformat()} (ROC {roc_year(value.year)}/{value.month:02d}/{value.day:02d})"


def format_date_input(value: date | None, locale: str) -> str:
    """A date as officials type it: 107/12/31 in zh-TW, 2018-12-31 in English."""
    if value is None:
        return ""
    if locale.startswith("zh"):
        return f"{roc_year(value.year)}/{value.month:02d}/{value.day:02d}"
    return value.isoformat()


def format_datetime(value: datetime | None, locale: str, empty: str = "—") -> str:
    if value is None:
        return empty

    from .dates import city_timezone

    local = value.astimezone(city_timezone())
    if locale.startswith("zh"):
        return f"{format_date(local.date(), locale)} {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def format_year(year: int | None, locale: str, empty: str = "—") -> str:
    if year is None:
        return empty
    return f"民國{roc_year(year)}年" if locale.startswith("zh") else str(year)


def format_year_number(year: int | None, locale: str, empty: str = "—") -> str:
    """A year for sentences whose wording already says 年 / 年度 (「%(year)s 年度」): 民國106
    in zh-TW, 2017 in English."""
    if year is None:
        return empty
    return f"民國{roc_year(year)}" if locale.startswith("zh") else str(year)


def format_number(value: Decimal | float | int | None, digits: int = 2, empty: str = "—") -> str:
    """Thousands separators, trailing zeros dropped (80.00 -> 80, 2.4900 -> 2.49); halves
    away from zero (tracker.numbers)."""
    return numbers.number(value, digits, empty)


def format_percent(value: float | None, digits: int = 0, empty: str = "—") -> str:
    """38% (37.5 rounded half away from zero, tracker.numbers.percent)."""
    return numbers.percent(value, digits, empty)


def localized(obj: Any, field: str, locale: str) -> str:
    """obj.<field>_en in English (falling back to zh), obj.<field>_zh otherwise."""
    zh = getattr(obj, f"{field}_zh", "") or ""
    if locale.startswith("en"):
        return getattr(obj, f"{field}_en", "") or zh
    return zh or getattr(obj, f"{field}_en", "")


def unit_label(obj: Any, locale: str) -> str:
    """The unit of an indicator or practice figure in `locale`: unit_en in English
    (falling back to the zh-TW unit while none is given), unit otherwise."""
    zh = getattr(obj, "unit", "") or ""
    if locale.startswith("en"):
        return getattr(obj, "unit_en", "") or zh
    return zh


@functools.cache
def wtforms_catalog(locale: str) -> support.NullTranslations:
    """WTForms' own catalog for one of our locales ("This field is required." -> 此欄位為必填。).

    Flask-WTF would look it up under Babel's name for zh_TW, zh_Hant_TW, which WTForms does
    not ship, and fall back to its Simplified "zh" catalog; WTForms names it zh_TW.
    """
    from wtforms.i18n import messages_path

    if locale.startswith("en"):
        return support.NullTranslations()
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """Looked up when a form renders a message, so the request's locale is settled by then."""

    def ugettext(self, string: str) -> str:
        return wtforms_catalog(current_locale()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_catalog(current_locale()).ungettext(singular, plural, n)


# Stateless (it asks for the request's locale on each call): one object serves every
# request; tracker/__init__.py's request start sets it where flask_wtf.i18n looks first.
WTFORMS_CATALOG = _WTFormsTranslations()


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _inject() -> dict[str, Any]:
        loc = current_locale()
        return {
            "current_locale": loc,
            "html_lang": "en" if loc == "en" else "zh-TW",
            "l10n": lambda obj, field: localized(obj, field, loc),
        }

    app.jinja_env.filters["date"] = lambda v, empty="—": format_date(v, current_locale(), empty)
    app.jinja_env.filters["date_input"] = lambda v: format_date_input(v, current_locale())
    app.jinja_env.filters["datetime"] = lambda v, empty="—": format_datetime(v, current_locale(), empty)
    app.jinja_env.filters["year"] = lambda v, empty="—": format_year(v, current_locale(), empty)
    app.jinja_env.filters["year_number"] = lambda v, empty="—": format_year_number(v, current_locale(), empty)
    app.jinja_env.filters["num"] = format_number
    app.jinja_env.filters["pct"] = format_percent
    app.jinja_env.filters["filesize"] = numbers.file_size
    # A global, not context, so macros imported without context can use it.
    app.jinja_env.globals["unit_label"] = lambda obj: unit_label(obj, current_locale())
