"""The one clock and the one date parser of the app.

* ``now()`` / ``today()``: the current instant (UTC) and today's date on the city's
  calendar (Asia/Taipei unless ``BABEL_DEFAULT_TIMEZONE`` says otherwise). Every "today",
  every "not in the future" rule and every recorded time goes through these two, so a test
  can move the clock for the whole app at once (``time_machine``).
* ``parse_date``: what officials type — ISO ``2018-12-31``, ``2018/12/31``, 民國
  ``107/12/31``, ``107.12.31``, ``107-12-31``, ``1071231``, ``107年12月31日``,
  ``民國107年12月31日`` (full-width digits too).
* ``DataDates`` / ``resolve_data_dates``: the two dates of every state the app shows —
  the *data date* D (records effective on or before D) and the *knowledge date* K (only
  what was submitted, reviewed or decided by the end of K counts). See docs/domain.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _

from .errors import InvalidDate

DEFAULT_TIMEZONE = "Asia/Taipei"
ROC_OFFSET = 1911
# Dates outside this window are refused as input: nothing in the tracker happens before
# the Republic's calendar starts, and far-future years only overflow date arithmetic.
EARLIEST = date(1912, 1, 1)
LATEST = date(2199, 12, 31)

# Full-width digits and separators (what a Chinese IME types) -> ASCII. Only these: other
# Unicode digits (², Arabic-Indic) are not dates and are refused by the ASCII patterns.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９／．－　", "0123456789/.- ")
# [0-9], not \d: Python's \d also matches other scripts' digits, which int() may refuse.
_SEPARATED = re.compile(r"(?P<y>[0-9]{2,4}) ?[-/.] ?(?P<m>[0-9]{1,2}) ?[-/.] ?(?P<d>[0-9]{1,2})")
_CHINESE = re.compile(r"(?:民國 ?)?(?P<y>[0-9]{2,4}) ?年 ?(?P<m>[0-9]{1,2}) ?月 ?(?P<d>[0-9]{1,2}) ?日?")
_COMPACT = re.compile(r"(?P<y>[0-9]{2,4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")


def city_timezone() -> ZoneInfo:
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)


def now() -> datetime:
    """The current instant, timezone-aware UTC (recorded times)."""
    return datetime.now(UTC)


def today() -> date:
    """Today on the city's calendar (the server may run in UTC)."""
    return now().astimezone(city_timezone()).date()


def local_date(moment: datetime | None) -> date | None:
    """The city's calendar date of an instant (naive values are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(city_timezone()).date()


def start_of_day(day: date) -> datetime:
    """00:00 on ``day`` in the city, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=city_timezone()).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The exclusive upper bound of ``day`` in the city (00:00 the next day), in UTC: a
    record is known by K when its recorded time is before ``end_of_day(K)``."""
    return start_of_day(day + timedelta(days=1))


def _build(year: int, month: int, day: int, roc: bool) -> date | None:
    if roc:
        year += ROC_OFFSET
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if EARLIEST <= value <= LATEST else None


def parse_date(value: Any) -> date | None:
    """A date from a ``date`` or from what officials type; None when it is not one.

    A two- or three-digit year is a 民國 year (107 -> 2018); a four-digit year is
    Gregorian. Compact forms: 1071231 (民國) and 20181231. Datetimes are not dates.
    """
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value if EARLIEST <= value <= LATEST else None
    if not isinstance(value, str):
        return None
    text = value.translate(_FULL_WIDTH).strip()
    if not text or len(text) > 40 or not text.isascii() and "年" not in text:
        return None
    for pattern in (_SEPARATED, _CHINESE, _COMPACT):
        match = pattern.fullmatch(text)
        if match:
            y = match.group("y")
            roc = len(y) < 4 or text.startswith("民國")
            return _build(int(y), int(match.group("m")), int(match.group("d")), roc)
    return None


def iso_or_none(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- the two dates of a state --------------------------------------------------------------------


@dataclass(frozen=True)
class DataDates:
    """The data date D and the knowledge date K of a state (K ≥ D, neither in the future)."""

    as_of: date
    known_at: date
    today: date

    @property
    def is_current(self) -> bool:
        """Today's state with everything known now: the common case, served by projections."""
        return self.as_of == self.today and self.known_at == self.today

    @property
    def knows_everything(self) -> bool:
        """K is today: every record in the database counts."""
        return self.known_at >= self.today

    @property
    def as_printed(self) -> bool:
        """K = D: the state as it could have been printed on D."""
        return self.known_at == self.as_of

    def params(self) -> dict[str, str]:
        """Query arguments that reproduce these dates in a link (defaults left out)."""
        out: dict[str, str] = {}
        if self.as_of != self.today:
            out["as_of"] = self.as_of.isoformat()
        if self.known_at != self.today:
            out["known_at"] = self.known_at.isoformat()
        return out

    def known_before(self) -> datetime:
        """Records recorded before this instant are known on K."""
        return end_of_day(self.known_at)


def _shown(day: date) -> str:
    from .locale import current_locale, format_date  # locale needs a request/app context

    try:
        return format_date(day, current_locale())
    except RuntimeError:  # no request and no app: ISO
        return day.isoformat()


def parse_date_arg(raw: Any, field: str, label: str) -> date | None:
    """A date argument typed by a person or a script: None when absent. Raises InvalidDate
    naming the value and the accepted forms."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = parse_date(raw)
    if value is None:
        shown = str(raw).strip()[:40]
        raise InvalidDate(
            _(
                "%(label)s “%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
                label=label,
                value=shown,
            ),
            field=field,
            value=shown,
        )
    return value


def check_not_future(value: date, field: str, label: str, today_: date | None = None) -> date:
    """``value`` unless it is after today. Raises InvalidDate."""
    today_ = today_ or today()
    if value > today_:
        raise InvalidDate(
            _(
                "%(label)s %(value)s is after today (%(today)s): nothing is known about it yet.",
                label=label,
                value=_shown(value),
                today=_shown(today_),
            ),
            field=field,
            value=value.isoformat(),
        )
    return value


def resolve_data_dates(as_of: Any = None, known_at: Any = None, *, today_: date | None = None) -> DataDates:
    """D and K from query arguments (strings, dates or None). Defaults: D = today, K = today
    (everything known now); "as printed on D" is K = D. Raises InvalidDate for a value that
    is not a date, a future date, or K before D."""
    today_ = today_ or today()
    d = parse_date_arg(as_of, "as_of", _("Data date")) if not isinstance(as_of, date) else as_of
    k = parse_date_arg(known_at, "known_at", _("Knowledge date")) if not isinstance(known_at, date) else known_at
    d = check_not_future(d or today_, "as_of", _("Data date"), today_)
    k = check_not_future(k or today_, "known_at", _("Knowledge date"), today_)
    if k < d:
        raise InvalidDate(
            _(
                "The knowledge date %(known)s is before the data date %(as_of)s: a state can only be known "
                "after the date it describes. Choose a knowledge date on or after %(as_of)s.",
                known=_shown(k),
                as_of=_shown(d),
            ),
            field="known_at",
            value=k.isoformat(),
        )
    return DataDates(as_of=d, known_at=k, today=today_)


def describe(dates: DataDates, locale: str) -> str:
    """Both dates in words, e.g. 資料截止日 107年12月31日，核定截止 108年1月20日 (call it in
    the document's locale: flask_babel.force_locale)."""
    from .locale import format_date

    return _(
        "Data as of %(as_of)s, approvals and decisions known by %(known)s.",
        as_of=format_date(dates.as_of, locale),
        known=format_date(dates.known_at, locale),
    )


# --- the city's calendar day of a stored UTC time, computed by the database ---------------------

from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.expression import FunctionElement  # noqa: E402
from sqlalchemy.types import Date as _Date  # noqa: E402


class local_day(FunctionElement):  # noqa: N801 - reads like the SQL function it compiles to
    """``local_day(column)``: the city's calendar date of a UTC timestamp column, computed in
    SQL (reading tens of thousands of history rows, converting each in Python costs more
    than the query). PostgreSQL converts with the time zone's rules; SQLite has no zone
    database and adds the zone's current offset (Asia/Taipei has had no daylight saving
    time since 1979)."""

    type = _Date()
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):  # noqa: ANN001
    (column,) = list(element.clauses)
    zone = city_timezone().key.replace("'", "")
    return f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') AT TIME ZONE '{zone}' AS DATE)"


@compiles(local_day)
def _local_day_sqlite(element, compiler, **kw):  # noqa: ANN001
    (column,) = list(element.clauses)
    offset = now().astimezone(city_timezone()).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return f"date({compiler.process(column, **kw)}, '{minutes:+d} minutes')"
