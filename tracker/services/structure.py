"""Creating and editing what a report is made of: reports, recommendations, reference
practices and their figures, indicators and action items (administrators only).

One operation per object and verb (``create_report``, ``update_report``, ...), used by the
API and meant for the admin forms too. Each takes the raw values a form or a JSON body
sends (strings or typed values), checks every field before anything is written and raises
all problems together as ``DomainError(errors={field: message})`` (422); a caller without
the right gets ``PermissionDenied`` after an audit row ("<kind>.denied") is added.

Updates are partial: only the keys present in ``values`` change. They name the version the
caller read (``based_on_version``) and bump it with one guarded
``UPDATE ... SET version = version + 1 WHERE id = :id AND version = :v``; a concurrent
writer's update then matches no row and gets ``ConflictError`` (the API answers 412).

Every write adds an audit row ("report.create", "report.edit", ...) whose summary holds
the changed fields before and after. Item writes mark the item's read model for refresh
(``projections.touch``); a report whose filing date changes touches all its items, since
tracking starts on that date.

Fields that tie an object to its parent (``report_id`` of a recommendation,
``recommendation_id`` of a practice, indicator or item, ``practice_id`` of a figure) are
set on creation and cannot be changed: moving an object would rewrite the history of
the report it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import dates
from ..extensions import db
from ..inputs import MAX_INT, bidi_message, has_bad_text, has_bidi_control, parse_id, parse_int
from ..models import (
    ActionItem,
    BudgetSource,
    Department,
    Direction,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    User,
    utcnow,
)
from . import ConflictError, DomainError, NotFound, PermissionDenied, permissions, projections
from .audit import record_event
from .updates import parse_decimal

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


# --- shared steps ----------------------------------------------------------------------------------


def _require_admin(actor: User, kind: str, obj: Any = None) -> None:
    if not permissions.can_administer(actor):
        record_event(f"{kind}.denied", user=actor, obj=obj, object_type="" if obj is not None else kind)
        raise PermissionDenied(
            _(
                "Only administrators may create or change reports, recommendations, practices, "
                "indicators and action items."
            )
        )


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a value for the audit summary."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__tablename__"):
        return getattr(value, "code", None) or getattr(value, "id", None)
    return value


def snapshot(obj: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The stored values of ``fields`` (relations as codes or ids), for the audit diff."""
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.kind == "refs":
            out[spec.name] = sorted(o.id for o in getattr(obj, ITEM_LISTS[spec.name]))
        elif spec.kind == "ref":
            out[spec.name] = getattr(obj, spec.name)
        else:
            # "code" is a redacted key of the audit log (sign-in codes): stored as "record_code".
            out["record_code" if spec.name == "code" else spec.name] = _plain(getattr(obj, spec.name))
    return out


def _apply(obj: Any, clean: Mapping[str, Any], fields: tuple[Field, ...]) -> None:
    by_name = {f.name: f for f in fields}
    for key, value in clean.items():
        spec = by_name[key]
        if spec.kind == "refs":
            setattr(obj, ITEM_LISTS[key], list(value))
        elif spec.kind == "ref":
            # Through the relationship (report_id -> report ...), so that loaded objects see it at once.
            setattr(obj, key[:-3], value)
        elif spec.kind in ("text", "code"):
            setattr(obj, key, value or "")
        else:
            setattr(obj, key, value)


def _merged(obj: Any, clean: Mapping[str, Any], name: str) -> Any:
    """The value a field will have after the write (the new one if given, else the stored one)."""
    if name in clean:
        value = clean[name]
        return value.id if hasattr(value, "__tablename__") else value
    return getattr(obj, name, None) if obj is not None else None


def _bump(model: type, obj: Any, based_on_version: Any, errors: dict[str, str]) -> None:
    """Move ``obj`` from the version the caller read to the next, or raise ConflictError."""
    version = parse_int(based_on_version, low=1, high=MAX_INT)
    if version is None:
        errors["version"] = _("Give the version your change is based on.")
        _raise(errors)
    _raise(errors)
    values: dict[str, Any] = {"version": model.version + 1}
    if model is ActionItem:
        values["updated_at"] = utcnow()
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(model.version).where(model.id == obj.id))
        raise ConflictError(
            _(
                "This record was changed by someone else (now version %(v)s) after you read it (version "
                "%(mine)s). Read it again and redo your change.",
                v=current,
                mine=version,
            ),
            current_version=current,
        )
    db.session.refresh(obj, ["version"])


def _unique(model: type, where: Iterable[Any], obj: Any, code: Any, errors: dict[str, str], scope: str) -> None:
    """The code must be unique within its parent (or among reports)."""
    if not code or "code" in errors:
        return
    query = select(model.id).where(model.code == code, *where)
    if obj is not None:
        query = query.where(model.id != obj.id)
    if db.session.scalar(query.limit(1)) is not None:
        errors["code"] = _("The code %(code)s is already used %(scope)s.", code=code, scope=scope)


def _next_position(model: type, parent_col: Any, parent_id: int) -> int:
    current = db.session.scalar(select(func.max(model.position)).where(parent_col == parent_id))
    return 0 if current is None else min(current + 1, MAX_INT)


class DuplicateCode(DomainError):
    """A concurrent write saved the same code first (the unique constraint caught it): 409."""

    status_code = 409


def _flush() -> None:
    """Flush; a constraint the checks above missed (a concurrent insert of the same code) is a 409.
    The caller rolls back."""
    try:
        db.session.flush()
    except IntegrityError:
        raise DuplicateCode(
            _("Someone else saved a record with the same code at the same time. Read it again and retry."),
            field="code",
            code="duplicate_code",
        ) from None


def _create(
    kind: str,
    model: type,
    fields: tuple[Field, ...],
    actor: User,
    values: Mapping[str, Any],
    check: Callable[[Any, dict[str, Any], dict[str, str]], None],
) -> Any:
    _require_admin(actor, kind)
    errors: dict[str, str] = {}
    clean = _read_all(fields, values, creating=True, errors=errors)
    check(None, clean, errors)
    _raise(errors)
    obj = model()
    _apply(obj, clean, fields)
    obj.version = 1
    db.session.add(obj)
    _flush()
    record_event(f"{kind}.create", user=actor, obj=obj, after=snapshot(obj, fields) | {"version": obj.version})
    return obj


def _update(
    kind: str,
    model: type,
    fields: tuple[Field, ...],
    obj: Any,
    actor: User,
    values: Mapping[str, Any],
    based_on_version: Any,
    check: Callable[[Any, dict[str, Any], dict[str, str]], None],
) -> tuple[Any, list[str]]:
    _require_admin(actor, kind, obj)
    errors: dict[str, str] = {}
    clean = _read_all(fields, values, creating=False, errors=errors)
    check(obj, clean, errors)
    if not clean and not errors:  # nothing to change: only say whether the version is still current
        version = parse_int(based_on_version, low=1, high=MAX_INT)
        if version != obj.version:
            raise ConflictError(
                _(
                    "This record was changed by someone else (now version %(v)s) after you read it "
                    "(version %(mine)s). Read it again and redo your change.",
                    v=obj.version,
                    mine=version,
                ),
                current_version=obj.version,
            )
        return obj, []
    before = snapshot(obj, fields)
    _bump(model, obj, based_on_version, errors)  # raises the field errors first, then a conflict
    _apply(obj, clean, fields)
    _flush()
    after = snapshot(obj, fields)
    changed = [k for k in after if after[k] != before[k]]
    record_event(
        f"{kind}.edit",
        user=actor,
        obj=obj,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed} | {"version": obj.version},
    )
    return obj, changed


# --- rules of each object --------------------------------------------------------------------------


def _check_report(obj: Report | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    start, end = _merged(obj, clean, "trip_start"), _merged(obj, clean, "trip_end")
    filed = _merged(obj, clean, "report_date")
    if start and end and end < start and "trip_end" not in errors:
        errors["trip_end"] = _("The trip cannot end before it starts.")
    if start and filed and filed < start and "report_date" not in errors:
        errors["report_date"] = _("The report cannot be dated before the trip started.")
    _unique(Report, [], obj, clean.get("code"), errors, _("by another report"))


def _check_recommendation(obj: Recommendation | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    report_id = _merged(obj, clean, "report_id")
    if report_id is None:
        return
    _unique(
        Recommendation, [Recommendation.report_id == report_id], obj, clean.get("code"), errors, _("in this report")
    )
    if obj is None and clean.get("position") is None and "position" not in errors:
        clean["position"] = _next_position(Recommendation, Recommendation.report_id, report_id)


def _check_practice(obj: ReferencePractice | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    rec_id = _merged(obj, clean, "recommendation_id")
    if rec_id is None:
        return
    _unique(
        ReferencePractice,
        [ReferencePractice.recommendation_id == rec_id],
        obj,
        clean.get("code"),
        errors,
        _("in this recommendation"),
    )
    if obj is None and clean.get("position") is None and "position" not in errors:
        clean["position"] = _next_position(ReferencePractice, ReferencePractice.recommendation_id, rec_id)


def _check_figure(obj: PracticeFigure | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    value, text = _merged(obj, clean, "value"), _merged(obj, clean, "value_text_zh")
    if value is None and not text and not ({"value", "value_text_zh"} & set(errors)):
        errors["value"] = _(
            "Give the figure's value, or its wording in value_text_zh when the report gives it "
            "only in words (a number is never invented)."
        )
    practice_id = _merged(obj, clean, "practice_id")
    if practice_id is None:
        return
    _unique(
        PracticeFigure,
        [PracticeFigure.practice_id == practice_id],
        obj,
        clean.get("code"),
        errors,
        _("in this practice"),
    )
    if obj is None and clean.get("position") is None and "position" not in errors:
        clean["position"] = _next_position(PracticeFigure, PracticeFigure.practice_id, practice_id)


def _check_department(clean: dict[str, Any], key: str, errors: dict[str, str], current: Iterable[int] = ()) -> None:
    dept = clean.get(key)
    if dept is not None and not dept.active and dept.id not in set(current):
        errors[key] = _("Department %(code)s is deactivated.", code=dept.code)


def _check_indicator(obj: Indicator | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    rec_id = _merged(obj, clean, "recommendation_id")
    base, target = _merged(obj, clean, "baseline_year"), _merged(obj, clean, "target_year")
    if base is not None and target is not None and target <= base and "target_year" not in errors:
        errors["target_year"] = _("The target year must come after the baseline year.")
    _check_department(
        clean,
        "data_department_id",
        errors,
        [obj.data_department_id] if obj is not None and obj.data_department_id else [],
    )
    if rec_id is None:
        return
    practice = clean.get("practice_id")
    if practice is not None and practice.recommendation_id != rec_id:
        errors["practice_id"] = _("Choose a practice of the same recommendation.")
    _unique(
        Indicator, [Indicator.recommendation_id == rec_id], obj, clean.get("code"), errors, _("in this recommendation")
    )
    if obj is None and clean.get("position") is None and "position" not in errors:
        clean["position"] = _next_position(Indicator, Indicator.recommendation_id, rec_id)


def _check_item(obj: ActionItem | None, clean: dict[str, Any], errors: dict[str, str]) -> None:
    rec_id = _merged(obj, clean, "recommendation_id")
    lead_id = _merged(obj, clean, "lead_department_id")
    _check_department(clean, "lead_department_id", errors, [obj.lead_department_id] if obj is not None else [])
    if "supporting_department_ids" in clean:
        support = clean["supporting_department_ids"]
        current = {d.id for d in obj.supporting_departments} if obj is not None else set()
        if any(d.id == lead_id for d in support):
            errors["supporting_department_ids"] = _("The lead department cannot also be a supporting department.")
        elif any(not d.active and d.id not in current for d in support):
            errors["supporting_department_ids"] = _("Deactivated departments cannot be added.")
    elif obj is not None and "lead_department_id" in clean and lead_id in {d.id for d in obj.supporting_departments}:
        errors["lead_department_id"] = _("The lead department cannot also be a supporting department.")
    start, due = _merged(obj, clean, "start_date"), _merged(obj, clean, "due_date")
    if start and due and due < start and "due_date" not in errors:
        errors["due_date"] = _("The due date cannot be before the start date.")
    amount, source = _merged(obj, clean, "budget_amount"), _merged(obj, clean, "budget_source")
    if amount is not None and source is None and "budget_source" not in errors:
        errors["budget_source"] = _("Choose the source of the budget.")
    if rec_id is None:
        return
    for key in ("practice_ids", "indicator_ids"):
        if any(o.recommendation_id != rec_id for o in clean.get(key) or []):
            errors[key] = _("Link only practices and indicators of the item's own recommendation.")
    _unique(
        ActionItem,
        [ActionItem.recommendation_id == rec_id],
        obj,
        clean.get("code"),
        errors,
        _("in this recommendation"),
    )
    if obj is None and clean.get("position") is None and "position" not in errors:
        clean["position"] = _next_position(ActionItem, ActionItem.recommendation_id, rec_id)
    if obj is None and clean.get("weight") is None and "weight" not in errors:
        clean["weight"] = Decimal(1)


# --- operations ------------------------------------------------------------------------------------


def create_report(actor: User, values: Mapping[str, Any]) -> Report:
    return _create("report", Report, REPORT_FIELDS, actor, values, _check_report)


def update_report(report: Report, actor: User, values: Mapping[str, Any], *, based_on_version: Any) -> Report:
    _, changed = _update("report", Report, REPORT_FIELDS, report, actor, values, based_on_version, _check_report)
    if "report_date" in changed:  # tracking starts on the filing date unless an item says otherwise
        projections.touch(
            db.session.scalars(select(ActionItem.id).join(Recommendation).where(Recommendation.report_id == report.id))
        )
    return report


def create_recommendation(actor: User, values: Mapping[str, Any]) -> Recommendation:
    return _create("recommendation", Recommendation, RECOMMENDATION_FIELDS, actor, values, _check_recommendation)


def update_recommendation(
    rec: Recommendation, actor: User, values: Mapping[str, Any], *, based_on_version: Any
) -> Recommendation:
    _update(
        "recommendation",
        Recommendation,
        RECOMMENDATION_FIELDS,
        rec,
        actor,
        values,
        based_on_version,
        _check_recommendation,
    )
    return rec


def create_practice(actor: User, values: Mapping[str, Any]) -> ReferencePractice:
    return _create("practice", ReferencePractice, PRACTICE_FIELDS, actor, values, _check_practice)


def update_practice(
    practice: ReferencePractice, actor: User, values: Mapping[str, Any], *, based_on_version: Any
) -> ReferencePractice:
    _update("practice", ReferencePractice, PRACTICE_FIELDS, practice, actor, values, based_on_version, _check_practice)
    return practice


def create_figure(actor: User, values: Mapping[str, Any]) -> PracticeFigure:
    return _create("figure", PracticeFigure, FIGURE_FIELDS, actor, values, _check_figure)


def update_figure(
    figure: PracticeFigure, actor: User, values: Mapping[str, Any], *, based_on_version: Any
) -> PracticeFigure:
    _update("figure", PracticeFigure, FIGURE_FIELDS, figure, actor, values, based_on_version, _check_figure)
    return figure


def create_indicator(actor: User, values: Mapping[str, Any]) -> Indicator:
    return _create("indicator", Indicator, INDICATOR_FIELDS, actor, values, _check_indicator)


def update_indicator(
    indicator: Indicator, actor: User, values: Mapping[str, Any], *, based_on_version: Any
) -> Indicator:
    _update("indicator", Indicator, INDICATOR_FIELDS, indicator, actor, values, based_on_version, _check_indicator)
    return indicator


def create_item(actor: User, values: Mapping[str, Any]) -> ActionItem:
    item = _create("item", ActionItem, ITEM_FIELDS, actor, values, _check_item)
    projections.touch([item.id])
    return item


def update_item(item: ActionItem, actor: User, values: Mapping[str, Any], *, based_on_version: Any) -> ActionItem:
    """Edit an action item's structure (administrators). Its version is the one status updates
    bump too, so an edit and a department's update never overwrite each other."""
    _update("item", ActionItem, ITEM_FIELDS, item, actor, values, based_on_version, _check_item)
    projections.touch([item.id])
    return item


# --- reads -----------------------------------------------------------------------------------------


def get(model: type, ident: Any, what: str) -> Any:
    """The object with that id, or NotFound (no query for an id that cannot exist)."""
    ident_v = parse_id(ident)
    obj = db.session.get(model, ident_v) if ident_v is not None else None
    if obj is None:
        raise NotFound(_("There is no %(what)s %(id)s.", what=what, id=str(ident)[:20]))
    return obj
