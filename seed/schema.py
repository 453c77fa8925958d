"""The seed data format as marshmallow schemas: one schema per kind of record, one per kind of file.

A record loads into a ``Record`` (a dict of its checked values, every absent field at its
default) that remembers where it was written, for the problems found later by
``seed.checks``. Rules within one record (dates in order, a weight above 0 …) are
``validates_schema`` hooks here; rules across records (unique codes, references) are in
``seed.checks``. Unknown keys are refused (marshmallow's default, ``RAISE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validates_schema

from seed.fields import (
    RECORD,
    Bool,
    Choice,
    Code,
    Codes,
    Date,
    Line,
    Lines,
    Number,
    Records,
    Text,
    Year,
    type_name,
)
from tracker.models import Adoption, BudgetSource, Direction

__all__ = ["Record", "RecordSchema", "ReportFileSchema", "RootFileSchema", "label_of"]


def label_of(noun: str, raw: Any) -> str:
    """How a record is named in a message: its kind, and its code when it has one."""
    code = raw.get("code") if isinstance(raw, Mapping) else None
    return f"{noun} {code.strip()!r}" if isinstance(code, str) and code.strip() else noun


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Record(dict):
    """A checked record; remembers its file and lines for later (cross-reference) problems."""

    def __init__(self, values: Mapping[str, Any], line: int, key_lines: Mapping[str, int], label: str):
        super().__init__(values)
        self.file = ""  # set by the reader, which knows the file
        self.line = line
        self.key_lines = dict(key_lines)
        self.label = label

    def at(self, key: str | None = None) -> tuple[str, int]:
        return self.file, self.key_lines.get(key, self.line) if key else self.line


class RecordSchema(Schema):
    """A mapping of fields: empty values count as absent; loads into a ``Record``."""

    noun: ClassVar[str] = "entry"

    @pre_load
    def _present_values(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError(f"{RECORD} must be a mapping of fields, not {type_name(data)}")
        return {key: value for key, value in data.items() if key not in self.fields or not _blank(value)}

    @post_load(pass_original=True)
    def _record(self, data: dict[str, Any], original_data: Mapping[str, Any], **kwargs: Any) -> Record:
        return Record(
            data,
            line=getattr(original_data, "line", 0),
            key_lines=getattr(original_data, "key_lines", {}),
            label=label_of(self.noun, original_data),
        )

    @classmethod
    def empty(cls) -> Record:
        """The record of an absent mapping: every field at its default."""
        return cls().load({})


# --- departments and reports -----------------------------------------------------------------------------


class DepartmentSchema(RecordSchema):
    noun = "department"
    code = Code(40, required=True)
    name_zh = Line(120, required=True)
    name_en = Line(200, required=True)
    active = Bool(default=True)


class ReportSchema(RecordSchema):
    noun = "report"
    code = Code(60, required=True)
    title_zh = Line(300, required=True)
    title_en = Line(300, required=True)
    agency_zh = Line(120, required=True)
    agency_en = Line(200, required=True)
    destination_zh = Line(120)
    destination_en = Line(120)
    trip_start = Date(required=True)
    trip_end = Date(required=True)
    report_date = Date(required=True)
    travellers_zh = Lines()
    travellers_en = Lines()
    summary_zh = Text()
    summary_en = Text()
    source_file = Line(300)

    @validates_schema
    def _trip_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["trip_end"] < data["trip_start"]:
            raise ValidationError(f"{RECORD}: trip_end is before trip_start", "trip_end")


class AdoptionSchema(RecordSchema):
    noun = "adoption decision"
    decision = Choice(Adoption, required=True)
    decided_on = Date(required=True)
    decided_by = Line(200, required=True)
    reason = Text()


class RecommendationSchema(RecordSchema):
    noun = "recommendation"
    code = Code(40, required=True)
    section = Line(40, required=True)
    title_zh = Line(300, required=True)
    title_en = Line(300, required=True)
    text_zh = Text(required=True)
    text_en = Text(required=True)
    adoption_decisions = Records(AdoptionSchema)


# --- practices and their figures -------------------------------------------------------------------------


class FigureSchema(RecordSchema):
    noun = "figure"
    code = Code(60, required=True)
    label_zh = Line(300, required=True)
    label_en = Line(300, required=True)
    value = Number()
    value_text_zh = Line(120)
    value_text_en = Line(120)
    unit = Line(40)
    unit_en = Line(40)
    year = Year()
    section = Line(40, required=True)
    quote_zh = Text(required=True)

    @validates_schema
    def _has_a_value(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["value"] is None and not data["value_text_zh"]:
            raise ValidationError(f"{RECORD}: needs a value or a value_text_zh")


class PracticeSchema(RecordSchema):
    noun = "practice"
    code = Code(40, required=True)
    recommendation = Code(40, required=True)
    section = Line(40, required=True)
    place_zh = Line(120, required=True)
    place_en = Line(120, required=True)
    title_zh = Line(300, required=True)
    title_en = Line(300, required=True)
    description_zh = Text()
    description_en = Text()
    figures = Records(FigureSchema)


# --- indicators ----------------------------------------------------------------------------------------


class ReferenceSchema(RecordSchema):
    noun = "reference"
    value = Number()
    year = Year()
    place_zh = Line(120)
    place_en = Line(120)
    source = Text()


class BaselineSchema(RecordSchema):
    noun = "baseline"
    value = Number()
    year = Year()
    source = Text()


class TargetSchema(RecordSchema):
    noun = "target"
    value = Number()
    year = Year()


class IndicatorSchema(RecordSchema):
    noun = "indicator"
    code = Code(60, required=True)
    recommendation = Code(40, required=True)
    name_zh = Line(300, required=True)
    name_en = Line(300, required=True)
    unit = Line(40, required=True)
    unit_en = Line(40)
    direction = Choice(Direction, required=True)
    practice = Code(40)
    reference = fields.Nested(ReferenceSchema, load_default=ReferenceSchema.empty)
    baseline = fields.Nested(BaselineSchema, load_default=BaselineSchema.empty)
    target = fields.Nested(TargetSchema, load_default=TargetSchema.empty)
    data_department = Code(40)
    notes_zh = Text()
    notes_en = Text()

    @validates_schema
    def _target_after_baseline(self, data: dict[str, Any], **kwargs: Any) -> None:
        base_year, target_year = data["baseline"]["year"], data["target"]["year"]
        if base_year and target_year and target_year <= base_year:
            raise ValidationError(f"{RECORD}: the target year must come after the baseline year", "target")


# --- action items -----------------------------------------------------------------------------------------


class BudgetSchema(RecordSchema):
    noun = "budget"
    amount = Number()
    source = Choice(BudgetSource)
    note = Text()


class ActionItemSchema(RecordSchema):
    noun = "action item"
    code = Code(40, required=True)
    recommendation = Code(40, required=True)
    title_zh = Line(300, required=True)
    title_en = Line(300, required=True)
    description_zh = Text()
    description_en = Text()
    source_section = Line(40, required=True)
    lead = Code(40, required=True)
    supporting = Codes()
    weight = Number()
    start_date = Date()
    due_date = Date()
    budget = fields.Nested(BudgetSchema, load_default=BudgetSchema.empty)
    practices = Codes()
    indicators = Codes()

    @validates_schema
    def _item_rules(self, data: dict[str, Any], **kwargs: Any) -> None:
        found: dict[str, list[str]] = {}
        if data["lead"] in data["supporting"]:
            found["supporting"] = [f"{RECORD}: the lead department cannot also be a supporting one"]
        if data["weight"] is not None and data["weight"] <= 0:
            found["weight"] = [f"{RECORD}: the weight must be greater than 0"]
        if data["start_date"] and data["due_date"] and data["due_date"] < data["start_date"]:
            found["due_date"] = [f"{RECORD}: the due date is before the start date"]
        amount = data["budget"]["amount"]
        if amount is not None and (amount < 0 or amount != amount.to_integral_value()):
            found["budget"] = [f"{RECORD}: the budget amount must be a whole number of NT$, 0 or more"]
        if found:  # each problem is reported at the line of the key it is keyed by
            raise ValidationError(found)


# --- files -------------------------------------------------------------------------------------------------


class FileSchema(Schema):
    """The sections of one file; which sections a file may hold depends on where it is."""

    noun: ClassVar[str] = ""


class RootFileSchema(FileSchema):
    """A YAML file at the top of the data folder."""

    departments = Records(DepartmentSchema)


class ReportFileSchema(FileSchema):
    """A YAML file in a report's folder (any split of the sections over the folder's files)."""

    report = fields.Nested(ReportSchema)
    recommendations = Records(RecommendationSchema)
    practices = Records(PracticeSchema)
    indicators = Records(IndicatorSchema)
    action_items = Records(ActionItemSchema)
