"""Saving a report's parts from the administrator's forms and the spreadsheet import:
recommendations, reference practices and their figures, indicators and action items.
Each save validates every field first, records the change in the audit log and flushes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    ActionItem,
    Department,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    User,
    utcnow,
)
from .. import projections
from .fields import (
    FIGURE_FIELDS,
    INDICATOR_FIELDS,
    ITEM_FIELDS,
    PRACTICE_FIELDS,
    RECOMMENDATION_FIELDS,
    VALUE_LIMIT,
    _apply,
    _audit,
    _check_number,
    _check_year_pair,
    _raise,
    _require_admin,
    clean,
    snapshot,
)


def _unique(
    model: Any, parent_col: Any, parent_id: int, code: str, own_id: int | None, errors: dict[str, str], message: str
) -> None:
    if "code" in errors or not code:
        return
    clash = db.session.scalar(select(model.id).where(parent_col == parent_id, model.code == code))
    if clash is not None and clash != own_id:
        errors["code"] = message


def _next_position(model: Any, parent_col: Any, parent_id: int) -> int:
    return (
        int(db.session.scalar(select(func.coalesce(func.max(model.position), -1)).where(parent_col == parent_id)) or -1)
        + 1
    )


def save_recommendation(
    actor: User, values: dict[str, Any], *, report: Report | None = None, rec: Recommendation | None = None
) -> Recommendation:
    """Create (``report`` given) or edit (``rec`` given) a recommendation."""
    _require_admin(actor, "recommendation", rec)
    data, errors = clean(RECOMMENDATION_FIELDS, values)
    report_id = rec.report_id if rec is not None else report.id  # type: ignore[union-attr]
    _unique(
        Recommendation,
        Recommendation.report_id,
        report_id,
        data["code"],
        rec.id if rec else None,
        errors,
        _("This report already has a recommendation with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if rec is None:
        obj = Recommendation(report_id=report_id, text_en="")
        if data["position"] is None:
            obj.position = _next_position(Recommendation, Recommendation.report_id, report_id)
        _apply(obj, RECOMMENDATION_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("recommendation.create", actor, obj, None, snapshot(obj, RECOMMENDATION_FIELDS))
        return obj
    before = snapshot(rec, RECOMMENDATION_FIELDS)
    _apply(rec, RECOMMENDATION_FIELDS, data)
    db.session.flush()
    _audit("recommendation.edit", actor, rec, before, snapshot(rec, RECOMMENDATION_FIELDS))
    return rec


def save_practice(
    actor: User,
    values: dict[str, Any],
    *,
    recommendation: Recommendation | None = None,
    practice: ReferencePractice | None = None,
) -> ReferencePractice:
    _require_admin(actor, "practice", practice)
    data, errors = clean(PRACTICE_FIELDS, values)
    rec_id = practice.recommendation_id if practice is not None else recommendation.id  # type: ignore[union-attr]
    _unique(
        ReferencePractice,
        ReferencePractice.recommendation_id,
        rec_id,
        data["code"],
        practice.id if practice else None,
        errors,
        _("This recommendation already has a practice with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if practice is None:
        obj = ReferencePractice(recommendation_id=rec_id)
        if data["position"] is None:
            obj.position = _next_position(ReferencePractice, ReferencePractice.recommendation_id, rec_id)
        _apply(obj, PRACTICE_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("practice.create", actor, obj, None, snapshot(obj, PRACTICE_FIELDS))
        return obj
    before = snapshot(practice, PRACTICE_FIELDS)
    _apply(practice, PRACTICE_FIELDS, data)
    db.session.flush()
    _audit("practice.edit", actor, practice, before, snapshot(practice, PRACTICE_FIELDS))
    return practice


def save_figure(
    actor: User,
    values: dict[str, Any],
    *,
    practice: ReferencePractice | None = None,
    figure: PracticeFigure | None = None,
) -> PracticeFigure:
    _require_admin(actor, "figure", figure)
    data, errors = clean(FIGURE_FIELDS, values)
    _check_number(data, errors, "value", _("Enter a number below 10¹⁵."))
    if data.get("value") is None and not data.get("value_text_zh") and not errors:
        errors["value"] = _("Give the value, as a number or as the report words it.")
    pid = figure.practice_id if figure is not None else practice.id  # type: ignore[union-attr]
    _unique(
        PracticeFigure,
        PracticeFigure.practice_id,
        pid,
        data["code"],
        figure.id if figure else None,
        errors,
        _("This practice already has a figure with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if figure is None:
        obj = PracticeFigure(practice_id=pid)
        if data["position"] is None:
            obj.position = _next_position(PracticeFigure, PracticeFigure.practice_id, pid)
        _apply(obj, FIGURE_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("figure.create", actor, obj, None, snapshot(obj, FIGURE_FIELDS))
        return obj
    before = snapshot(figure, FIGURE_FIELDS)
    _apply(figure, FIGURE_FIELDS, data)
    db.session.flush()
    _audit("figure.edit", actor, figure, before, snapshot(figure, FIGURE_FIELDS))
    return figure


def save_indicator(
    actor: User,
    values: dict[str, Any],
    *,
    recommendation: Recommendation | None = None,
    indicator: Indicator | None = None,
) -> Indicator:
    _require_admin(actor, "indicator", indicator)
    data, errors = clean(INDICATOR_FIELDS, values)
    for name in ("reference_value", "baseline_value", "target_value"):
        _check_number(data, errors, name, _("Enter a number below 10¹⁵."))
    _check_year_pair(
        data, errors, "baseline_year", "target_year", _("The target year must come after the baseline year.")
    )
    rec_id = indicator.recommendation_id if indicator is not None else recommendation.id  # type: ignore[union-attr]
    _unique(
        Indicator,
        Indicator.recommendation_id,
        rec_id,
        data["code"],
        indicator.id if indicator else None,
        errors,
        _("This recommendation already has an indicator with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if indicator is None:
        obj = Indicator(recommendation_id=rec_id)
        if data["position"] is None:
            obj.position = _next_position(Indicator, Indicator.recommendation_id, rec_id)
        _apply(obj, INDICATOR_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("indicator.create", actor, obj, None, snapshot(obj, INDICATOR_FIELDS))
        return obj
    before = snapshot(indicator, INDICATOR_FIELDS)
    _apply(indicator, INDICATOR_FIELDS, data)
    db.session.flush()
    _audit("indicator.edit", actor, indicator, before, snapshot(indicator, INDICATOR_FIELDS))
    return indicator


def _item_rules(data: dict[str, Any], errors: dict[str, str]) -> None:
    lead = data.get("lead_department")
    if lead is not None and not lead.active and "lead_department" not in errors:
        errors["lead_department"] = _("Department %(code)s is deactivated.", code=lead.code)
    w = data.get("weight")
    if w is not None and "weight" not in errors and (w <= 0 or w >= 100000 or w != w.quantize(Decimal("0.001"))):
        errors["weight"] = _("Enter a weight greater than 0 (1 is the default), with at most three decimals.")
    if (
        data.get("start_date")
        and data.get("due_date")
        and data["due_date"] < data["start_date"]
        and "due_date" not in errors
    ):
        errors["due_date"] = _("The due date cannot be before the start date.")
    amount = data.get("budget_amount")
    if (
        amount is not None
        and "budget_amount" not in errors
        and (amount < 0 or amount != amount.to_integral_value() or amount >= VALUE_LIMIT)
    ):
        errors["budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
    if amount is not None and data.get("budget_source") is None and "budget_source" not in errors:
        errors["budget_source"] = _("Choose the source of the budget.")


def create_item(
    actor: User,
    recommendation: Recommendation,
    values: dict[str, Any],
    *,
    departments: dict[str, Department] | None = None,
) -> ActionItem:
    """A new action item. Its tracking starts on the report's filing date (docs/domain.md);
    the departments are named by the administrator, so they are confirmed. Editing an
    item goes through services/updates.edit_item (versioned)."""
    _require_admin(actor, "item")
    data, errors = clean(ITEM_FIELDS, values, departments)
    _item_rules(data, errors)
    _unique(
        ActionItem,
        ActionItem.recommendation_id,
        recommendation.id,
        data["code"],
        None,
        errors,
        _("This recommendation already has an action item with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    item = ActionItem(
        recommendation_id=recommendation.id, departments_confirmed_at=utcnow(), departments_confirmed_by_id=actor.id
    )
    if data["position"] is None:
        item.position = _next_position(ActionItem, ActionItem.recommendation_id, recommendation.id)
    _apply(item, ITEM_FIELDS, data)
    db.session.add(item)
    db.session.flush()
    projections.touch([item.id])
    _audit("item.create", actor, item, None, snapshot(item, ITEM_FIELDS))
    return item
