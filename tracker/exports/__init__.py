"""Exports of the annual follow-up summary (年度追蹤辦理情形報告).

``resolve_options`` validates what the CLI or the web form asked for (one set of error
messages for both), ``render_summary`` builds the document model (summary.py) and turns
it into bytes with the writer of the format. Nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from .. import dates as dates_mod
from ..dates import DataDates
from ..errors import InvalidDate
from ..extensions import db
from ..inputs import get_by_id, looks_like_number
from ..models import Report
from ..services import DomainError

# format -> (file extension, MIME type)
FORMATS: dict[str, tuple[str, str]] = {
    "odt": ("odt", "application/vnd.oasis.opendocument.text"),
    "ods": ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv", "text/csv; charset=utf-8"),
}
TEXT_FORMATS = frozenset({"odt", "pdf", "docx"})
# language tag in file names and options -> Babel locale
LANGUAGES: dict[str, str] = {"zh-TW": "zh_TW", "en": "en"}
# The Republic of China calendar starts in 1912; nothing earlier can be a 民國 year.
FIRST_YEAR = 1912

ProgressFn = Callable[[float, str], None]


class ExportError(DomainError):
    """An export option is wrong (the message names it); nothing was written."""


@dataclass(frozen=True)
class ExportOptions:
    year: int
    as_of: date  # the data date D (31 December of the year unless asked otherwise)
    format: str
    lang: str  # "zh-TW" | "en"
    report: Report | None  # None: every report
    known_at: date | None = None  # the knowledge date K (None: today, the compile date)

    @property
    def dates(self) -> DataDates:
        today = dates_mod.today()
        return DataDates(self.as_of, self.known_at or today, today)

    @property
    def locale(self) -> str:
        return LANGUAGES[self.lang]

    @property
    def report_ids(self) -> list[int] | None:
        return [self.report.id] if self.report is not None else None

    @property
    def mimetype(self) -> str:
        return FORMATS[self.format][1]

    @property
    def filename(self) -> str:
        """E.g. israel-2016_summary_2017_asof-2017-12-31_known-2018-01-20_zh-TW.odt."""
        who = self.report.code if self.report is not None else "all-reports"
        return (
            f"{_safe(who)}_summary_{self.year}_asof-{self.as_of.isoformat()}"
            f"_known-{self.dates.known_at.isoformat()}_{self.lang}.{FORMATS[self.format][0]}"
        )


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text) or "report"


def normalise_lang(raw: str | None) -> str | None:
    """'zh-TW', 'zh_TW', 'zh-tw', 'zh' -> 'zh-TW'; 'en', 'en-US' -> 'en'; else None."""
    if not raw:
        return None
    v = raw.strip().replace("_", "-").lower()
    if v in ("zh", "zh-tw", "zh-hant", "zh-hant-tw"):
        return "zh-TW"
    if v == "en" or v.startswith("en-"):
        return "en"
    return None


def default_as_of(year: int, today: date) -> date:
    """31 December of the year, or today while the year is still running."""
    return today if year == today.year else date(year, 12, 31)


def find_report(raw: str | int | None) -> Report | None:
    """The report given by id or code; None when not given. Raises ExportError if unknown."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = str(raw).strip()
    report = (
        get_by_id(Report, value)
        if looks_like_number(value)
        else db.session.scalar(select(Report).where(Report.code == value))
    )
    if report is None:
        raise ExportError(
            _("There is no report “%(value)s” (give its id or code).", value=value[:60]),
            field="report",
            code="unknown_report",
        )
    return report


def _day(raw: date | str | None, field: str, label: str) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return dates_mod.parse_date_arg(raw, field, label)
    except InvalidDate as exc:
        raise ExportError(exc.message, field=field, code="bad_date") from None


def resolve_options(
    *,
    year: int | str | None,
    as_of: date | str | None,
    fmt: str | None,
    lang: str | None,
    report: str | int | None,
    today: date,
    known_at: date | str | None = None,
) -> ExportOptions:
    """Validated export options. Raises ExportError naming the field at the first problem."""
    fmt_value = (fmt or "").strip().lower()
    if fmt_value not in FORMATS:
        raise ExportError(
            _(
                "Unknown format “%(value)s”: choose one of %(choices)s.",
                value=(fmt or "")[:20],
                choices=", ".join(FORMATS),
            ),
            field="format",
            code="unknown_format",
        )
    lang_value = normalise_lang(lang)
    if lang_value is None:
        raise ExportError(
            _("Unknown language “%(value)s”: choose zh-TW or en.", value=(lang or "")[:20]),
            field="lang",
            code="unknown_language",
        )
    text = str(year).strip() if year is not None else ""
    if not text:
        raise ExportError(_("Choose the year of the summary."), field="year", code="missing_year")
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise ExportError(
            _("The year must be a number such as 2017; “%(value)s” is not.", value=text[:20]),
            field="year",
            code="bad_year",
        )
    year_value = int(text)
    if year_value < FIRST_YEAR or year_value > today.year:
        raise ExportError(
            _(
                "The year must be between %(first)s and %(last)s; %(value)s is not.",
                first=FIRST_YEAR,
                last=today.year,
                value=year_value,
            ),
            field="year",
            code="bad_year",
        )
    as_of_value = _day(as_of, "as_of", _("The data date")) or default_as_of(year_value, today)
    if as_of_value.year != year_value:
        raise ExportError(
            _(
                "The data date %(date)s is outside the year %(year)s: choose a date from "
                "%(year)s-01-01 to %(year)s-12-31.",
                date=as_of_value.isoformat(),
                year=year_value,
            ),
            field="as_of",
            code="as_of_outside_year",
        )
    if as_of_value > today:
        raise ExportError(
            _(
                "The data date %(date)s is in the future: the state is only known up to today (%(today)s).",
                date=as_of_value.isoformat(),
                today=today.isoformat(),
            ),
            field="as_of",
            code="as_of_in_future",
        )
    known_value = _day(known_at, "known_at", _("The knowledge date"))
    if known_value is not None:
        if known_value > today:
            raise ExportError(
                _(
                    "The knowledge date %(date)s is in the future: nothing is known about it yet (today is %(today)s).",
                    date=known_value.isoformat(),
                    today=today.isoformat(),
                ),
                field="known_at",
                code="known_at_in_future",
            )
        if known_value < as_of_value:
            raise ExportError(
                _(
                    "The knowledge date %(known)s is before the data date %(as_of)s: a state can "
                    "only be known after the date it describes.",
                    known=known_value.isoformat(),
                    as_of=as_of_value.isoformat(),
                ),
                field="known_at",
                code="known_before_data",
            )
    chosen = find_report(report)
    if chosen is None:
        # With a single report, "every report" is that report: name the file after it.
        only = list(db.session.scalars(select(Report).limit(2)))
        chosen = only[0] if len(only) == 1 else None
    filed = [chosen] if chosen is not None else list(db.session.scalars(select(Report)))
    if filed and all(r.report_date.year > year_value for r in filed):
        first = min(r.report_date for r in filed)
        raise ExportError(
            _(
                "%(year)s is before the report was filed (%(date)s): there is nothing to follow up "
                "yet. Choose %(first_year)s or later.",
                year=year_value,
                date=first.isoformat(),
                first_year=first.year,
            ),
            field="year",
            code="before_report",
        )
    return ExportOptions(
        year=year_value, as_of=as_of_value, format=fmt_value, lang=lang_value, report=chosen, known_at=known_value
    )


def render_summary(options: ExportOptions, on_progress: ProgressFn | None = None) -> bytes:
    """The summary in the requested format, as bytes (needs an app context)."""
    from .summary import build_document

    tick = on_progress or (lambda fraction, stage: None)
    parts = ("body",) if options.format in TEXT_FORMATS else ("sheets",)
    doc = build_document(options.year, options.dates, options.locale, options.report_ids, on_progress=tick, parts=parts)
    tick(0.7, _("Writing the %(format)s file", format=options.format.upper()))
    data = writer(options.format)(doc)
    tick(1.0, _("Done"))
    return data


def writer(fmt: str) -> Callable:
    """The function turning a SummaryDocument into bytes for ``fmt``."""
    if fmt == "odt":
        from .odt import write_odt as fn
    elif fmt == "ods":
        from .ods import write_ods as fn
    elif fmt == "docx":
        from .docx_writer import write_docx as fn
    elif fmt == "xlsx":
        from .xlsx import write_xlsx as fn
    elif fmt == "pdf":
        from .pdf import write_pdf as fn
    elif fmt == "csv":
        from .tabular import write_csv as fn
    else:
        raise ExportError(
            _("Unknown format “%(value)s”: choose one of %(choices)s.", value=fmt, choices=", ".join(FORMATS)),
            field="format",
            code="unknown_format",
        )
    return fn
