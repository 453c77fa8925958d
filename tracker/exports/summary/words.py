"""Small wording rules of the summary: section references in English form, date ranges
with 「至」, a figure's value and year as the report gives them, and whether the database
holds demo data."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...locale import format_date, format_year, localized, unit_label
from ...models import Department, User
from .model import with_unit

# `flask seed --demo` creates its accounts in this domain (seed/demo_plan.py DEMO_DOMAIN); their
# presence is what marks a database as holding demo data.
DEMO_DOMAIN = "demo.tainan.example"
# The department that compiles the summary (彙整機關): the commission, as seeded (seed/data/departments.yaml).
COMMISSION_CODE = "rdec"


def date_range(start: date | None, end: date | None, locale: str) -> str:
    """「106年1月1日至107年12月31日」 / "2017-01-01 to 2018-12-31"; one end alone if only one is known."""
    if start is None and end is None:
        return "—"
    sep = "至" if locale.startswith("zh") else " to "
    if start is None:
        return _("until %(date)s", date=format_date(end, locale))
    if end is None:
        return _("from %(date)s", date=format_date(start, locale))
    return f"{format_date(start, locale)}{sep}{format_date(end, locale)}"


def figure_value(figure: Any, locale: str) -> str:
    """The value as the report words it (逾 / 約 / 高達 kept), else the number with its unit."""
    return localized(figure, "value_text", locale) or with_unit(figure.value, unit_label(figure, locale))


def figure_year(year: int | None, report_year: int, locale: str) -> str:
    """The data year where the report gives one, else "cited in the 2016 report"."""
    if year:
        return format_year(year, locale)
    return _("cited in the %(year)s report", year=format_year(report_year, locale))


def has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def is_demo_database() -> bool:
    """True when `flask seed --demo` has loaded its accounts (and history) here."""
    return db.session.scalar(select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).limit(1)) is not None


def commission_name(locale: str) -> str:
    """The compiling commission's name as the departments table has it ("" if it is missing)."""
    dept = db.session.scalar(select(Department).where(Department.code == COMMISSION_CODE))
    return dept.name(locale) if dept is not None else ""
