"""The audit log in words: each recorded action as a sentence in the reader's language, and
its before/after values as "field: old → new" phrases with the fields' names, instead of
raw action codes (``update.approve``) and dictionary dumps. The stored rows are unchanged."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import BudgetSource, ReviewDecision, Status, TrackingChoice
from ..services import labels

ACTIONS: dict[str, Any] = {
    "access.denied": _l("Was refused a page or an API call"),
    "account.password_change": _l("Changed their password"),
    "account.password_change_refused": _l("Tried to change their password (refused)"),
    "account.password_confirm_failed": _l("Mistyped their password when confirming"),
    "account.recovery_codes": _l("Made new recovery codes"),
    "account.sign_out_others": _l("Signed out their other sessions"),
    "account.totp_disable": _l("Turned off two-step verification"),
    "account.totp_enable": _l("Turned on two-step verification"),
    "adoption.record": _l("Recorded an adoption decision"),
    "decision.record": _l("Recorded a tracking decision"),
    "department.activate": _l("Reactivated a department"),
    "department.create": _l("Added a department"),
    "department.update": _l("Changed a department"),
    "item.denied": _l("Was refused editing an action item"),
    "item.departments_confirm": _l("Confirmed an action item's departments"),
    "item.edit": _l("Edited an action item"),
    "item.schedule_approved": _l("Set an action item's schedule and budget from an approved report"),
    "login.failure": _l("Failed to sign in"),
    "login.lock": _l("Account locked after repeated failed sign-ins"),
    "login.refused_locked": _l("Sign-in refused: the account is locked"),
    "login.second_factor": _l("Passed two-step verification"),
    "login.second_factor_failure": _l("Entered a wrong verification code"),
    "login.second_factor_lock": _l("Verification locked after repeated wrong codes"),
    "login.second_factor_locked": _l("Verification refused: locked"),
    "login.success": _l("Signed in"),
    "login.unlock": _l("Account unlocked"),
    "logout": _l("Signed out"),
    "note.add": _l("Added a note"),
    "note.denied": _l("Was refused adding a note"),
    "summary.file": _l("Filed an annual summary"),
    "summary.reopen": _l("Reopened a filed year"),
    "token.create": _l("Created an API token"),
    "token.create_refused": _l("Was refused creating an API token"),
    "token.revoke": _l("Revoked an API token"),
    "token.revoke_all": _l("Revoked all their API tokens"),
    "update.approve": _l("Approved a report"),
    "update.return": _l("Returned a report to its department"),
    "update.denied": _l("Was refused submitting a report"),
    "update.submit": _l("Submitted a report"),
    "update.withdraw": _l("Withdrew a report"),
    "update.withdraw_denied": _l("Was refused withdrawing a report"),
    "user.create": _l("Added a user"),
    "user.deactivate": _l("Deactivated a user"),
    "user.password": _l("Set a user's password"),
    "user.reactivate": _l("Reactivated a user"),
    "user.update": _l("Changed a user"),
}

OBJECTS: dict[str, Any] = {
    "status_update": _l("report #%(id)s"),
    "review": _l("review #%(id)s"),
    "action_item": _l("action item #%(id)s"),
    "item_note": _l("note #%(id)s"),
    "tracking_decision": _l("tracking decision #%(id)s"),
    "adoption_decision": _l("adoption decision #%(id)s"),
    "user_account": _l("user #%(id)s"),
    "department": _l("department #%(id)s"),
    "api_token": _l("API token #%(id)s"),
    "endpoint": _l("page %(id)s"),
}

FIELDS: dict[str, Any] = {
    "item": _l("Action item"),
    "status": _l("Status"),
    "progress": _l("Progress (%)"),
    "effective_date": _l("Data date"),
    "based_on_version": None,
    "version": None,
    "corrects_id": _l("Corrects report"),
    "replaces_id": _l("Replaces report"),
    "attachments": _l("Evidence files"),
    "measurements": _l("Measurements"),
    "evidence_url": _l("Evidence link"),
    "reason": _l("Reason"),
    "comment": _l("Comment"),
    "decision": _l("Decision"),
    "update_id": _l("Report"),
    "action_item_id": _l("Action item"),
    "start_date": _l("Start date"),
    "due_date": _l("Due date"),
    "budget_amount": _l("Budget (NT$)"),
    "budget_source": _l("Budget source"),
    "budget_note": _l("Budget note"),
    "proposed_start_date": _l("Proposed start date"),
    "proposed_due_date": _l("Proposed due date"),
    "proposed_budget_amount": _l("Proposed budget (NT$)"),
    "proposed_budget_source": _l("Proposed budget source"),
    "proposed_budget_note": _l("Proposed budget note"),
    "title_zh": _l("Title (Chinese)"),
    "title_en": _l("Title (English)"),
    "description_zh": _l("Description (Chinese)"),
    "description_en": _l("Description (English)"),
    "lead_department": _l("Lead department"),
    "supporting_departments": _l("Supporting departments"),
    "weight": _l("Weight"),
    "review_year": _l("Year-end review of"),
    "recommendation_id": _l("Recommendation"),
    "decided_on": _l("Decision date"),
    "decided_by": _l("Decided by"),
    "returned": _l("It had been returned"),
    "length": _l("Length (characters)"),
    "email": _l("E-mail address"),
    "role": _l("Role"),
    "name": _l("Name"),
    "department": _l("Department"),
    "locale": _l("Language"),
    "active": _l("Active"),
    "code": _l("Code"),
    "name_zh": _l("Chinese name"),
    "name_en": _l("English name"),
    "lead_department_id": _l("Lead department"),
    "supporting_department_ids": _l("Supporting departments"),
}


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str, object_id: str) -> str:
    if not object_type:
        return "—"
    template = OBJECTS.get(object_type)
    if template is None:
        return f"{object_type} {object_id}".strip()
    return str(template) % {"id": object_id}


def _value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    for enum in (Status, ReviewDecision, TrackingChoice, BudgetSource):
        try:
            member = enum(value)
        except (ValueError, TypeError):
            continue
        if key in ("status", "decision", "budget_source", "proposed_budget_source"):
            return str(labels.label(member))
    if key in ("update_id", "corrects_id", "replaces_id"):
        return f"#{value}"
    if key == "attachments" and isinstance(value, list):
        return _(", ").join(str(a.get("name", "")) if isinstance(a, dict) else str(a) for a in value) or _("none")
    if isinstance(value, list):
        return _(", ").join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_value(k, v)}" for k, v in value.items())
    return str(value)


def _field(key: str) -> str:
    label = FIELDS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def details(summary: dict) -> list[str]:
    """Phrases for the row's details: "field: old → new" for changes, "field: value"
    otherwise, then the note. Internal bookkeeping (item versions) is left out."""
    before = summary.get("before") if isinstance(summary.get("before"), dict) else {}
    after = summary.get("after") if isinstance(summary.get("after"), dict) else {}
    out = []
    for key in list(dict.fromkeys([*before, *after])):
        if key in FIELDS and FIELDS[key] is None:
            continue
        if key in before and key in after:
            out.append(
                _(
                    "%(field)s: %(old)s → %(new)s",
                    field=_field(key),
                    old=_value(key, before[key]),
                    new=_value(key, after[key]),
                )
            )
        elif key in after:
            out.append(f"{_field(key)}: {_value(key, after[key])}")
        else:
            out.append(_("%(field)s was %(old)s", field=_field(key), old=_value(key, before[key])))
    note = summary.get("note")
    if note:
        out.append(str(note))
    return out
