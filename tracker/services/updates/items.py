"""An administrator's edits of an action item, and reading one item."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import (
    ActionItem,
    BudgetSource,
    Department,
    User,
)
from .. import (
    NotFound,
    PermissionDenied,
    permissions,
    projections,
)
from ..audit import record_event
from .fields import (
    _blank,
    _bump_version,
    _check_length,
    _check_text,
    _raise_errors,
    _text,
    parse_date,
    parse_decimal,
    parse_int,
)

ITEM_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "lead_department_id",
    "supporting_department_ids",
    "weight",
    "start_date",
    "due_date",
    "budget_amount",
    "budget_source",
    "budget_note",
)


def _item_summary(item: ActionItem) -> dict[str, Any]:
    return {
        "title_zh": item.title_zh,
        "title_en": item.title_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "lead_department": item.lead_department.code if item.lead_department else None,
        "supporting_departments": sorted(d.code for d in item.supporting_departments),
        "weight": str(item.weight) if item.weight is not None else None,
        "start_date": item.start_date.isoformat() if item.start_date else None,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "budget_amount": str(item.budget_amount) if item.budget_amount is not None else None,
        "budget_source": item.budget_source.value if item.budget_source else None,
        "budget_note": item.budget_note,
    }


def edit_item(item: ActionItem, actor: User, values: dict[str, Any], *, based_on_version: Any) -> ActionItem:
    """Change an item's description, departments, weight, schedule or budget (administrators).

    Raises PermissionDenied, DomainError (``errors`` by field) or ConflictError.
    """
    if not permissions.can_administer(actor):
        record_event("item.denied", user=actor, obj=item)
        raise PermissionDenied()
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in ("title_zh", "title_en"):
        clean[key] = _check_text(values.get(key), key, errors)
        if not clean[key] and key not in errors:
            errors[key] = _("Enter the title.")
        _check_length(clean[key], 300, key, errors)
    for key in ("description_zh", "description_en"):
        clean[key] = _check_text(values.get(key), key, errors)
        _check_length(clean[key], 20000, key, errors)

    depts = {d.id: d for d in db.session.scalars(select(Department))}
    lead_id = parse_int(values.get("lead_department_id"))
    if lead_id not in depts:
        errors["lead_department_id"] = _("Choose the lead department.")
    elif not depts[lead_id].active and lead_id != item.lead_department_id:
        errors["lead_department_id"] = _("Department %(code)s is deactivated.", code=depts[lead_id].code)
    raw_support = values.get("supporting_department_ids") or []
    support_ids = [parse_int(v) for v in (raw_support if isinstance(raw_support, (list, tuple)) else [raw_support])]
    current_support = {d.id for d in item.supporting_departments}
    if any(s not in depts for s in support_ids):
        errors["supporting_department_ids"] = _("Choose supporting departments from the list.")
    elif lead_id in support_ids:
        errors["supporting_department_ids"] = _("The lead department cannot also be a supporting department.")
    elif any(not depts[s].active and s not in current_support for s in support_ids):
        errors["supporting_department_ids"] = _("Deactivated departments cannot be added.")

    weight = parse_decimal(values.get("weight"))
    if weight is None or weight <= 0 or weight >= 100000:
        errors["weight"] = _("Enter a weight greater than 0 (1 is the default).")
    elif weight != weight.quantize(Decimal("0.001")):
        errors["weight"] = _("Use at most three decimals.")

    days: dict[str, date | None] = {}
    for key in ("start_date", "due_date"):
        raw = values.get(key)
        days[key] = None if _blank(raw) else parse_date(raw)
        if not _blank(raw) and days[key] is None:
            errors[key] = _("Enter a real date as YYYY-MM-DD.")
    if days["start_date"] and days["due_date"] and days["due_date"] < days["start_date"]:
        errors["due_date"] = _("The due date cannot be before the start date.")

    amount_raw = values.get("budget_amount")
    amount = None if _blank(amount_raw) else parse_decimal(amount_raw)
    if not _blank(amount_raw) and (amount is None or amount < 0 or amount != amount.to_integral_value()):
        errors["budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
    source_raw = _text(values.get("budget_source"))
    source = None
    if source_raw:
        try:
            source = BudgetSource(source_raw)
        except ValueError:
            errors["budget_source"] = _("Choose the source of the budget.")
    if amount is not None and source is None and "budget_source" not in errors:
        errors["budget_source"] = _("Choose the source of the budget.")
    budget_note = _check_text(values.get("budget_note"), "budget_note", errors)
    _check_length(budget_note, 2000, "budget_note", errors)
    version = parse_int(based_on_version)
    if version is None:
        errors["version"] = _("Give the item version your change is based on.")
    _raise_errors(errors)

    before = _item_summary(item)
    _bump_version(item, version)
    for key in ("title_zh", "title_en", "description_zh", "description_en"):
        setattr(item, key, clean[key])
    item.lead_department = depts[lead_id]
    item.supporting_departments = sorted((depts[s] for s in set(support_ids)), key=lambda d: d.code)
    item.weight = weight
    item.start_date, item.due_date = days["start_date"], days["due_date"]
    item.budget_amount = amount
    item.budget_source = source
    item.budget_note = budget_note
    db.session.flush()
    projections.touch([item.id])
    after = _item_summary(item)
    changed = [k for k in after if after[k] != before[k]]
    record_event(
        "item.edit",
        user=actor,
        obj=item,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed} | {"version": item.version},
    )
    return item


def get_item(item_id: int) -> ActionItem:
    """The action item. Raises NotFound."""
    item = db.session.get(ActionItem, item_id)
    if item is None:
        raise NotFound(_("No such action item."))
    return item
