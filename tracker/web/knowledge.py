"""Knowledge across reports: full-text search (every signed-in user) and, for
administrators, SDG / ISO 37120 tags and action items answering recommendations of other
reports (docs/search.md)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..inputs import get_by_id, load_or_404, parse_int
from ..locale import current_locale
from ..models import ActionItem, Department, Indicator, Recommendation, ReferencePractice, Report
from ..services import DomainError, permissions, sdg
from ..services import search as search_service
from .authz import require
from .saving import save

# Lists of SDG targets may be typed with the full-width comma of a Chinese keyboard.
FULLWIDTH_COMMA = chr(0xFF0C)

bp = Blueprint("knowledge", __name__)


@bp.get("/search")
@require(permissions.can_read)
def search():
    args = request.args
    q = (args.get("q") or "").strip()[: search_service.MAX_QUERY]
    tag = (args.get("tag") or "").strip()
    errors = []
    if tag:
        try:
            tag = sdg.validate_targets([tag])[0]
        except (DomainError, IndexError):
            errors.append(_("Not an SDG goal or target: %(codes)s (write e.g. 6 or 6.3).", codes=tag))
            tag = ""
    department_id = parse_int(args.get("department"), low=1) if args.get("department") else None
    kind = args.get("kind") or ""
    kinds = (kind,) if kind in search_service.KINDS else search_service.KINDS
    page = parse_int(args.get("page"), low=1, high=10_000) or 1
    filters = search_service.Filters(
        tag=tag, destination=(args.get("destination") or "").strip()[:120], department_id=department_id, kinds=kinds
    )
    results = search_service.search(q, filters, page=page)
    destinations = sorted({d for d in db.session.scalars(select(Report.destination_zh)) if d})
    departments = db.session.scalars(select(Department).order_by(Department.code)).all()
    cat = sdg.catalogue()
    return render_template(
        "knowledge/search.html",
        results=results,
        q=q,
        tag=tag,
        kind=kind,
        filters=filters,
        errors=errors,
        destinations=destinations,
        departments=departments,
        goals=list(cat["goals"].values()),
        sdg_label=sdg.target_label,
        can_tag=permissions.can_administer(current_user),
        searched=bool(q or tag or filters.destination or department_id),
    ), (400 if errors else 200)


# --- administration: tags and links -------------------------------------------------------------


def _admin() -> None:
    if not permissions.can_administer(current_user):
        abort(403)


def _tags_page(rec: Recommendation, errors: dict | None = None, status: int = 200):
    practices = list(rec.practices)
    indicators = list(rec.indicators)
    own_items = {i.id for i in rec.action_items}
    candidates = db.session.scalars(
        select(ActionItem)
        .where(ActionItem.recommendation_id != rec.id)
        .options(selectinload(ActionItem.recommendation).selectinload(Recommendation.report))
        .order_by(ActionItem.recommendation_id, ActionItem.position)
    ).all()
    linked = sdg.answering_items(rec.id)
    linked_ids = {i.id for i in linked}
    suggestions = sdg.duplicate_suggestions(
        [
            {
                "title": rec.title_zh,
                "text": f"{rec.text_zh}\n{rec.title_en}\n{rec.text_en}",
                "sdg": sdg.recommendation_targets([rec.id])[rec.id],
            }
        ],
        exclude_report_id=rec.report_id,
    ).get(0, [])
    return render_template(
        "knowledge/tags.html",
        rec=rec,
        practices=practices,
        indicators=indicators,
        rec_targets=sdg.recommendation_targets([rec.id])[rec.id],
        practice_targets=sdg.practice_targets([p.id for p in practices]),
        indicator_codes=sdg.indicator_codes([i.id for i in indicators]),
        iso=sdg.iso37120(),
        linked=linked,
        candidates=[c for c in candidates if c.id not in linked_ids and c.id not in own_items],
        suggestions=suggestions,
        errors=errors or {},
        sdg_label=sdg.target_label,
    ), status


@bp.get("/admin/knowledge/recommendations/<int:rec_id>")
def tags(rec_id: int):
    _admin()
    return _tags_page(load_or_404(Recommendation, rec_id))


def _targets() -> list[str]:
    raw = request.form.get("sdg", "").replace(FULLWIDTH_COMMA, ",").replace(" ", ",")
    return [t for t in raw.split(",") if t]


def _done(rec_id: int, operation, message: str, error_key: str):
    rec = load_or_404(Recommendation, rec_id)
    saved = save(operation, message)
    if saved.error is not None:
        return _tags_page(load_or_404(Recommendation, rec_id), {error_key: saved.error.message}, 422)
    return redirect(url_for("knowledge.tags", rec_id=rec.id))


@bp.post("/admin/knowledge/recommendations/<int:rec_id>/sdg")
def save_rec_sdg(rec_id: int):
    _admin()
    rec = load_or_404(Recommendation, rec_id)
    return _done(
        rec_id,
        lambda: sdg.set_recommendation_targets(rec, _targets(), current_user),
        _("The SDG targets were saved."),
        "rec",
    )


@bp.post("/admin/knowledge/practices/<int:practice_id>/sdg")
def save_practice_sdg(practice_id: int):
    _admin()
    practice = load_or_404(ReferencePractice, practice_id)
    return _done(
        practice.recommendation_id,
        lambda: sdg.set_practice_targets(practice, _targets(), current_user),
        _("The SDG targets were saved."),
        f"practice-{practice.id}",
    )


@bp.post("/admin/knowledge/indicators/<int:indicator_id>/iso37120")
def save_indicator_iso(indicator_id: int):
    _admin()
    indicator = load_or_404(Indicator, indicator_id)
    return _done(
        indicator.recommendation_id,
        lambda: sdg.set_indicator_iso(indicator, request.form.get("iso37120", ""), current_user),
        _("The ISO 37120 indicator was saved."),
        f"indicator-{indicator.id}",
    )


@bp.post("/admin/knowledge/recommendations/<int:rec_id>/items")
def link_item(rec_id: int):
    _admin()
    rec = load_or_404(Recommendation, rec_id)
    item = get_by_id(ActionItem, request.form.get("item_id"))
    if item is None:
        return _tags_page(rec, {"link": _("Choose an action item.")}, 422)
    return _done(
        rec_id,
        lambda: sdg.link_item(item, rec, current_user),
        _("The action item now answers this recommendation too."),
        "link",
    )


@bp.post("/admin/knowledge/recommendations/<int:rec_id>/items/<int:item_id>/remove")
def unlink_item(rec_id: int, item_id: int):
    _admin()
    rec = load_or_404(Recommendation, rec_id)
    item = load_or_404(ActionItem, item_id)
    return _done(
        rec_id,
        lambda: sdg.unlink_item(item, rec, current_user),
        _("The action item no longer answers this recommendation."),
        "link",
    )


# --- panels on the recommendation and action item pages --------------------------------------------


def recommendation_panel(rec: Recommendation) -> dict:
    return {
        "targets": [sdg.target_label(t, current_locale()) for t in sdg.recommendation_targets([rec.id])[rec.id]],
        "answering": sdg.answering_items(rec.id),
        "can_tag": permissions.can_administer(current_user),
    }


def item_panel(item: ActionItem) -> dict:
    return {"also_answers": sdg.extra_recommendations([item.id])[item.id]}


@bp.record_once
def _register_globals(state) -> None:  # noqa: ANN001
    state.app.jinja_env.globals.update(knowledge_recommendation=recommendation_panel, knowledge_item=item_panel)
