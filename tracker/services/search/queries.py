"""Answering a query: words matched as substrings (FTS5 trigram or LIKE on SQLite, ILIKE on
PostgreSQL), the filters (SDG, destination, department, kind), ranking and snippets
computed the same way on both databases.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, column, exists, func, or_, select, text

from ...extensions import db
from ...models import (
    ActionItem,
    Recommendation,
    ReferencePractice,
    Report,
    SearchDocument,
    action_item_supporting,
)
from ...models.knowledge import action_item_recommendation, practice_sdg, recommendation_sdg
from ...models.search_ddl import FTS_TABLE
from .documents import KINDS, ensure_index

MAX_QUERY = 200
MAX_WORDS = 8
PAGE_SIZE = 20
SNIPPET = 80


# --- queries ------------------------------------------------------------------------------------


@dataclass
class Filters:
    tag: str = ""  # SDG goal ("6") or target ("6.3")
    destination: str = ""  # matches destination_zh or destination_en (substring)
    department_id: int | None = None
    kinds: tuple[str, ...] = KINDS


@dataclass
class Hit:
    kind: str
    ref_id: int
    report_id: int
    recommendation_id: int | None
    title: str
    snippet: list[tuple[str, bool]]  # (text, is_match) pieces
    score: float
    obj: Any = None
    report: Any = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Results:
    query: str
    words: list[str]
    hits: list[Hit]
    total: int
    page: int
    pages: int
    note: str = ""


def words_of(query: str) -> list[str]:
    """The words of a query: split on whitespace, quotes and FTS syntax removed, at most 8."""
    query = (query or "")[:MAX_QUERY]
    words = [w for w in re.split(r"[\s\u3000]+", re.sub(r'["*^():]', " ", query)) if w]
    seen: list[str] = []
    for w in words:
        if w.lower() not in (s.lower() for s in seen):
            seen.append(w)
    return seen[:MAX_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_condition(words: list[str]):
    t = SearchDocument.__table__
    dialect = db.session.get_bind().dialect.name
    conditions = []
    if dialect == "sqlite":
        long_words = [w for w in words if len(w) >= 3]
        if long_words:
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            fts = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match").bindparams(match=match)
            conditions.append(t.c.id.in_(fts.columns(column("rowid"))))
        for w in words:
            if len(w) < 3:
                conditions.append(func.lower(t.c.content).like(_like(w.lower()), escape="\\"))
    else:
        for w in words:
            conditions.append(t.c.content.ilike(_like(w), escape="\\"))
    return and_(*conditions)


def _filter_conditions(filters: Filters):
    t = SearchDocument.__table__
    conds = [t.c.kind.in_(filters.kinds or KINDS)]
    if filters.destination:
        pattern = _like(filters.destination.strip().lower())
        conds.append(
            t.c.report_id.in_(
                select(Report.id).where(
                    or_(
                        func.lower(Report.destination_zh).like(pattern, escape="\\"),
                        func.lower(Report.destination_en).like(pattern, escape="\\"),
                    )
                )
            )
        )
    if filters.department_id is not None:
        dept = filters.department_id
        # Recommendations answered by an item the department leads or supports, directly or
        # through the item ↔ extra recommendation table; practices of those; reports holding them.
        item_ids = select(ActionItem.id).where(
            or_(
                ActionItem.lead_department_id == dept,
                exists().where(
                    and_(
                        action_item_supporting.c.action_item_id == ActionItem.id,
                        action_item_supporting.c.department_id == dept,
                    )
                ),
            )
        )
        rec_ids = (
            select(ActionItem.recommendation_id)
            .where(ActionItem.id.in_(item_ids))
            .union(
                select(action_item_recommendation.c.recommendation_id).where(
                    action_item_recommendation.c.action_item_id.in_(item_ids)
                )
            )
        )
        rec_ids_sq = rec_ids.subquery()
        report_ids = select(Recommendation.report_id).where(Recommendation.id.in_(select(rec_ids_sq.c[0])))
        conds.append(
            or_(
                and_(t.c.kind.in_(("recommendation", "practice")), t.c.recommendation_id.in_(select(rec_ids_sq.c[0]))),
                and_(t.c.kind == "report", t.c.report_id.in_(report_ids)),
            )
        )
    if filters.tag:
        tag = filters.tag
        rec_match = (
            recommendation_sdg.c.target == tag
            if "." in tag
            else or_(recommendation_sdg.c.target == tag, recommendation_sdg.c.target.like(f"{tag}.%"))
        )
        prac_match = (
            practice_sdg.c.target == tag
            if "." in tag
            else or_(practice_sdg.c.target == tag, practice_sdg.c.target.like(f"{tag}.%"))
        )
        tagged_recs = select(recommendation_sdg.c.recommendation_id).where(rec_match)
        tagged_practices = select(practice_sdg.c.practice_id).where(prac_match)
        conds.append(
            or_(
                and_(t.c.kind == "recommendation", t.c.ref_id.in_(tagged_recs)),
                and_(
                    t.c.kind == "practice",
                    or_(t.c.ref_id.in_(tagged_practices), t.c.recommendation_id.in_(tagged_recs)),
                ),
                and_(
                    t.c.kind == "report",
                    t.c.report_id.in_(select(Recommendation.report_id).where(Recommendation.id.in_(tagged_recs))),
                ),
            )
        )
    return and_(*conds)


KIND_ORDER = {"recommendation": 0, "practice": 1, "report": 2}


def _score(words: list[str], title: str, content: str) -> float:
    low_title, low_content = title.lower(), content.lower()
    score = 0.0
    for w in words:
        lw = w.lower()
        score += 5 * low_title.count(lw) + min(low_content.count(lw), 20)
    return score


def snippet(content: str, words: list[str], width: int = SNIPPET) -> list[tuple[str, bool]]:
    """A stretch of ``content`` around the first match, cut into (text, is_match) pieces."""
    flat = re.sub(r"\s+", " ", content)
    if not words:
        return [(flat[: width * 2], False)]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(flat)
    start = max((first.start() if first else 0) - width // 2, 0)
    piece = flat[start : start + width * 2]
    out: list[tuple[str, bool]] = []
    if start > 0:
        out.append(("…", False))
    pos = 0
    for m in pattern.finditer(piece):
        if m.start() > pos:
            out.append((piece[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    out.append((piece[pos:], False))
    if start + width * 2 < len(flat):
        out.append(("…", False))
    return [p for p in out if p[0]]


def search(query: str, filters: Filters | None = None, page: int = 1, page_size: int = PAGE_SIZE) -> Results:
    """Hits for ``query`` under ``filters``, best first, one page of them."""
    filters = filters or Filters()
    words = words_of(query)
    ensure_index()
    t = SearchDocument.__table__
    conds = [_filter_conditions(filters)]
    if words:
        conds.append(_text_condition(words))
    elif not (filters.tag or filters.destination or filters.department_id is not None):
        return Results(query, words, [], 0, 1, 1)
    rows = db.session.execute(
        select(t.c.id, t.c.kind, t.c.ref_id, t.c.report_id, t.c.recommendation_id, t.c.title, t.c.content).where(
            and_(*conds)
        )
    ).all()
    scored = sorted(rows, key=lambda r: (-_score(words, r.title, r.content), KIND_ORDER[r.kind], r.report_id, r.ref_id))
    total = len(scored)
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    chosen = scored[(page - 1) * page_size : page * page_size]
    hits = [
        Hit(
            r.kind,
            r.ref_id,
            r.report_id,
            r.recommendation_id,
            r.title.split("\n", 1)[0],
            snippet(r.content, words),
            _score(words, r.title, r.content),
        )
        for r in chosen
    ]
    _attach_objects(hits)
    return Results(query, words, hits, total, page, pages)


def _attach_objects(hits: list[Hit]) -> None:
    from .. import sdg

    by_kind: dict[str, set[int]] = {k: set() for k in KINDS}
    for h in hits:
        by_kind[h.kind].add(h.ref_id)
    reports = {r.id: r for r in db.session.scalars(select(Report).where(Report.id.in_({h.report_id for h in hits})))}
    recs = {
        r.id: r
        for r in db.session.scalars(select(Recommendation).where(Recommendation.id.in_(by_kind["recommendation"])))
    }
    practices = {
        p.id: p
        for p in db.session.scalars(select(ReferencePractice).where(ReferencePractice.id.in_(by_kind["practice"])))
    }
    rec_tags = sdg.recommendation_targets(list(recs))
    prac_tags = sdg.practice_targets(list(practices))
    for h in hits:
        h.report = reports.get(h.report_id)
        if h.kind == "recommendation":
            h.obj, h.tags = recs.get(h.ref_id), rec_tags.get(h.ref_id, [])
        elif h.kind == "practice":
            h.obj, h.tags = practices.get(h.ref_id), prac_tags.get(h.ref_id, [])
        else:
            h.obj = h.report
