"""The fields of each part of a report as the structure writes read them: one ``Field`` per
input with its type and limits, the per-kind field tuples, and ``_read_all`` turning raw form
or JSON values into typed values with one message per wrong field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ... import dates
from ...extensions import db
from ...inputs import MAX_INT, bidi_message, has_bad_text, has_bidi_control, parse_id, parse_int
from ...models import (
    BudgetSource,
    Department,
    Direction,
    Indicator,
    Recommendation,
    ReferencePractice,
    Report,
)
from .. import DomainError
from ..updates import parse_decimal

MAX_LONG_TEXT = 20000
VALUE_LIMIT = Decimal("1e15")  # figure and indicator values: Numeric(20, 4)
BUDGET_LIMIT = Decimal("1e15")  # Numeric(16, 0)
WEIGHT_LIMIT = Decimal("100000")  # Numeric(8, 3)
YEAR_MIN, YEAR_MAX = 1900, 2199
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

KINDS = ("report", "recommendation", "practice", "figure", "indicator", "item")


@dataclass(frozen=True)
class Field:
    """One writable field: how to read it and the rule it must follow."""

    name: str
    kind: str  # text, code, date, int, year, decimal, weight, budget, enum, ref, refs
    max_len: int = 0
    required: bool = False  # must be given (and not blank) when creating
    create_only: bool = False  # the link to the parent: set once
    enum: type[Enum] | None = None
    model: type | None = None  # for ref / refs
    default: Any = None


def _text(name: str, max_len: int, required: bool = False, default: str = "") -> Field:
    return Field(name, "text", max_len=max_len, required=required, default=default)


REPORT_FIELDS = (
    Field("code", "code", max_len=60, required=True),
    _text("title_zh", 300, True),
    _text("title_en", 300, True),
    _text("agency_zh", 120, True),
    _text("agency_en", 200, True),
    _text("destination_zh", 120),
    _text("destination_en", 120),
    Field("trip_start", "date", required=True),
    Field("trip_end", "date", required=True),
    Field("report_date", "date", required=True),
    _text("travellers_zh", MAX_LONG_TEXT),
    _text("travellers_en", MAX_LONG_TEXT),
    _text("summary_zh", MAX_LONG_TEXT),
    _text("summary_en", MAX_LONG_TEXT),
    _text("source_file", 300),
)

RECOMMENDATION_FIELDS = (
    Field("report_id", "ref", required=True, create_only=True, model=Report),
    Field("code", "code", max_len=40, required=True),
    Field("position", "int"),
    _text("section", 40, True),
    _text("title_zh", 300, True),
    _text("title_en", 300, True),
    _text("text_zh", MAX_LONG_TEXT, True),
    _text("text_en", MAX_LONG_TEXT),
)

PRACTICE_FIELDS = (
    Field("recommendation_id", "ref", required=True, create_only=True, model=Recommendation),
    Field("code", "code", max_len=40, required=True),
    Field("position", "int"),
    _text("section", 40, True),
    _text("place_zh", 120, True),
    _text("place_en", 120, True),
    _text("title_zh", 300, True),
    _text("title_en", 300, True),
    _text("description_zh", MAX_LONG_TEXT),
    _text("description_en", MAX_LONG_TEXT),
)

FIGURE_FIELDS = (
    Field("practice_id", "ref", required=True, create_only=True, model=ReferencePractice),
    Field("code", "code", max_len=60, required=True),
    Field("position", "int"),
    _text("label_zh", 300, True),
    _text("label_en", 300, True),
    Field("value", "decimal"),
    _text("value_text_zh", 120),
    _text("value_text_en", 120),
    _text("unit", 40),
    _text("unit_en", 40),
    Field("year", "year"),
    _text("section", 40, True),
    _text("quote_zh", MAX_LONG_TEXT),
)

INDICATOR_FIELDS = (
    Field("recommendation_id", "ref", required=True, create_only=True, model=Recommendation),
    Field("code", "code", max_len=60, required=True),
    Field("position", "int"),
    _text("name_zh", 300, True),
    _text("name_en", 300, True),
    _text("unit", 40),
    _text("unit_en", 40),
    Field("direction", "enum", required=True, enum=Direction),
    Field("practice_id", "ref", model=ReferencePractice),
    Field("reference_value", "decimal"),
    Field("reference_year", "year"),
    _text("reference_place_zh", 120),
    _text("reference_place_en", 120),
    _text("reference_source", MAX_LONG_TEXT),
    Field("baseline_value", "decimal"),
    Field("baseline_year", "year"),
    _text("baseline_source", MAX_LONG_TEXT),
    Field("target_value", "decimal"),
    Field("target_year", "year"),
    Field("data_department_id", "ref", model=Department),
    _text("notes_zh", MAX_LONG_TEXT),
    _text("notes_en", MAX_LONG_TEXT),
)

ITEM_FIELDS = (
    Field("recommendation_id", "ref", required=True, create_only=True, model=Recommendation),
    Field("code", "code", max_len=40, required=True),
    Field("position", "int"),
    _text("title_zh", 300, True),
    _text("title_en", 300, True),
    _text("description_zh", MAX_LONG_TEXT),
    _text("description_en", MAX_LONG_TEXT),
    _text("source_section", 40, True),
    Field("lead_department_id", "ref", required=True, model=Department),
    Field("supporting_department_ids", "refs", model=Department, default=()),
    Field("practice_ids", "refs", model=ReferencePractice, default=()),
    Field("indicator_ids", "refs", model=Indicator, default=()),
    Field("weight", "weight", default=Decimal(1)),
    Field("start_date", "date"),
    Field("due_date", "date"),
    Field("tracking_start", "date"),
    Field("budget_amount", "budget"),
    Field("budget_source", "enum", enum=BudgetSource),
    _text("budget_note", 2000),
)

# Relations written as lists of ids: (attribute on the model, field name).
ITEM_LISTS = {
    "supporting_department_ids": "supporting_departments",
    "practice_ids": "practices",
    "indicator_ids": "indicators",
}


# --- reading values ------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read(spec: Field, raw: Any, errors: dict[str, str]) -> Any:
    """The value of one field, or None (blank); a problem goes to ``errors``."""
    key = spec.name
    if spec.kind in ("text", "code"):
        if raw is None:
            return ""
        if not isinstance(raw, str):
            errors[key] = _("Send this field as text.")
            return ""
        if has_bad_text(raw):
            errors[key] = _("Remove the NUL or invalid Unicode character from this field.")
            return ""
        if has_bidi_control(raw):
            errors[key] = bidi_message()
            return ""
        value = raw.strip()
        if spec.max_len and len(value) > spec.max_len:
            errors[key] = _("Use at most %(n)d characters.", n=spec.max_len)
        elif spec.kind == "code" and value and not CODE_RE.fullmatch(value):
            errors[key] = _(
                "Use letters A–Z, digits, dots, hyphens and underscores (starting with a letter or "
                "digit), for example R1 or israel-2016."
            )
        return value
    if _blank(raw):
        return list(spec.default) if spec.kind == "refs" else None
    if spec.kind == "date":
        day = dates.parse_date(raw) if isinstance(raw, (str, date)) else None
        if day is None:
            errors[key] = _("“%(value)s” is not a date: write it as 2018-12-31 (or 107/12/31).", value=str(raw)[:40])
        return day
    if spec.kind in ("int", "year"):
        low, high = (0, MAX_INT) if spec.kind == "int" else (YEAR_MIN, YEAR_MAX)
        number = parse_int(raw, low=low, high=high)
        if number is None:
            errors[key] = (
                _("Enter a whole number from 0 to %(n)d.", n=MAX_INT)
                if spec.kind == "int"
                else _("Enter a year from %(low)d to %(high)d.", low=YEAR_MIN, high=YEAR_MAX)
            )
        return number
    if spec.kind in ("decimal", "weight", "budget"):
        number = parse_decimal(raw) if not isinstance(raw, (list, dict)) else None
        if spec.kind == "decimal":
            if number is None or number != number.quantize(Decimal("0.0001")):
                errors[key] = _("Enter a number below 10^15 in absolute value, with at most four decimals.")
                return None
        elif spec.kind == "weight":
            if number is None or number <= 0 or number >= WEIGHT_LIMIT:
                errors[key] = _("Enter a weight greater than 0 (1 is the default).")
                return None
            if number != number.quantize(Decimal("0.001")):
                errors[key] = _("Use at most three decimals.")
                return None
        else:
            if number is None or number < 0 or number >= BUDGET_LIMIT or number != number.to_integral_value():
                errors[key] = _("Enter the budget in whole NT$, 0 or more.")
                return None
        return number
    if spec.kind == "enum":
        assert spec.enum is not None
        try:
            return spec.enum(raw) if isinstance(raw, str) else spec.enum(None)
        except ValueError:
            errors[key] = _("Choose one of: %(values)s.", values=", ".join(m.value for m in spec.enum))
            return None
    if spec.kind == "ref":
        ident = parse_id(raw)
        obj = db.session.get(spec.model, ident) if ident is not None else None
        if obj is None:
            errors[key] = _("There is no such %(what)s (id %(id)s).", what=_what(spec.model), id=str(raw)[:20])
        return obj
    if spec.kind == "refs":
        if not isinstance(raw, (list, tuple)):
            errors[key] = _("Send a list of ids.")
            return []
        ids = [parse_id(v) for v in raw]
        if any(i is None for i in ids) or len(ids) > 100:
            errors[key] = _("Send a list of at most 100 ids, each a whole number from 1 to %(n)d.", n=MAX_INT)
            return []
        wanted = sorted(set(ids))
        found = {o.id: o for o in db.session.scalars(select(spec.model).where(spec.model.id.in_(wanted)))}
        missing = [i for i in wanted if i not in found]
        if missing:
            errors[key] = _("There is no such %(what)s (id %(id)s).", what=_what(spec.model), id=missing[0])
            return []
        return [found[i] for i in wanted]
    raise AssertionError(spec.kind)


def _what(model: type | None) -> str:
    return {
        Report: _("report"),
        Recommendation: _("recommendation"),
        ReferencePractice: _("reference practice"),
        Indicator: _("indicator"),
        Department: _("department"),
    }.get(model, _("record"))


def _read_all(
    fields: tuple[Field, ...], values: Mapping[str, Any], *, creating: bool, errors: dict[str, str]
) -> dict[str, Any]:
    """The fields present in ``values`` (all fields when creating), read and checked one by one."""
    if not isinstance(values, Mapping):
        raise DomainError(_("Send the fields as a JSON object."), code="invalid")
    known = {f.name for f in fields}
    for key in values:
        if key not in known:
            errors[str(key)[:60]] = _("This field does not exist here.")
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in values:
            if creating:
                if spec.required:
                    errors[spec.name] = _("Fill in this field.")
                out[spec.name] = list(spec.default) if spec.kind == "refs" else spec.default
            continue
        if spec.create_only and not creating:
            errors[spec.name] = _("This link is set when the record is created and cannot be changed.")
            continue
        value = _read(spec, values[spec.name], errors)
        if spec.required and spec.name not in errors and (value is None or value == ""):
            errors[spec.name] = _("Fill in this field.")
        out[spec.name] = value
    return out


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
        raise DomainError(message, field=first, code="invalid", errors=errors)
