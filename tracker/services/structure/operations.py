"""The public operations, one per object and verb (``create_report``, ``update_item`` ...),
and ``get`` (an object by id, or NotFound).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...inputs import parse_id
from ...models import (
    ActionItem,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    User,
)
from .. import NotFound, projections
from .fields import FIGURE_FIELDS, INDICATOR_FIELDS, ITEM_FIELDS, PRACTICE_FIELDS, RECOMMENDATION_FIELDS, REPORT_FIELDS
from .rules import _check_figure, _check_indicator, _check_item, _check_practice, _check_recommendation, _check_report
from .steps import _create, _update


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
