"""The rules of each kind of object beyond its single fields: dates in order, parents that
exist and cannot change, codes unique within their parent, departments that exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ...models import (
    ActionItem,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
)
from .steps import _merged, _next_position, _unique


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
