"""Action items: list (filtered and sorted), create, update."""

from __future__ import annotations

from flask import g
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import (
    ActionItem,
    Department,
    Recommendation,
    Report,
    action_item_supporting,
)
from ...services import progress, structure
from .. import reports as read_api
from .. import schemas
from ..common import (
    etag_header,
    resolve_as_of,
)
from ..listing import LIST_HEADERS, order_clauses, page_ids
from ..presenters import _item_ref, _state
from .blueprint import (
    CREATED_HEADERS,
    TARGETS,
    _actor,
    _created,
    _etag,
    _exists,
    _patch,
    _today,
    _write,
    blp,
    read_op,
    write_operation,
)
from .bodies import body_schema

ItemCreateSchema = body_schema("ActionItemCreate", structure.ITEM_FIELDS, True)
ItemUpdateSchema = body_schema("ActionItemUpdate", structure.ITEM_FIELDS, False)


@blp.get("/action-items")
@read_op
@blp.arguments(schemas.ItemListArgsSchema, location="query", unknown=RAISE)
@blp.response(200, schemas.ActionItemListSchema, headers=LIST_HEADERS)
@blp.alt_response(404, response="NOT_FOUND")
def list_action_items(args: dict):
    """Action items with their official state on the as-of date, a page at a time.

    Filter with ?report=, ?recommendation=, ?lead_department=, ?supporting_department= (404 if there is no
    such one), ?due_before=; sort with ?sort=.
    """
    as_of = resolve_as_of(args)
    where: list = []
    if args.get("report") is not None:
        report_id = _exists(Report, args["report"], "report")
        where.append(
            ActionItem.recommendation_id.in_(select(Recommendation.id).where(Recommendation.report_id == report_id))
        )
    if args.get("recommendation") is not None:
        where.append(ActionItem.recommendation_id == _exists(Recommendation, args["recommendation"], "recommendation"))
    if args.get("lead_department") is not None:
        where.append(ActionItem.lead_department_id == _exists(Department, args["lead_department"], "department"))
    if args.get("supporting_department") is not None:
        dept_id = _exists(Department, args["supporting_department"], "department")
        where.append(
            ActionItem.id.in_(
                select(action_item_supporting.c.action_item_id).where(action_item_supporting.c.department_id == dept_id)
            )
        )
    if args.get("due_before") is not None:
        where.append(ActionItem.due_date <= args["due_before"])
    columns = {name: getattr(ActionItem, name) for name in schemas.ITEM_SORT}
    page = page_ids(
        select(ActionItem.id).where(*where).order_by(*order_clauses(args["sort"], columns, ActionItem.id)), args
    )
    rows = (
        {
            o.id: o
            for o in db.session.scalars(
                select(ActionItem)
                .where(ActionItem.id.in_(page.ids))
                .options(
                    joinedload(ActionItem.recommendation),
                    joinedload(ActionItem.lead_department),
                    selectinload(ActionItem.supporting_departments),
                )
            )
        }
        if page.ids
        else {}
    )
    items = [rows[i] for i in page.ids if i in rows]
    states = progress.item_states(items, as_of) if items else {}
    entries = [
        {
            **_item_ref(it),
            **_state(states[it.id]),
            "recommendation_id": it.recommendation_id,
            "report_id": it.recommendation.report_id,
        }
        for it in items
    ]
    body = {"as_of": as_of.as_of, "known_at": as_of.known_at, "action_items": entries, "pagination": page.body()}
    return body, 200, page.headers()


@blp.post("/action-items")
@write_operation(created=True)
@blp.arguments(ItemCreateSchema)
@blp.response(201, schemas.ActionItemDetailSchema, headers={**CREATED_HEADERS, **etag_header("item")})
def create_action_item(data: dict):
    """Add an action item to a recommendation (administrators). Its departments stay proposed (擬議) until a
    reviewer or an administrator confirms them."""
    item = _write(lambda: structure.create_item(_actor(), data))
    body, item = read_api.item_detail(item.id, _today())
    return _created("item", item, body, "api_reports.get_action_item", item_id=item.id)


@blp.patch("/action-items/<int:item_id>")
@write_operation(created=False)
@blp.arguments(ItemUpdateSchema)
@blp.response(200, schemas.ActionItemDetailSchema, headers=etag_header("item"))
def update_action_item(data: dict, item_id: int):
    """Change an action item (administrators); only the keys sent change. Needs If-Match with the item's ETag,
    whose version status updates bump too."""
    item = _patch("item", g.api_target, data, structure.update_item)
    body, item = read_api.item_detail(item.id, _today())
    return body, 200, {"ETag": _etag("item", item)}


TARGETS["api_structure.update_action_item"] = ("item_id", ActionItem, "item")
