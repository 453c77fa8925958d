"""The kinds of value a seed field holds, as marshmallow fields.

YAML already gives typed values (numbers, dates, true/false), so these fields check types
rather than convert text: a quoted "2014" is not a year, 1 is not true. Text is stripped;
figures become ``Decimal`` exactly as written (4.38 stays 4.38).

Messages name their subject with a leading token, replaced when the problem is reported
(``seed.reading``): ``FIELD`` by "<record label>: <key>" (e.g. "action item 'R2-01': weight"),
``RECORD`` by the record label alone. Field-level marshmallow messages cannot know the
record's code, the reader does.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields

__all__ = [
    "CODE_RE",
    "FIELD",
    "RECORD",
    "Bool",
    "Code",
    "Codes",
    "Date",
    "Choice",
    "Line",
    "Lines",
    "Number",
    "Records",
    "Text",
    "Year",
    "type_name",
]

FIELD = "<field>"
RECORD = "<record>"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def type_name(value: Any) -> str:
    """How a value read from YAML is named in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


class SeedField(fields.Field):
    """A field of a seed record: absent (or blank) means its default, or a problem when required."""

    def __init__(self, *, required: bool = False, default: Any = None, **kwargs: Any) -> None:
        # None never counts as a value (a record drops empty keys before loading): inside a
        # list it is a problem, reported by the "null" message.
        if required:
            super().__init__(required=True, allow_none=False, **kwargs)
        else:
            super().__init__(load_default=default, allow_none=False, **kwargs)

    def _bind_to_schema(self, field_name: str, parent: Schema | fields.Field) -> None:
        super()._bind_to_schema(field_name, parent)
        self.error_messages = {**self.error_messages, "required": f"{RECORD} is missing required field {field_name!r}"}


# --- text --------------------------------------------------------------------------------------------


def _single_line(value: str) -> None:
    if "\n" in value:
        raise ValidationError(f"{FIELD} must be a single line")


def _valid_code(value: str) -> None:
    if not CODE_RE.match(value):
        raise ValidationError(f"{FIELD}: {value!r} is not a valid code (letters, digits, '-', '_' and '.')")


def _at_most(max_len: int) -> Callable[[str], None]:
    def check(value: str) -> None:
        if len(value) > max_len:
            raise ValidationError(f"{FIELD} is {len(value)} characters long (at most {max_len})")

    return check


class Text(SeedField):
    """Free text, several lines allowed; stripped."""

    default_error_messages = {"null": f"{FIELD} must be text, not nothing"}
    checks: tuple[Callable[[str], None], ...] = ()

    def __init__(self, max_len: int | None = None, *, default: Any = "", **kwargs: Any) -> None:
        validate = [*self.checks, *([_at_most(max_len)] if max_len else [])]
        super().__init__(default=default, validate=validate, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"{FIELD} must be text, not {type_name(value)}")
        return value.strip()


class Line(Text):
    """One line of text (a name, a title, a section such as 三(一))."""

    checks = (_single_line,)


class Code(Text):
    """A natural key: letters, digits, '-', '_' and '.'; absent means None."""

    checks = (_single_line, _valid_code)

    def __init__(self, max_len: int | None = None, *, default: Any = None, **kwargs: Any) -> None:
        super().__init__(max_len, default=default, **kwargs)


class _TextList(SeedField):
    """A list of text entries, each checked like ``item``, none listed twice; a tuple."""

    item: Text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default=(), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> tuple:
        if not isinstance(value, list):
            raise ValidationError(f"{FIELD} must be a list, not {type_name(value)}")
        entries, problems = [], []
        for entry in value:
            try:
                entries.append(self.item.deserialize(entry))
            except ValidationError as exc:
                problems.extend(exc.messages)
                entries.append(entry.strip() if isinstance(entry, str) else None)
        if len(set(entries)) != len(entries):
            problems.append(f"{FIELD} lists the same entry twice")
        if problems:
            raise ValidationError(problems)
        return tuple(entries)


class Codes(_TextList):
    """A list of codes (departments, practices, indicators)."""

    item = Code(40)


class Lines(_TextList):
    """A list of single lines (the travellers)."""

    item = Line()


# --- numbers, years, dates, choices --------------------------------------------------------------------


class Number(SeedField):
    """A number as written, as ``Decimal``; at most 16 digits before the point and 4 after."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"{FIELD} must be a number, not {type_name(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(f"{FIELD} must be a finite number")
        number = Decimal(str(value))  # str() keeps what was written: 4.38 stays 4.38, never 4.3799999…
        if abs(number) >= Decimal("1e16") or number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ValidationError(f"{FIELD} {value} does not fit (at most 16 digits, 4 decimals)")
        return number


class Year(SeedField):
    """A calendar year, written as a number."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{FIELD} must be a year such as 2016, not {type_name(value)}")
        if not 1900 <= value <= 2200:
            raise ValidationError(f"{FIELD} {value} is not a plausible year")
        return value


class Date(SeedField):
    """A date written YYYY-MM-DD (YAML reads it as a date; a time of day is refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> date:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValidationError(f"{FIELD} must be a date written YYYY-MM-DD, not {value!r}")
        return value


class Bool(SeedField):
    """true or false, nothing else."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"{FIELD} must be true or false, not {value!r}")
        return value


class Choice(SeedField):
    """One value of an enumeration (written as the value, e.g. ``higher``); the member."""

    def __init__(self, choices: type[enum.Enum], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> enum.Enum:
        allowed = [m.value for m in self.choices]
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(f"{FIELD} must be one of {', '.join(allowed)}, not {value!r}")
        return self.choices(value)


# --- records -----------------------------------------------------------------------------------------


class Records(SeedField):
    """A list of records of one schema; a tuple of what the schema loads.

    Each entry is loaded on its own, so the problems of every entry are reported, keyed by
    its index (marshmallow's ``many=True`` stops at an entry that is not a mapping).
    """

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        self.schema_class = schema
        self._schema: Schema | None = None
        super().__init__(default=(), **kwargs)

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            self._schema = self.schema_class()
        return self._schema

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> tuple:
        if not isinstance(value, list):
            raise ValidationError(f"{FIELD} must be a list, not {type_name(value)}")
        records, problems = [], {}
        for index, entry in enumerate(value):
            try:
                records.append(self.schema.load(entry))
            except ValidationError as exc:
                problems[index] = exc.messages
        if problems:
            raise ValidationError(problems)
        return tuple(records)
