"""The schedule (執行期程) and budget a department proposes with a status update while the
item has none; approving the update applies them (services/review.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ...models import (
    ActionItem,
    BudgetSource,
)
from .fields import _blank, _check_length, _fmt, _text, parse_date, parse_decimal


def _check_proposal(values: dict[str, Any], item: ActionItem, errors: dict[str, str]) -> dict[str, Any]:
    """The schedule and budget a report proposes (all optional)."""
    out: dict[str, Any] = {
        "proposed_start_date": None,
        "proposed_due_date": None,
        "proposed_budget_amount": None,
        "proposed_budget_source": None,
        "proposed_budget_note": "",
    }
    for key in ("proposed_start_date", "proposed_due_date"):
        raw = values.get(key)
        if _blank(raw):
            continue
        day = parse_date(raw)
        if day is None:
            errors[key] = _(
                "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
                value=str(raw).strip()[:40],
            )
        else:
            out[key] = day
    start, due = out["proposed_start_date"], out["proposed_due_date"]
    if start and due and due < start:
        errors["proposed_due_date"] = _("The due date cannot be before the start date.")
    # Proposed only while the item has none: once approved, the schedule and budget are
    # changed by the commission's administrators, not by a report.
    if (start or due) and not can_propose_schedule(item):
        key = "proposed_due_date" if due else "proposed_start_date"
        errors.setdefault(
            key,
            _(
                "This item already has a schedule (%(period)s); ask the commission to change it.",
                period=_schedule_text(item),
            ),
        )
    raw_amount = values.get("proposed_budget_amount")
    if not _blank(raw_amount):
        amount = parse_decimal(raw_amount)
        if amount is None or amount < 0 or amount != amount.to_integral_value():
            errors["proposed_budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
        else:
            out["proposed_budget_amount"] = amount
    raw_source = _text(values.get("proposed_budget_source"))
    if raw_source:
        try:
            out["proposed_budget_source"] = BudgetSource(raw_source)
        except ValueError:
            errors["proposed_budget_source"] = _("Choose the source of the budget.")
    if (
        out["proposed_budget_amount"] is not None
        and out["proposed_budget_source"] is None
        and "proposed_budget_source" not in errors
    ):
        errors["proposed_budget_source"] = _("Choose the source of the budget.")
    note = _text(values.get("proposed_budget_note"))
    _check_length(note, 2000, "proposed_budget_note", errors)
    out["proposed_budget_note"] = note
    if (
        out["proposed_budget_amount"] is not None or out["proposed_budget_source"] is not None
    ) and not can_propose_budget(item):
        errors.setdefault(
            "proposed_budget_amount", _("This item already has a budget; ask the commission to change it.")
        )
    if note and out["proposed_budget_amount"] is None and "proposed_budget_amount" not in errors:
        errors["proposed_budget_amount"] = _("Enter the proposed budget the note explains.")
    return out


def can_propose_schedule(item: ActionItem) -> bool:
    """The lead department proposes a schedule (執行期程) while the item has none."""
    return item.start_date is None and item.due_date is None


def can_propose_budget(item: ActionItem) -> bool:
    """... and a budget (經費) while the item has none."""
    return item.budget_amount is None


def _schedule_text(item: ActionItem) -> str:
    return " – ".join(_fmt(d) if d else "…" for d in (item.start_date, item.due_date))
