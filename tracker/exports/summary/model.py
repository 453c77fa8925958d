"""The document model of the annual summary: plain dataclasses with every string already
localized, and how a raw cell value reads in a text document. The writers (odt.py,
ods.py, docx_writer.py, xlsx.py, pdf.py, tabular.py) only lay this model out; they never query or translate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ...locale import format_date, format_number, format_year
from ...models import Status

# Cell kinds: how a raw value is shown in text and typed in a spreadsheet.
TEXT, INT, NUM, PCT, MONEY, DATE, YEAR = "text", "int", "num", "pct", "money", "date", "year"

ProgressFn = Callable[[float, str], None]


@dataclass
class Column:
    key: str
    label: str
    kind: str = TEXT
    width: float = 1.0  # relative width in the text documents


@dataclass
class Table:
    """A table with one header row; ``rows`` hold raw values (see the cell kinds)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    empty: str = ""  # shown instead of an empty table


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str
    style: str = "normal"  # normal | quote | bullet | note | strong


@dataclass
class Fields:
    """Label/value pairs (cover data, key figures, the adoption decision)."""

    rows: list[tuple[str, str]]


@dataclass
class Image:
    png: bytes
    width_px: int
    height_px: int
    caption: str
    alt: str


@dataclass
class PageBreak:
    pass


Block = Heading | Para | Fields | Table | Image | PageBreak


@dataclass
class Cover:
    title: str  # the report title(s)
    subtitle: str  # 民國106年度追蹤辦理情形報告 / Annual follow-up summary 2017
    fields: list[tuple[str, str]]
    marks: list[str] = field(default_factory=list)  # 草稿 / 示範資料 lines shown on the cover


@dataclass
class Sheet:
    name: str
    tables: list[Table]


@dataclass
class SummaryDocument:
    locale: str  # "zh_TW" | "en"
    year: int
    as_of: date
    generated_on: date
    title: str  # document title (metadata, running header)
    cover: Cover
    body: list[Block]
    sheets: list[Sheet]
    items: Table  # one row per action item: the CSV and the "Action items" sheet
    footer: str  # "Page {page} of {pages}" with placeholders, after the page marks
    notices: list[str]
    status_counts: dict[Status, int]  # for tests and the overview
    recommendation_codes: list[str]
    known_at: date | None = None
    draft: bool = False
    demo: bool = False
    pending_reports: int = 0
    missing_decisions: int = 0
    page_mark: str = ""  # "示範資料 DEMO DATA" / "草稿": printed on every page (header and footer)

    @property
    def lang(self) -> str:
        """BCP 47 tag of the document language."""
        return "zh-TW" if self.locale == "zh_TW" else "en"


def cell_text(value: Any, kind: str, locale: str) -> str:
    """How a raw cell value reads in a text document."""
    if value is None or value == "":
        return "" if kind == TEXT else "—"
    if kind == DATE:
        return format_date(value, locale)
    if kind == YEAR:
        return format_year(value, locale)
    if kind == PCT:
        return pct(value)
    if kind == MONEY:
        return money(value)
    if kind == INT:
        return f"{int(value):,}"
    if kind == NUM:
        return format_number(value, 3)
    return str(value)


def pct(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{format_number(value, digits)}%"


def money(amount: Decimal | int | None) -> str:
    if amount is None:
        return "—"
    return f"NT${int(amount):,}"


def with_unit(value: Decimal | float | None, unit: str) -> str:
    if value is None:
        return "—"
    n = format_number(value, 3)
    if not unit:
        return n
    return f"{n}{unit}" if unit in ("%", "‰") else f"{n} {unit}"


def round1(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def dec(value: Decimal | None) -> int | float | None:
    """A Decimal as the int or float a spreadsheet stores."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def iter_text_rows(table: Table, locale: str) -> Iterable[list[str]]:
    """The table's rows as display strings (for the text documents)."""
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        yield [cell_text(v, k, locale) for v, k in zip(row, kinds, strict=False)]
