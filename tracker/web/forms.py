"""WTForms for sign-in, tokens, status updates, notes and administration.

These forms collect input and carry CSRF; the rules live in the operations
(services/*), which report problems by field. ``apply_errors`` puts those messages
next to the fields, so a form and the API refuse the same input with the same words.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.widgets import NumberInput

from ..numbers import file_size
from ..services import labels
from .datefield import DateTextField

# One wording of each enum everywhere (tracker/services/labels.py).
STATUS_LABELS = labels.STATUS
ROLE_LABELS = labels.ROLE
BUDGET_SOURCE_LABELS = labels.BUDGET_SOURCE


def choices(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def apply_errors(form: Form, errors: dict[str, str], aliases: dict[str, str] | None = None) -> list[str]:
    """Attach an operation's {field: message} errors to the form's fields.

    ``aliases`` maps operation keys to form field names ("evidence" -> "files").
    Keys like "measurements.0.value" reach sub-forms. Returns messages that fit no field.
    """
    aliases = aliases or {}
    leftover = []
    for key, message in errors.items():
        name = aliases.get(key, key)
        field = _find_field(form, name)
        if field is None:
            leftover.append(message)
            continue
        field.errors = list(field.errors or []) + [message]
    return leftover


def _find_field(form: Any, dotted: str) -> Any:
    node: Any = form
    for part in dotted.split("."):
        if hasattr(node, "entries"):  # FieldList
            try:
                node = node.entries[int(part)]
            except (ValueError, IndexError):
                return None
        else:
            form_obj = getattr(node, "form", node)  # FormField wraps a form
            try:
                node = form_obj[part]
            except (KeyError, TypeError):
                return None
    return node


def _setting(name: str) -> int:
    return int(current_app.config[name])


def password_hint(tail: Any) -> LazyString:
    """ "At least N characters." with N = PASSWORD_MIN_LENGTH, read when the form is shown."""
    return LazyString(lambda: _("At least %(n)s characters.", n=_setting("PASSWORD_MIN_LENGTH")) + " " + str(tail))


def upload_hint() -> LazyString:
    """The accepted evidence files and MAX_UPLOAD_BYTES, read when the form is shown."""
    return LazyString(
        lambda: _(
            "PDF, images, ODF, Word, Excel, PowerPoint (also 97–2003), CSV or text; at most %(size)s each.",
            size=file_size(_setting("MAX_UPLOAD_BYTES")),
        )
    )


class Required:
    """Marks a field as required on the page (label mark, ``required`` attribute).

    It checks nothing: the operation decides, so the form and the API agree.
    """

    field_flags = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


# --- sign-in and tokens ---------------------------------------------------------------------


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"), [Required()], render_kw={"autocomplete": "username", "spellcheck": "false"}
    )
    password = PasswordField(_l("Password"), [Required()], render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        [Required()],
        description=_l("What will use it, e.g. “monthly import script”."),
        render_kw={"maxlength": 120},
    )
    # A token outlives the session that makes it: confirm who is asking.
    password = PasswordField(
        _l("Your password"),
        [Required()],
        render_kw={"autocomplete": "current-password"},
        description=_l("A token acts as you: confirm it is you."),
    )
    code = StringField(
        _l("Code from your authenticator app"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 20},
        description=_l("Or one of your recovery codes."),
    )


class ConfirmForm(FlaskForm):
    """An empty form: a button that carries only the CSRF token."""


# --- status updates and notes -------------------------------------------------------------------


class MeasurementForm(Form):
    indicator_id = HiddenField()
    value = StringField(_l("Value"), render_kw={"inputmode": "decimal"})
    measured_on = DateTextField(_l("Measured on"))
    source_note = StringField(_l("Source"), description=_l("Where the figure comes from, e.g. a statistics table."))


PROPOSAL_FIELDS = (
    "proposed_start_date",
    "proposed_due_date",
    "proposed_budget_amount",
    "proposed_budget_source",
    "proposed_budget_note",
)


class UpdateForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        [Required()],
        choices=choices([("", _l("Choose a status"))] + [(s.value, label) for s, label in STATUS_LABELS.items()]),
        validate_choice=False,
    )
    progress = StringField(
        _l("Progress (%)"),
        [Required()],
        widget=NumberInput(min=0, max=100, step=1),
        description=_l("A whole number from 0 to 100. Completed means 100."),
    )
    effective_date = DateTextField(
        _l("Effective date"), [Required()], description=_l("The date this update describes; not in the future.")
    )
    narrative = TextAreaField(_l("Progress report (辦理情形)"), [Required()], render_kw={"rows": 8})
    reason = TextAreaField(
        _l("Reason"),
        render_kw={"rows": 3},
        description=_l("Required when the item is not feasible; optional otherwise."),
    )
    files = MultipleFileField(_l("Evidence files"), description=upload_hint())
    evidence_url = URLField(_l("Evidence link"), description=_l("A web address starting with http:// or https://."))
    measurements = FieldList(FormField(MeasurementForm), min_entries=0)
    version = HiddenField()
    corrects_id = HiddenField()
    # The report waiting for review that this one replaces (the form says so above the fields).
    replaces_id = HiddenField()
    # The schedule (執行期程) and budget (經費) the lead department proposes while the item has
    # none; the reviewer approves them with the report (shown only then: actions.new_update).
    proposed_start_date = DateTextField(_l("Proposed start date"))
    proposed_due_date = DateTextField(
        _l("Proposed due date"),
        description=_l(
            "When the item will be done. Once approved, the item is flagged as due soon and overdue against it."
        ),
    )
    proposed_budget_amount = StringField(
        _l("Proposed budget (NT$)"),
        render_kw={"inputmode": "numeric"},
        description=_l("Whole NT$; leave empty when no budget is needed."),
    )
    proposed_budget_source = SelectField(
        _l("Proposed budget source"),
        validate_choice=False,
        choices=choices(
            [("", _l("Choose the source"))] + [(s.value, label) for s, label in BUDGET_SOURCE_LABELS.items()]
        ),
    )
    proposed_budget_note = TextAreaField(_l("Proposed budget note"), render_kw={"rows": 2, "maxlength": 2000})

    def operation_values(self) -> dict[str, Any]:
        """The raw values the operation validates (blank measurement rows dropped)."""
        rows = []
        for entry in self.measurements.entries:
            sub = entry.form
            if any((sub[k].data or "").strip() for k in ("value", "measured_on", "source_note")):
                rows.append({k: sub[k].data for k in ("indicator_id", "value", "measured_on", "source_note")})
        return {
            "status": self.status.data,
            "progress": self.progress.data,
            "effective_date": self.effective_date.data,
            "narrative": self.narrative.data,
            "reason": self.reason.data,
            "evidence_url": self.evidence_url.data,
            "measurements": rows,
            "based_on_version": self.version.data,
            "corrects_id": self.corrects_id.data or None,
            "replaces_id": self.replaces_id.data or None,
            "proposal": {k: self[k].data for k in PROPOSAL_FIELDS},
        }

    def measurement_index(self) -> dict[int, int]:
        """Operation row number -> form row number (blank rows are not sent to the operation)."""
        mapping, n = {}, 0
        for i, entry in enumerate(self.measurements.entries):
            sub = entry.form
            if any((sub[k].data or "").strip() for k in ("value", "measured_on", "source_note")):
                mapping[n] = i
                n += 1
        return mapping


class WithdrawForm(FlaskForm):
    """Take back a report (waiting for review, or returned and not to be corrected)."""

    reason = TextAreaField(_l("Why (optional, kept in the history)"), render_kw={"rows": 2, "maxlength": 5000})
    version = HiddenField()


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), [Required()], render_kw={"rows": 6})
    effective_date = DateTextField(
        _l("Effective date"), [Required()], description=_l("The date this note describes; not in the future.")
    )
    corrects_id = HiddenField()


# --- administration -----------------------------------------------------------------------


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), [Required()], render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField(_l("Name"), render_kw={"maxlength": 120})
    role = SelectField(
        _l("Role"),
        [Required()],
        choices=choices((r.value, label) for r, label in ROLE_LABELS.items()),
        validate_choice=False,
    )
    department = SelectField(
        _l("Department"), validate_choice=False, description=_l("Required for department editors.")
    )
    locale = SelectField(
        _l("Language"),
        choices=choices([("", _l("Default (Chinese)")), ("zh_TW", "中文"), ("en", "English")]),
        validate_choice=False,
    )
    password = PasswordField(
        _l("Password"),
        render_kw={"autocomplete": "new-password"},
        description=password_hint(_l("Leave empty to keep the current password.")),
    )


class DepartmentForm(FlaskForm):
    code = StringField(
        _l("Code"),
        [Required()],
        description=_l("A short code shown in the API, e.g. WRB."),
        render_kw={"maxlength": 40},
    )
    name_zh = StringField(_l("Chinese name"), [Required()], render_kw={"maxlength": 120, "lang": "zh-TW"})
    name_en = StringField(_l("English name"), [Required()], render_kw={"maxlength": 200, "lang": "en"})


class ItemForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), [Required()], render_kw={"maxlength": 300, "lang": "zh-TW"})
    title_en = StringField(_l("Title (English)"), [Required()], render_kw={"maxlength": 300, "lang": "en"})
    description_zh = TextAreaField(_l("Description (Chinese)"), render_kw={"rows": 4, "lang": "zh-TW"})
    description_en = TextAreaField(_l("Description (English)"), render_kw={"rows": 4, "lang": "en"})
    lead_department_id = SelectField(_l("Lead department"), [Required()], validate_choice=False)
    supporting_department_ids = SelectMultipleField(
        _l("Supporting departments"), validate_choice=False, render_kw={"size": 8}
    )
    weight = StringField(
        _l("Weight"),
        [Required()],
        render_kw={"inputmode": "decimal"},
        description=_l("Weight in the recommendation's progress; 1 is the default."),
    )
    start_date = DateTextField(_l("Start date"))
    due_date = DateTextField(_l("Due date"))
    budget_amount = StringField(_l("Budget (NT$)"), render_kw={"inputmode": "numeric"})
    budget_source = SelectField(
        _l("Budget source"),
        validate_choice=False,
        choices=choices([("", _l("No budget"))] + [(s.value, label) for s, label in BUDGET_SOURCE_LABELS.items()]),
    )
    budget_note = TextAreaField(_l("Budget note"), render_kw={"rows": 2})
    version = HiddenField()


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    user = StringField(_l("User (e-mail)"))
    action = SelectField(_l("Action"), validate_choice=False)
    object_type = StringField(_l("Object type"))
    object_id = StringField(_l("Object id"))
    date_from = DateTextField(_l("From"))
    date_to = DateTextField(_l("To"))
