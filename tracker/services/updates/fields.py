"""Reading what people type into a status update, a note or an item edit: every field
checked, all problems raised together (``DomainError(errors={field: message})``); and the
guarded version bump every write of an item makes (no lost update)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ... import dates, inputs
from ...extensions import db
from ...inputs import bidi_message, has_bidi_control
from ...models import (
    ActionItem,
    Recommendation,
    Report,
    utcnow,
)
from .. import (
    ConflictError,
    DomainError,
)

MAX_NARRATIVE = 10000
MAX_REASON = 5000
MAX_URL = 2000
MAX_NOTE = 10000
MAX_SOURCE_NOTE = 2000
MAX_MEASUREMENTS = 50
MAX_FILES = 10
VALUE_LIMIT = Decimal("1e15")


def local_today() -> date:
    """Today in Tainan: the 'future' in every date rule is judged on Asia/Taipei's calendar."""
    return dates.today()


# --- parsing helpers (shared by every operation here; inputs may be strings or typed) ----------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _check_text(value: Any, key: str, errors: dict[str, str]) -> str:
    """A text field: a string (or nothing), without text-direction controls. A JSON list or
    object is refused, not stored as its Python spelling."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Send this field as text.")
        return ""
    if has_bidi_control(value):
        errors[key] = bidi_message()
    return value.strip()


def parse_date(value: Any) -> date | None:
    """A date from a date or what officials type (107/12/31, 1071231, 2018-12-31 ...); None
    if it is neither (tracker.dates.parse_date)."""
    return dates.parse_date(value)


def parse_int(value: Any) -> int | None:
    """An int, or a string of ASCII digits, within the database's integer range; else None."""
    return inputs.parse_int(value)


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not isinstance(value, (str, int, float, Decimal)):
        return None
    text = str(value).strip().replace(",", "") if isinstance(value, str) else str(value)
    # ASCII digits and a short exponent: Decimal() also reads Unicode digits and 1e-999999.
    if not text or not re.fullmatch(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        return None
    return number


def _check_date(
    value: Any, key: str, errors: dict[str, str], today: date, earliest: date | None, missing_msg: str
) -> date | None:
    if _blank(value):
        errors[key] = missing_msg
        return None
    d = parse_date(value)
    if d is None:
        errors[key] = _(
            "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
            value=str(value).strip()[:40],
        )
        return None
    if d > today:
        errors[key] = _(
            "%(date)s is after today (%(today)s): a report describes what has happened.",
            date=_fmt(d),
            today=_fmt(today),
        )
        return None
    if earliest is not None and d < earliest:
        errors[key] = _("The date cannot be before the report date (%(date)s).", date=_fmt(earliest))
        return None
    return d


def _fmt(day: date) -> str:
    from ...locale import current_locale, format_date

    try:
        return format_date(day, current_locale())
    except RuntimeError:
        return day.isoformat()


def _check_url(value: Any, errors: dict[str, str]) -> str:
    url = _check_text(value, "evidence_url", errors)
    if not url or "evidence_url" in errors:
        return ""
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() for ch in url)
    ):
        errors["evidence_url"] = _("Enter a web address starting with http:// or https://.")
        return ""
    return url


def _check_length(value: str, limit: int, key: str, errors: dict[str, str]) -> None:
    if len(value) > limit and key not in errors:
        errors[key] = _("Use at most %(n)d characters.", n=limit)


def _raise_errors(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
        raise DomainError(message, field=first, code="invalid", errors=errors)


def _bump_version(item: ActionItem, based_on_version: int) -> None:
    """Atomically move the item from ``based_on_version`` to the next. Raises ConflictError."""
    now = utcnow()
    result = db.session.execute(
        update(ActionItem)
        .where(ActionItem.id == item.id, ActionItem.version == based_on_version)
        .values(version=ActionItem.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(ActionItem.version).where(ActionItem.id == item.id))
        raise ConflictError(
            _("Someone else changed this item after you opened it: reload it, check the change and try again."),
            current_version=current,
        )
    # The guarded UPDATE matched: the row now holds exactly these values (no read back).
    set_committed_value(item, "version", based_on_version + 1)
    set_committed_value(item, "updated_at", now)


def _report_date(item: ActionItem) -> date | None:
    return db.session.scalar(
        select(Report.report_date)
        .join(Recommendation, Recommendation.report_id == Report.id)
        .where(Recommendation.id == item.recommendation_id)
    )


@dataclass
class _CleanMeasurement:
    indicator_id: int
    value: Decimal
    measured_on: date
    source_note: str


def _check_measurements(raw: Any, item: ActionItem, today: date, errors: dict[str, str]) -> list[_CleanMeasurement]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, (list, tuple)):
        errors["measurements"] = _("Give the measurements as a list.")
        return []
    if len(raw) > MAX_MEASUREMENTS:
        errors["measurements"] = _("Give at most %(n)d measurements.", n=MAX_MEASUREMENTS)
        return []
    linked = {ind.id for ind in item.indicators}
    clean = []
    for i, entry in enumerate(raw):
        key = f"measurements.{i}"
        if not isinstance(entry, dict):
            errors[key] = _("Each measurement needs an indicator, a value and a date.")
            continue
        ind_id = parse_int(entry.get("indicator_id"))
        if ind_id is None or ind_id not in linked:
            errors[f"{key}.indicator_id"] = _("Choose an indicator linked to this item.")
        value_raw = entry.get("value")
        value = None if _blank(value_raw) else parse_decimal(value_raw)
        if _blank(value_raw):
            errors[f"{key}.value"] = _("Enter the measured value.")
        elif value is None:
            errors[f"{key}.value"] = _("Enter the value as a number, e.g. 42 or 3.5.")
        measured_on = _check_date(
            entry.get("measured_on"), f"{key}.measured_on", errors, today, None, _("Enter the date of the measurement.")
        )
        note = _check_text(entry.get("source_note"), f"{key}.source_note", errors)
        _check_length(note, MAX_SOURCE_NOTE, f"{key}.source_note", errors)
        if ind_id in linked and value is not None and measured_on is not None:
            clean.append(_CleanMeasurement(ind_id, value, measured_on, note))
    return clean
