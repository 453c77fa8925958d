"""UN Sustainable Development Goals (17 goals, 169 targets) and ISO 37120 city indicators as
tags on recommendations, practices and indicators; likely duplicates across reports.

The lists ship as data: tracker/data/sdg.json (the UN's goals and targets, English target
texts, goal titles in English and zh-TW) and tracker/data/iso37120.json (a small curated
list of ISO 37120 indicators). docs/search.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from ..errors import DomainError
from ..extensions import db
from ..models import Recommendation, Report
from ..models.knowledge import indicator_iso37120, practice_sdg, recommendation_sdg
from . import audit

DATA = Path(__file__).resolve().parent.parent / "data"
TARGET_RE = re.compile(r"^(?:1[0-7]|[1-9])(?:\.(?:1[0-9]|[1-9]|[a-j]))?$")
# Overlap of character trigrams (the share of the shorter text's trigrams the other has)
# from which two recommendations are "similar": lower when they share an SDG goal or target.
SIMILAR = 0.3
SIMILAR_WITHOUT_TAG = 0.5
MIN_TRIGRAMS = 8


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """{"goals": {id: goal}, "targets": {id: {id, goal, en}}} from sdg.json."""
    raw = json.loads((DATA / "sdg.json").read_text(encoding="utf-8"))
    goals = {g["id"]: g for g in raw["goals"]}
    targets = {t["id"]: {**t, "goal": g["id"]} for g in raw["goals"] for t in g["targets"]}
    return {"goals": goals, "targets": targets, "source": raw.get("source", "")}


@lru_cache(maxsize=1)
def iso37120() -> dict[str, dict]:
    raw = json.loads((DATA / "iso37120.json").read_text(encoding="utf-8"))
    return {i["code"]: i for i in raw["indicators"]}


def goal_title(goal_id: str, locale: str = "zh_TW") -> str:
    goal = catalogue()["goals"].get(goal_id)
    if goal is None:
        return ""
    return goal["en"] if locale.startswith("en") else goal["zh_TW"]


def target_label(code: str, locale: str = "zh_TW") -> str:
    """ "SDG 6.3 淨水及衛生" — the goal's title in the language, the target's id."""
    goal_id = code.split(".", 1)[0]
    return f"SDG {code} {goal_title(goal_id, locale)}".strip()


def validate_targets(values: list[str]) -> list[str]:
    """Known goal or target ids ("6" or "6.3"), sorted and unique. Raises DomainError."""
    cat = catalogue()
    out: set[str] = set()
    unknown = []
    for raw in values:
        code = raw.strip().upper().replace("SDG", "").strip().lower()
        if not code:
            continue
        if not TARGET_RE.match(code) or (code not in cat["targets"] and code not in cat["goals"]):
            unknown.append(raw.strip())
            continue
        out.add(code)
    if unknown:
        raise DomainError(
            _("Not an SDG goal or target: %(codes)s (write e.g. 6 or 6.3).", codes=", ".join(unknown)),
            field="sdg",
            code="unknown_sdg",
        )
    return sorted(out, key=_sort_key)


def _sort_key(code: str) -> tuple:
    parts = code.split(".")
    goal = int(parts[0])
    if len(parts) == 1:
        return (goal, -1, "")
    sub = parts[1]
    return (goal, int(sub) if sub.isdigit() else 100, sub)


def _set(table, key: str, owner_id: int, targets: list[str]) -> tuple[list[str], list[str]]:
    before = sorted(db.session.scalars(select(table.c.target).where(table.c[key] == owner_id)).all(), key=_sort_key)
    db.session.execute(delete(table).where(table.c[key] == owner_id))
    if targets:
        db.session.execute(insert(table), [{key: owner_id, "target": t} for t in targets])
    return before, targets


def set_recommendation_targets(rec: Recommendation, values: list[str], user: Any, audited: bool = True) -> list[str]:
    targets = validate_targets(values)
    before, after = _set(recommendation_sdg, "recommendation_id", rec.id, targets)
    if audited and before != after:
        audit.record_event("recommendation.sdg", user=user, obj=rec, before={"sdg": before}, after={"sdg": after})
    return targets


def set_practice_targets(practice: Any, values: list[str], user: Any) -> list[str]:
    targets = validate_targets(values)
    before, after = _set(practice_sdg, "practice_id", practice.id, targets)
    if before != after:
        audit.record_event("practice.sdg", user=user, obj=practice, before={"sdg": before}, after={"sdg": after})
    return targets


def set_indicator_iso(indicator: Any, code: str, user: Any) -> str:
    code = (code or "").strip()
    if code and code not in iso37120():
        raise DomainError(
            _("Not an ISO 37120 indicator of the list: %(code)s.", code=code), field="iso37120", code="unknown_iso37120"
        )
    before = db.session.scalar(
        select(indicator_iso37120.c.code).where(indicator_iso37120.c.indicator_id == indicator.id)
    )
    db.session.execute(delete(indicator_iso37120).where(indicator_iso37120.c.indicator_id == indicator.id))
    if code:
        db.session.execute(insert(indicator_iso37120).values(indicator_id=indicator.id, code=code))
    if (before or "") != code:
        audit.record_event(
            "indicator.iso37120", user=user, obj=indicator, before={"iso37120": before or ""}, after={"iso37120": code}
        )
    return code


def recommendation_targets(rec_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in rec_ids}
    if not rec_ids:
        return out
    rows = db.session.execute(
        select(recommendation_sdg.c.recommendation_id, recommendation_sdg.c.target).where(
            recommendation_sdg.c.recommendation_id.in_(rec_ids)
        )
    ).all()
    for rid, target in rows:
        out[rid].append(target)
    return {k: sorted(v, key=_sort_key) for k, v in out.items()}


def practice_targets(practice_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in practice_ids}
    if not practice_ids:
        return out
    rows = db.session.execute(
        select(practice_sdg.c.practice_id, practice_sdg.c.target).where(practice_sdg.c.practice_id.in_(practice_ids))
    ).all()
    for pid, target in rows:
        out[pid].append(target)
    return {k: sorted(v, key=_sort_key) for k, v in out.items()}


def indicator_codes(indicator_ids: list[int]) -> dict[int, str]:
    if not indicator_ids:
        return {}
    rows = db.session.execute(
        select(indicator_iso37120.c.indicator_id, indicator_iso37120.c.code).where(
            indicator_iso37120.c.indicator_id.in_(indicator_ids)
        )
    ).all()
    return dict(rows)


# --- likely duplicates ---------------------------------------------------------------------------


def _trigrams(text: str) -> set[str]:
    compact = re.sub(r"[\s\W_]+", "", (text or "").lower())
    return {compact[i : i + 3] for i in range(max(len(compact) - 2, 0))}


def similarity(a: str, b: str) -> float:
    """Overlap of the texts' character trigrams, |A ∩ B| / min(|A|, |B|) (works for Chinese and
    English; a short recommendation repeated inside a longer one scores high)."""
    return _overlap(_trigrams(a), _trigrams(b))


def _overlap(ta: set[str], tb: set[str]) -> float:
    if len(ta) < MIN_TRIGRAMS or len(tb) < MIN_TRIGRAMS:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


@dataclass
class Suggestion:
    recommendation: Recommendation
    report: Report
    score: float
    shared_targets: list[str]


def duplicate_suggestions(
    draft_recs: list[dict], exclude_report_id: int | None = None, limit: int = 3
) -> dict[int, list[Suggestion]]:
    """For each draft recommendation (index), the tracked recommendations of other reports
    it likely repeats: similar text and, when either side is tagged, a shared SDG target."""
    rows = db.session.execute(select(Recommendation, Report).join(Report, Recommendation.report_id == Report.id)).all()
    if exclude_report_id is not None:
        rows = [r for r in rows if r[1].id != exclude_report_id]
    if not rows or not draft_recs:
        return {}
    tags = recommendation_targets([r[0].id for r in rows])
    grams = {
        r[0].id: (_trigrams(f"{r[0].title_zh}{r[0].text_zh}"), _trigrams(f"{r[0].title_en}{r[0].text_en}"))
        for r in rows
    }
    out: dict[int, list[Suggestion]] = {}
    for index, rec in enumerate(draft_recs):
        mine = _trigrams(f"{rec.get('title', '')}{rec.get('text', '')}")
        own_targets = set(rec.get("sdg") or [])
        found = []
        for existing, report in rows:
            score = max(_overlap(mine, theirs) for theirs in grams[existing.id])
            if not score:
                continue
            shared = sorted(own_targets & set(tags[existing.id]), key=_sort_key)
            shared_goal = {t.split(".")[0] for t in own_targets} & {t.split(".")[0] for t in tags[existing.id]}
            if (shared or shared_goal) and score >= SIMILAR or score >= SIMILAR_WITHOUT_TAG:
                found.append(Suggestion(existing, report, round(score, 2), shared))
        found.sort(key=lambda s: (-len(s.shared_targets), -s.score, s.recommendation.id))
        if found:
            out[index] = found[:limit]
    return out


# --- one action item answering recommendations of several reports ---------------------------------


def extra_recommendations(item_ids: list[int]) -> dict[int, list[Recommendation]]:
    """The recommendations (of other reports) each item answers besides its own."""
    from ..models.knowledge import action_item_recommendation as link

    out: dict[int, list[Recommendation]] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    rows = db.session.execute(
        select(link.c.action_item_id, Recommendation)
        .join(Recommendation, Recommendation.id == link.c.recommendation_id)
        .where(link.c.action_item_id.in_(item_ids))
        .order_by(Recommendation.report_id, Recommendation.position)
    ).all()
    for item_id, rec in rows:
        out[item_id].append(rec)
    return out


def answering_items(rec_id: int) -> list:
    """Action items of other recommendations that also answer this one."""
    from ..models import ActionItem
    from ..models.knowledge import action_item_recommendation as link

    return list(
        db.session.scalars(
            select(ActionItem)
            .join(link, link.c.action_item_id == ActionItem.id)
            .where(link.c.recommendation_id == rec_id)
            .order_by(ActionItem.id)
        )
    )


def link_item(item: Any, rec: Recommendation, user: Any) -> None:
    """Record that ``item`` also answers ``rec`` (a recommendation other than its own)."""
    from ..models.knowledge import action_item_recommendation as link

    if rec.id == item.recommendation_id:
        raise DomainError(_("The item already answers its own recommendation."), field="item", code="own")
    exists = db.session.scalar(
        select(link.c.action_item_id).where(link.c.action_item_id == item.id, link.c.recommendation_id == rec.id)
    )
    if exists is not None:
        raise DomainError(_("The item already answers this recommendation."), field="item", code="duplicate")
    db.session.execute(insert(link).values(action_item_id=item.id, recommendation_id=rec.id))
    audit.record_event(
        "action_item.link_recommendation",
        user=user,
        obj=item,
        after={"recommendation_id": rec.id, "section": rec.section},
    )


def unlink_item(item: Any, rec: Recommendation, user: Any) -> None:
    from ..models.knowledge import action_item_recommendation as link

    gone = db.session.execute(
        delete(link).where(link.c.action_item_id == item.id, link.c.recommendation_id == rec.id)
    ).rowcount
    if not gone:
        raise DomainError(_("The item does not answer this recommendation."), field="item", code="not_linked")
    audit.record_event(
        "action_item.unlink_recommendation",
        user=user,
        obj=item,
        before={"recommendation_id": rec.id, "section": rec.section},
    )
