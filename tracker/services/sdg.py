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
# Two texts whose character-trigram overlap (Jaccard) reaches this are "similar".
SIMILAR = 0.12
SIMILAR_WITHOUT_TAG = 0.25


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
    """"SDG 6.3 淨水及衛生" — the goal's title in the language, the target's id."""
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
        raise DomainError(_("Not an SDG goal or target: %(codes)s (write e.g. 6 or 6.3).", codes=", ".join(unknown)),
                          field="sdg", code="unknown_sdg")
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
        raise DomainError(_("Not an ISO 37120 indicator of the list: %(code)s.", code=code), field="iso37120",
                          code="unknown_iso37120")
    before = db.session.scalar(select(indicator_iso37120.c.code).where(indicator_iso37120.c.indicator_id == indicator.id))
    db.session.execute(delete(indicator_iso37120).where(indicator_iso37120.c.indicator_id == indicator.id))
    if code:
        db.session.execute(insert(indicator_iso37120).values(indicator_id=indicator.id, code=code))
    if (before or "") != code:
        audit.record_event("indicator.iso37120", user=user, obj=indicator, before={"iso37120": before or ""},
                           after={"iso37120": code})
    return code


def recommendation_targets(rec_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in rec_ids}
    if not rec_ids:
        return out
    rows = db.session.execute(select(recommendation_sdg.c.recommendation_id, recommendation_sdg.c.target)
                              .where(recommendation_sdg.c.recommendation_id.in_(rec_ids))).all()
    for rid, target in rows:
        out[rid].append(target)
    return {k: sorted(v, key=_sort_key) for k, v in out.items()}


def practice_targets(practice_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in practice_ids}
    if not practice_ids:
        return out
    rows = db.session.execute(select(practice_sdg.c.practice_id, practice_sdg.c.target)
                              .where(practice_sdg.c.practice_id.in_(practice_ids))).all()
    for pid, target in rows:
        out[pid].append(target)
    return {k: sorted(v, key=_sort_key) for k, v in out.items()}


def indicator_codes(indicator_ids: list[int]) -> dict[int, str]:
    if not indicator_ids:
        return {}
    rows = db.session.execute(select(indicator_iso37120.c.indicator_id, indicator_iso37120.c.code)
                              .where(indicator_iso37120.c.indicator_id.in_(indicator_ids))).all()
    return dict(rows)


# --- likely duplicates ---------------------------------------------------------------------------

def _trigrams(text: str) -> set[str]:
    compact = re.sub(r"[\s\W_]+", "", (text or "").lower())
    return {compact[i:i + 3] for i in range(max(len(compact) - 2, 0))}


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the texts' character trigrams (works for Chinese and English)."""
    ta, tb = _trigrams(a), _trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@dataclass
class Suggestion:
    recommendation: Recommendation
    report: Report
    score: float
    shared_targets: list[str]


def duplicate_suggestions(draft_recs: list[dict], exclude_report_id: int | None = None,
                          limit: int = 3) -> dict[int, list[Suggestion]]:
    """For each draft recommendation (index), the tracked recommendations of other reports
    it likely repeats: similar text and, when either side is tagged, a shared SDG target."""
    rows = db.session.execute(select(Recommendation, Report).join(Report, Recommendation.report_id == Report.id)).all()
    if exclude_report_id is not None:
        rows = [r for r in rows if r[1].id != exclude_report_id]
    if not rows or not draft_recs:
        return {}
    tags = recommendation_targets([r[0].id for r in rows])
    grams = {r[0].id: _trigrams(f"{r[0].title_zh}{r[0].text_zh}{r[0].title_en}{r[0].text_en}") for r in rows}
    out: dict[int, list[Suggestion]] = {}
    for index, rec in enumerate(draft_recs):
        mine = _trigrams(f"{rec.get('title', '')}{rec.get('text', '')}")
        own_targets = set(rec.get("sdg") or [])
        found = []
        for existing, report in rows:
            theirs = grams[existing.id]
            if not mine or not theirs:
                continue
            score = len(mine & theirs) / len(mine | theirs)
            shared = sorted(own_targets & set(tags[existing.id]), key=_sort_key)
            shared_goal = {t.split(".")[0] for t in own_targets} & {t.split(".")[0] for t in tags[existing.id]}
            if (shared or shared_goal) and score >= SIMILAR or score >= SIMILAR_WITHOUT_TAG:
                found.append(Suggestion(existing, report, round(score, 2), shared))
        found.sort(key=lambda s: (-len(s.shared_targets), -s.score, s.recommendation.id))
        if found:
            out[index] = found[:limit]
    return out
