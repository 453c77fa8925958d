"""Status updates of an action item: read the history, submit a new update.

POST goes through services.updates.submit_update, the operation behind the web form,
so the same bad input gets the same messages (422, ``error.errors`` by field). The
version the update is based on comes as ``version`` in the body or as ``If-Match``
with the item's ETag; a stale one gets 409 with ``current_version``.
"""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, fields

from ..extensions import db
from ..inputs import MAX_INT, load_or_404
from ..models import ActionItem, StatusUpdate
from ..services import DomainError, PermissionDenied, updates
from .common import API_SECURITY, ApiBlueprint, ApiErrorSchema, item_etag, parse_if_match, require_reader

blp = ApiBlueprint(
    "api_updates",
    __name__,
    url_prefix="/api/v1",
    description="Status updates (辦理情形) of action items: history and submission",
)


@blp.before_request
def _signed_in() -> None:
    require_reader()


# --- schemas ---------------------------------------------------------------------------------

TEXT_RULES = (
    "; text without NUL characters, lone surrogates (both 400) or text-direction controls "
    "U+202A–U+202E, U+2066–U+2069 (422)"
)


class UpdateInSchema(Schema):
    class Meta:
        unknown = RAISE

    # The fields are read raw and checked by services.updates.submit_update (the form's rules,
    # the form's messages); the metadata documents those rules for clients and fuzzers.
    status = fields.Raw(
        metadata={
            "type": "string",
            "enum": ["not_started", "planning", "in_progress", "ongoing", "completed", "on_hold", "not_feasible"],
        }
    )
    progress = fields.Raw(
        metadata={"type": "integer", "minimum": 0, "maximum": 100, "description": "0–100; completed means 100"}
    )
    effective_date = fields.Raw(
        metadata={
            "type": "string",
            "format": "date",
            "description": "The date the update describes (YYYY-MM-DD): not in the future, not before the report date",
        }
    )
    narrative = fields.Raw(
        metadata={
            "type": "string",
            "minLength": 1,
            "maxLength": updates.MAX_NARRATIVE,
            "description": "What was done (辦理情形); required, not blank" + TEXT_RULES,
        }
    )
    reason = fields.Raw(
        metadata={
            "type": "string",
            "maxLength": updates.MAX_REASON,
            "description": "Required for not_feasible" + TEXT_RULES,
        }
    )
    evidence_url = fields.Raw(
        metadata={
            "type": "string",
            "format": "uri",
            "maxLength": updates.MAX_URL,
            "description": "http(s) link; completed needs evidence",
        }
    )
    measurements = fields.Raw(
        metadata={
            "type": "array",
            "maxItems": updates.MAX_MEASUREMENTS,
            "items": {
                "type": "object",
                "required": ["indicator_id", "value", "measured_on"],
                "properties": {
                    "indicator_id": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_INT,
                        "description": "An indicator linked to the item",
                    },
                    "value": {"type": "number", "description": "Less than 10^15 in absolute value"},
                    "measured_on": {"type": "string", "format": "date", "description": "Not in the future"},
                    "source_note": {
                        "type": "string",
                        "maxLength": updates.MAX_SOURCE_NOTE,
                        "description": "Where the figure comes from",
                    },
                },
            },
        }
    )
    corrects_id = fields.Raw(
        metadata={
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_INT,
            "description": "The update this one corrects or revises (e.g. a returned one)",
        }
    )
    replaces_id = fields.Raw(
        allow_none=True,
        metadata={
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_INT,
            "description": "An item has at most one update waiting for review. To submit while one waits, name it "
            "here: it is replaced (recorded as withdrawn in favour of this one, nothing deleted) "
            "and the reviewer sees only the new one. Without it the answer is 409 `pending_exists` "
            "with `pending_update_id`.",
        },
    )
    proposed_start_date = fields.Raw(
        allow_none=True,
        metadata={"type": "string", "format": "date", "description": "Proposed start of the schedule (執行期程)"},
    )
    proposed_due_date = fields.Raw(
        allow_none=True,
        metadata={
            "type": "string",
            "format": "date",
            "description": "Proposed due date; applied when the update is approved",
        },
    )
    proposed_budget_amount = fields.Raw(
        allow_none=True, metadata={"type": "integer", "minimum": 0, "description": "Proposed budget in NT$"}
    )
    proposed_budget_source = fields.Raw(
        allow_none=True, metadata={"type": "string", "enum": ["city", "central", "other"]}
    )
    proposed_budget_note = fields.Raw(allow_none=True, metadata={"type": "string", "maxLength": 2000})
    version = fields.Raw(
        metadata={
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_INT,
            "description": "The item version this update is based on (or send If-Match)",
        }
    )


class WithdrawInSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.Raw(metadata={"type": "string", "description": "Why it is withdrawn (kept in the history)"})
    version = fields.Raw(metadata={"type": "integer", "description": "The item version (or send If-Match)"})


class ReviewOutSchema(Schema):
    decision = fields.String()
    comment = fields.String()
    effective_date = fields.Date()
    reviewer = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


class WithdrawalOutSchema(Schema):
    kind = fields.String(metadata={"enum": ["withdrawn", "replaced"]})
    reason = fields.String()
    replaced_by_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()


class AttachmentOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    url = fields.String()


class MeasurementOutSchema(Schema):
    id = fields.Integer()
    indicator_id = fields.Integer()
    indicator_code = fields.String()
    value = fields.Float()
    measured_on = fields.Date()
    source_note = fields.String()


class UpdateOutSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    status = fields.String()
    progress = fields.Integer()
    effective_date = fields.Date()
    narrative = fields.String()
    reason = fields.String()
    evidence_url = fields.String()
    state = fields.String(
        metadata={
            "enum": ["submitted", "approved", "returned", "withdrawn", "replaced"],
            "description": "submitted (waiting for review), approved, returned, withdrawn "
            "by the department, or replaced by a newer update",
        }
    )
    based_on_version = fields.Integer()
    corrects_id = fields.Integer(allow_none=True)
    department = fields.String()
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    review = fields.Nested(ReviewOutSchema, allow_none=True)
    withdrawal = fields.Nested(WithdrawalOutSchema, allow_none=True)
    proposed_start_date = fields.Date(allow_none=True)
    proposed_due_date = fields.Date(allow_none=True)
    proposed_budget_amount = fields.Integer(allow_none=True)
    proposed_budget_source = fields.String(allow_none=True)
    proposed_budget_note = fields.String()
    attachments = fields.List(fields.Nested(AttachmentOutSchema))
    measurements = fields.List(fields.Nested(MeasurementOutSchema))


class HistorySchema(Schema):
    item_id = fields.Integer()
    version = fields.Integer()
    updates = fields.List(fields.Nested(UpdateOutSchema), metadata={"description": "Newest first"})


class CreatedSchema(Schema):
    update = fields.Nested(UpdateOutSchema)
    item_version = fields.Integer(metadata={"description": "The item's version after this update"})


def serialize_update(su: StatusUpdate) -> dict[str, Any]:
    review = su.review
    return {
        "id": su.id,
        "item_id": su.action_item_id,
        "status": su.status.value,
        "progress": su.progress,
        "effective_date": su.effective_date,
        "narrative": su.narrative,
        "reason": su.reason,
        "evidence_url": su.evidence_url,
        "state": updates.update_state(su).value,
        "based_on_version": su.based_on_version,
        "corrects_id": su.corrects_id,
        "department": su.department.code if su.department else None,
        "submitted_by": su.submitted_by.display_name if su.submitted_by else None,
        "submitted_at": su.submitted_at,
        "review": None
        if review is None
        else {
            "decision": review.decision.value,
            "comment": review.comment,
            "effective_date": review.effective_date,
            "reviewer": review.reviewer.display_name if review.reviewer else None,
            "recorded_at": review.recorded_at,
        },
        "withdrawal": None
        if su.withdrawal is None
        else {
            "kind": su.withdrawal.kind.value,
            "reason": su.withdrawal.reason,
            "replaced_by_id": su.withdrawal.replaced_by_id,
            "recorded_at": su.withdrawal.recorded_at,
        },
        "proposed_start_date": su.proposed_start_date,
        "proposed_due_date": su.proposed_due_date,
        "proposed_budget_amount": int(su.proposed_budget_amount) if su.proposed_budget_amount is not None else None,
        "proposed_budget_source": su.proposed_budget_source.value if su.proposed_budget_source else None,
        "proposed_budget_note": su.proposed_budget_note or "",
        "attachments": [
            {
                "id": a.id,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": url_for("actions.attachment", attachment_id=a.id),
            }
            for a in su.attachments
        ],
        "measurements": [
            {
                "id": m.id,
                "indicator_id": m.indicator_id,
                "indicator_code": m.indicator.code if m.indicator else "",
                "value": float(m.value),
                "measured_on": m.measured_on,
                "source_note": m.source_note,
            }
            for m in su.measurements
        ],
    }


def _item(item_id: int):
    return load_or_404(ActionItem, item_id, message=_("No such action item."))  # NotFound -> 404 JSON


# --- endpoints -------------------------------------------------------------------------------


@blp.route("/action-items/<int:item_id>/updates")
class ItemUpdates(MethodView):
    @blp.doc(security=API_SECURITY)
    @blp.response(200, HistorySchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, item_id: int):
        """The item's status updates, newest first, with review state, evidence and measurements."""
        item = _item(item_id)
        return {
            "item_id": item.id,
            "version": item.version,
            "updates": [serialize_update(su) for su in updates.item_updates(item.id)],
        }

    @blp.doc(
        security=API_SECURITY,
        parameters=[
            {
                "in": "header",
                "name": "If-Match",
                "required": False,
                "schema": {"type": "string", "pattern": r'^(W/)?"item-[0-9]{1,10}-v[0-9]{1,10}"$'},
                "description": "The item's ETag (instead of `version` in the body); a malformed tag, another item's "
                "tag or a version beyond 2147483647 is a 400",
            }
        ],
    )
    @blp.arguments(UpdateInSchema)
    @blp.response(201, CreatedSchema)
    @blp.alt_response(
        400,
        schema=ApiErrorSchema,
        description="Malformed If-Match, invalid JSON, JSON nested "
        "deeper than 32 levels, NUL or a lone surrogate "
        "in a string",
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, schema=ApiErrorSchema, description="Not an editor of the lead department")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409,
        schema=ApiErrorSchema,
        description=(
            "`version_conflict`: the item changed, `current_version` says to what; `pending_exists`: another update "
            "waits for review (`pending_update_id`), send it as `replaces_id`; `year_filed`: the date lies in a "
            "year whose summary was filed"
        ),
    )
    @blp.alt_response(413, schema=ApiErrorSchema, description="The body is larger than the upload limit")
    @blp.alt_response(415, schema=ApiErrorSchema, description="The body is not JSON (send application/json)")
    @blp.alt_response(422, schema=ApiErrorSchema, description="Invalid fields: `errors` maps each to its message")
    def post(self, data: dict, item_id: int):
        """Submit a status update (pending review). Only editors of the lead department may.

        One live report per item: while an update of the item waits for review, a new one is
        refused with 409 `pending_exists` (`pending_update_id` names the waiting one) unless
        the body says `replaces_id` = that id. The waiting update is then recorded as replaced
        (nothing is deleted) and the reviewer sees only the new one; the replaced one can no
        longer be approved. `corrects_id` names a returned update this one corrects.
        `proposed_start_date`, `proposed_due_date` and `proposed_budget_*` propose the
        schedule (執行期程) and budget (經費) while the item has none; approving the update
        applies them."""
        item = _item(item_id)
        version = data.pop("version", None)
        if version is None:
            version = parse_if_match(request.headers.get("If-Match"), item.id)
        try:
            su = updates.submit_update(
                item,
                current_user._get_current_object(),
                status=data.get("status"),
                progress=data.get("progress"),
                effective_date=data.get("effective_date"),
                narrative=data.get("narrative"),
                reason=data.get("reason") or "",
                evidence_url=data.get("evidence_url") or "",
                measurements=data.get("measurements") or [],
                corrects_id=data.get("corrects_id"),
                replaces_id=data.get("replaces_id"),
                based_on_version=version,
                proposal={
                    k: data.get(k)
                    for k in (
                        "proposed_start_date",
                        "proposed_due_date",
                        "proposed_budget_amount",
                        "proposed_budget_source",
                        "proposed_budget_note",
                    )
                },
            )
        except PermissionDenied:
            db.session.commit()  # keep the "update.denied" audit row
            g.denial_logged = True
            raise
        except DomainError:
            db.session.rollback()
            raise
        # The answer is built from the records just written (flushed, with their ids), before
        # the commit expires them: reading them back would cost a query per relationship.
        body = {"update": serialize_update(su), "item_version": item.version}
        headers = {
            "Location": url_for("api_updates.get_update", item_id=item.id, update_id=su.id),
            "ETag": item_etag(item),
        }
        db.session.commit()
        return body, 201, headers


@blp.post("/action-items/<int:item_id>/updates/<int:update_id>/withdraw")
@blp.doc(
    security=API_SECURITY,
    parameters=[
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "The item's ETag (instead of `version` in the body)",
        }
    ],
)
@blp.arguments(WithdrawInSchema)
@blp.response(200, CreatedSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, schema=ApiErrorSchema, description="Not an editor of the lead department")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, schema=ApiErrorSchema, description="The item changed (`current_version`)")
@blp.alt_response(
    422, schema=ApiErrorSchema, description="`already_approved`, `already_withdrawn` or `already_corrected`"
)
def withdraw(data: dict, item_id: int, update_id: int):
    """Take back an update that waits for review, or a returned one the department will not
    correct (recorded as a withdrawal; the update stays in the history). To submit a new
    update instead of the one waiting, POST it with `replaces_id` rather than withdrawing first."""
    item = _item(item_id)
    su = updates.get_update(item.id, update_id)
    version = data.get("version")
    if version is None:
        version = parse_if_match(request.headers.get("If-Match"), item.id)
    try:
        updates.withdraw_update(
            su, current_user._get_current_object(), reason=data.get("reason") or "", based_on_version=version
        )
    except PermissionDenied:
        db.session.commit()
        g.denial_logged = True
        raise
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    su = updates.get_update(item.id, su.id)
    return {"update": serialize_update(su), "item_version": item.version}, 200, {"ETag": item_etag(item)}


@blp.get("/action-items/<int:item_id>/updates/<int:update_id>")
@blp.doc(security=API_SECURITY)
@blp.response(200, UpdateOutSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
def get_update(item_id: int, update_id: int):
    """One status update of the item."""
    return serialize_update(updates.get_update(item_id, update_id))
