"""How the administrator's forms and the spreadsheet import describe and check a report's
parts: one ``Field`` per input, ``clean`` turning what was typed into typed values with a
message per wrong field, and the shared helpers of every portfolio write (the admin check,
the audit record of what changed, the snapshot the audit and the import compare).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import dates
from ...extensions import db
from ...models import (
    BudgetSource,
    Department,
    Direction,
    User,
)
from .. import DomainError, PermissionDenied, permissions
from ..audit import record_event
from ..updates import parse_decimal, parse_int

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
VALUE_LIMIT = Decimal("1e15")


# --- field descriptions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One editable field: kind is text, long, code, date, int, year, decimal, enum or dept."""

    name: str
    label: Any
    kind: str = "text"
    required: bool = False
    max_len: int = 300
    enum: type[Enum] | None = None


def _f(name, label, kind="text", required=False, max_len=300, enum=None):  # noqa: ANN001, ANN202
    return Field(name, label, kind, required, max_len, enum)


REPORT_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("agency_zh", _l("Agency (Chinese)"), required=True, max_len=120),
    _f("agency_en", _l("Agency (English)"), required=True, max_len=200),
    _f("destination_zh", _l("Destination (Chinese)"), max_len=120),
    _f("destination_en", _l("Destination (English)"), max_len=120),
    _f("trip_start", _l("Trip start"), "date", True),
    _f("trip_end", _l("Trip end"), "date", True),
    _f("report_date", _l("Filing date"), "date", True),
    _f("travellers_zh", _l("Travellers (Chinese)"), "long", max_len=5000),
    _f("travellers_en", _l("Travellers (English)"), "long", max_len=5000),
    _f("summary_zh", _l("Summary (Chinese)"), "long", max_len=20000),
    _f("summary_en", _l("Summary (English)"), "long", max_len=20000),
    _f("source_file", _l("Source file"), max_len=300),
)

RECOMMENDATION_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("text_zh", _l("Text (Chinese)"), "long", True, 20000),
    _f("text_en", _l("Text (English)"), "long", max_len=20000),
)

PRACTICE_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("place_zh", _l("Place (Chinese)"), required=True, max_len=120),
    _f("place_en", _l("Place (English)"), required=True, max_len=120),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("description_zh", _l("Description (Chinese)"), "long", max_len=20000),
    _f("description_en", _l("Description (English)"), "long", max_len=20000),
)

FIGURE_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("position", _l("Position"), "int"),
    _f("label_zh", _l("Label (Chinese)"), required=True),
    _f("label_en", _l("Label (English)"), required=True),
    _f("value", _l("Value"), "decimal"),
    _f("value_text_zh", _l("Value as the report words it (Chinese)"), max_len=120),
    _f("value_text_en", _l("Value as the report words it (English)"), max_len=120),
    _f("unit", _l("Unit"), max_len=40),
    _f("unit_en", _l("Unit (English)"), max_len=40),
    _f("year", _l("Year"), "year"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("quote_zh", _l("Verbatim quote"), "long", max_len=5000),
)

INDICATOR_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("position", _l("Position"), "int"),
    _f("name_zh", _l("Name (Chinese)"), required=True),
    _f("name_en", _l("Name (English)"), required=True),
    _f("unit", _l("Unit"), required=True, max_len=40),
    _f("unit_en", _l("Unit (English)"), max_len=40),
    _f("direction", _l("Better when"), "enum", True, enum=Direction),
    _f("reference_value", _l("Reference value"), "decimal"),
    _f("reference_year", _l("Reference year"), "year"),
    _f("reference_place_zh", _l("Reference place (Chinese)"), max_len=120),
    _f("reference_place_en", _l("Reference place (English)"), max_len=120),
    _f("reference_source", _l("Reference source"), "long", max_len=5000),
    _f("baseline_value", _l("Baseline value"), "decimal"),
    _f("baseline_year", _l("Baseline year"), "year"),
    _f("baseline_source", _l("Baseline source"), "long", max_len=5000),
    _f("target_value", _l("Target value"), "decimal"),
    _f("target_year", _l("Target year"), "year"),
    _f("data_department", _l("Department providing the data"), "dept"),
    _f("notes_zh", _l("Notes (Chinese)"), "long", max_len=5000),
    _f("notes_en", _l("Notes (English)"), "long", max_len=5000),
)

ITEM_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("description_zh", _l("Description (Chinese)"), "long", max_len=20000),
    _f("description_en", _l("Description (English)"), "long", max_len=20000),
    _f("source_section", _l("Source section"), required=True, max_len=40),
    _f("lead_department", _l("Lead department"), "dept", True),
    _f("weight", _l("Weight"), "decimal"),
    _f("start_date", _l("Start date"), "date"),
    _f("due_date", _l("Due date"), "date"),
    _f("budget_amount", _l("Budget (NT$)"), "decimal"),
    _f("budget_source", _l("Budget source"), "enum", enum=BudgetSource),
    _f("budget_note", _l("Budget note"), "long", max_len=2000),
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _not_a_date(raw: Any) -> str:
    return _(
        "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
        value=str(raw).strip()[:40],
    )


def clean(
    fields: Sequence[Field], values: dict[str, Any], departments: dict[str, Department] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values of ``fields`` from ``values`` (strings as typed, or typed values), and a
    message per field that is wrong. Department fields take a department code."""
    from ...inputs import bidi_message, has_bidi_control

    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = values.get(f.name)
        if _blank(raw):
            if f.required:
                errors[f.name] = _("Fill in this field.")
            out[f.name] = "" if f.kind in ("text", "long", "code") else None
            continue
        if f.kind in ("text", "long", "code"):
            if not isinstance(raw, str):
                raw = str(raw)
            text = raw.strip()
            if has_bidi_control(text):
                errors[f.name] = bidi_message()
            elif len(text) > f.max_len:
                errors[f.name] = _("Use at most %(n)d characters.", n=f.max_len)
            elif f.kind == "text" and ("\n" in text or "\r" in text):
                errors[f.name] = _("Write this on one line.")
            elif f.kind == "code" and not CODE_RE.fullmatch(text):
                errors[f.name] = _("Use letters, digits, “.”, “-” and “_” only (for example israel-2016 or R1).")
            out[f.name] = text
        elif f.kind == "date":
            day = dates.parse_date(raw)
            if day is None:
                errors[f.name] = _not_a_date(raw)
            out[f.name] = day
        elif f.kind in ("int", "year"):
            number = parse_int(raw if not isinstance(raw, float) or not raw.is_integer() else int(raw))
            if number is None or (f.kind == "year" and not 1900 <= number <= 2199) or number < 0:
                errors[f.name] = (
                    _("Enter a year such as 2018.") if f.kind == "year" else _("Enter a whole number, 0 or more.")
                )
            out[f.name] = number
        elif f.kind == "decimal":
            number = parse_decimal(raw)
            if number is None:
                errors[f.name] = _("Enter a number such as 12.5.")
            out[f.name] = number
        elif f.kind == "enum":
            assert f.enum is not None
            try:
                out[f.name] = f.enum(raw.value if isinstance(raw, Enum) else str(raw).strip())
            except ValueError:
                errors[f.name] = _("Choose one of: %(choices)s.", choices=", ".join(e.value for e in f.enum))
                out[f.name] = None
        elif f.kind == "dept":
            depts = departments if departments is not None else _departments()
            code = str(raw).strip()
            dept = depts.get(code)
            if dept is None:
                errors[f.name] = _("There is no department with the code “%(code)s”.", code=code[:40])
            out[f.name] = dept
    return out, errors


def _departments() -> dict[str, Department]:
    return {d.code: d for d in db.session.scalars(select(Department))}


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
        raise DomainError(message, field=first, code="invalid", errors=errors)


def _plain(value: Any) -> Any:
    """A value as the audit log stores it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Department):
        return value.code
    return value


def _attr(f: Field) -> str:
    return {"data_department": "data_department", "lead_department": "lead_department"}.get(f.name, f.name)


def snapshot(obj: Any, fields: Sequence[Field]) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, _attr(f))) for f in fields}


def _apply(obj: Any, fields: Sequence[Field], values: dict[str, Any]) -> None:
    for f in fields:
        value = values[f.name]
        if f.name == "position" and value is None:
            continue
        if f.name == "weight" and value is None:
            value = Decimal(1)
        setattr(obj, _attr(f), value)


def _audit(action: str, actor: User, obj: Any, before: dict | None, after: dict, **extra: Any) -> dict:
    """Record the change; returns the changed fields (empty: nothing to record). The
    stable key is logged as "stable_key" ("code" is a redacted key in the audit log)."""
    before = {_log_key(k): v for k, v in before.items()} if before is not None else None
    after = {_log_key(k): v for k, v in after.items()}
    if before is None:
        changed = {k: v for k, v in after.items() if v not in (None, "")}
        record_event(action, user=actor, obj=obj, after=changed | extra)
        return changed
    changed = {k for k in after if after[k] != before.get(k)}
    if changed:
        record_event(
            action,
            user=actor,
            obj=obj,
            before={k: before.get(k) for k in sorted(changed)},
            after={k: after[k] for k in sorted(changed)} | extra,
        )
    return {k: after[k] for k in changed}


def _log_key(name: str) -> str:
    return "stable_key" if name == "code" else name


def _require_admin(actor: User, what: str, obj: Any = None) -> None:
    if not permissions.can_administer(actor):
        record_event(f"{what}.denied", user=actor, obj=obj)
        raise PermissionDenied(_("Only administrators may change reports and their contents."))


def _check_year_pair(values: dict[str, Any], errors: dict[str, str], low: str, high: str, message: str) -> None:
    if (
        values.get(low) is not None
        and values.get(high) is not None
        and values[high] <= values[low]
        and high not in errors
    ):
        errors[high] = message


def _check_number(
    values: dict[str, Any], errors: dict[str, str], name: str, message: str, ok: Any = lambda v: True
) -> None:
    v = values.get(name)
    if v is not None and name not in errors and (abs(v) >= VALUE_LIMIT or not ok(v)):
        errors[name] = message
