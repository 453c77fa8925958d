"""The data date and knowledge date of a page (``?as_of=`` and ``?known_at=``).

One parser for every page (tracker.dates.resolve_data_dates): a bad value leaves the page
showing today's state under the message, and the view answers 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import request

from .. import dates
from ..dates import DataDates
from ..errors import InvalidDate
from ..locale import current_locale, format_date_input


@dataclass
class AsOf:
    """What a page shows: ``dates`` (valid; today's when the arguments were refused), the
    raw arguments to put back in the form, and the refusal, if any."""

    dates: DataDates
    raw_as_of: str = ""
    raw_known_at: str = ""
    error: str | None = None
    error_field: str | None = None

    @property
    def date(self) -> date:
        return self.dates.as_of

    @property
    def known_at(self) -> date:
        return self.dates.known_at

    @property
    def today(self) -> date:
        return self.dates.today

    @property
    def is_today(self) -> bool:
        return self.dates.as_of == self.dates.today

    @property
    def is_current(self) -> bool:
        return self.dates.is_current

    @property
    def raw(self) -> str:
        return self.raw_as_of

    @property
    def param(self) -> str | None:
        """The as_of value to carry in links (None, and so left out, when it is today)."""
        return None if self.is_today or self.error else self.dates.as_of.isoformat()

    @property
    def known_param(self) -> str | None:
        return None if self.error or self.dates.known_at == self.dates.today else self.dates.known_at.isoformat()

    @property
    def link(self) -> dict[str, str]:
        """Both dates as query arguments for links (defaults left out)."""
        return {} if self.error else self.dates.params()

    def shown(self, which: str) -> str:
        """The value to put in an input: what was typed when refused, else the date as
        officials write it (107/12/31 in zh-TW)."""
        if self.error:
            return self.raw_as_of if which == "as_of" else self.raw_known_at
        value = self.dates.as_of if which == "as_of" else self.dates.known_at
        if value == self.dates.today:
            return ""
        return format_date_input(value, current_locale())


def page_dates(args=None) -> AsOf:  # noqa: ANN001
    """The page's dates from the query string."""
    args = request.args if args is None else args
    raw_as_of = (args.get("as_of") or "").strip()
    raw_known = (args.get("known_at") or "").strip()
    try:
        return AsOf(dates.resolve_data_dates(raw_as_of or None, raw_known or None), raw_as_of, raw_known)
    except InvalidDate as exc:
        today = dates.today()
        return AsOf(DataDates(today, today, today), raw_as_of, raw_known, exc.message, exc.field)
