"""One search service over every report's recommendations, practices and reports, in both
languages (docs/search.md).

Each report, recommendation and reference practice has one ``search_document`` row holding
its Chinese and English texts; a session hook rewrites the rows of whatever a flush
changed, in the same transaction. A query is split into words (whitespace); every word
must occur in the text (case-insensitive substring match, which is what a trigram index
answers and what Chinese, written without spaces, needs):

* SQLite: words of 3 or more characters go to the FTS5 trigram index (``MATCH``); shorter
  words (e.g. 水, 再生) fall back to ``LIKE``.
* PostgreSQL: ``ILIKE`` on ``content``, served by a pg_trgm GIN index.

Both give the same hits; ranking (title hits first, then how often the words occur) and
snippets are computed here, the same way for both. Filters: SDG goal or target,
destination, department (lead or supporting of an action item answering the
recommendation), kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, column, delete, event, exists, func, insert, or_, select, text
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    ActionItem,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    SearchDocument,
    action_item_supporting,
)
from ..models.knowledge import action_item_recommendation, practice_sdg, recommendation_sdg
from ..models.search_ddl import FTS_TABLE

KINDS = ("recommendation", "practice", "report")
MAX_QUERY = 200
MAX_WORDS = 8
PAGE_SIZE = 20
SNIPPET = 80


# --- documents ----------------------------------------------------------------------------------


def _join(*parts: Any) -> str:
    return "\n".join(str(p) for p in parts if p)


def _report_docs(conn, ids: set[int]) -> list[dict]:
    t = Report.__table__
    rows = conn.execute(select(t).where(t.c.id.in_(ids))).mappings().all()
    return [
        {
            "kind": "report",
            "ref_id": r["id"],
            "report_id": r["id"],
            "recommendation_id": None,
            "title": _join(r["title_zh"], r["title_en"]),
            "content": _join(
                r["title_zh"],
                r["title_en"],
                r["agency_zh"],
                r["agency_en"],
                r["destination_zh"],
                r["destination_en"],
                r["summary_zh"],
                r["summary_en"],
            ),
        }
        for r in rows
    ]


def _recommendation_docs(conn, ids: set[int]) -> list[dict]:
    t = Recommendation.__table__
    rows = conn.execute(select(t).where(t.c.id.in_(ids))).mappings().all()
    return [
        {
            "kind": "recommendation",
            "ref_id": r["id"],
            "report_id": r["report_id"],
            "recommendation_id": r["id"],
            "title": _join(f"{r['section']} {r['title_zh']}", r["title_en"]),
            "content": _join(r["section"], r["title_zh"], r["title_en"], r["text_zh"], r["text_en"]),
        }
        for r in rows
    ]


def _practice_docs(conn, ids: set[int]) -> list[dict]:
    p, r, f = ReferencePractice.__table__, Recommendation.__table__, PracticeFigure.__table__
    rows = (
        conn.execute(select(p, r.c.report_id).join(r, r.c.id == p.c.recommendation_id).where(p.c.id.in_(ids)))
        .mappings()
        .all()
    )
    figures: dict[int, list[str]] = {}
    for fig in conn.execute(
        select(f.c.practice_id, f.c.label_zh, f.c.label_en, f.c.quote_zh).where(f.c.practice_id.in_(ids))
    ).mappings():
        figures.setdefault(fig["practice_id"], []).append(_join(fig["label_zh"], fig["label_en"], fig["quote_zh"]))
    return [
        {
            "kind": "practice",
            "ref_id": row["id"],
            "report_id": row["report_id"],
            "recommendation_id": row["recommendation_id"],
            "title": _join(f"{row['place_zh']} {row['title_zh']}", row["title_en"]),
            "content": _join(
                row["place_zh"],
                row["place_en"],
                row["title_zh"],
                row["title_en"],
                row["description_zh"],
                row["description_en"],
                *figures.get(row["id"], []),
            ),
        }
        for row in rows
    ]


BUILDERS = {"report": _report_docs, "recommendation": _recommendation_docs, "practice": _practice_docs}


def reindex(conn, kind: str, ids: set[int]) -> None:
    """Rewrite the documents of ``kind`` with these ids (deleting those whose source is gone)."""
    if not ids:
        return
    t = SearchDocument.__table__
    conn.execute(delete(t).where(t.c.kind == kind, t.c.ref_id.in_(ids)))
    docs = BUILDERS[kind](conn, ids)
    if docs:
        conn.execute(insert(t), docs)


def rebuild(session: Session | None = None) -> int:
    """Rebuild every document (``flask search-index``); returns how many there are."""
    session = session or db.session
    conn = session.connection()
    conn.execute(delete(SearchDocument.__table__))
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    for kind, model in (("report", Report), ("recommendation", Recommendation), ("practice", ReferencePractice)):
        ids = set(conn.execute(select(model.__table__.c.id)).scalars())
        for chunk in _chunks(sorted(ids), 500):
            reindex(conn, kind, set(chunk))
    return conn.execute(select(func.count()).select_from(SearchDocument.__table__)).scalar_one()


def _chunks(values: list[int], size: int):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def ensure_index(session: Session | None = None) -> None:
    """A database that had reports before the index existed gets it built on first use."""
    session = session or db.session
    has_docs = session.scalar(select(func.count()).select_from(SearchDocument))
    if not has_docs and session.scalar(select(func.count()).select_from(Report)):
        rebuild(session)
        session.commit()


@event.listens_for(Session, "after_flush")
def _keep_index(session: Session, _ctx: Any) -> None:
    """Rewrite the documents of every report, recommendation or practice this flush touched."""
    touched: dict[str, set[int]] = {k: set() for k in KINDS}
    gone: dict[str, set[int]] = {k: set() for k in KINDS}
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Report):
            touched["report"].add(obj.id)
        elif isinstance(obj, Recommendation):
            touched["recommendation"].add(obj.id)
        elif isinstance(obj, ReferencePractice):
            touched["practice"].add(obj.id)
        elif isinstance(obj, PracticeFigure):
            touched["practice"].add(obj.practice_id)
    for obj in session.deleted:
        for kind, model in (("report", Report), ("recommendation", Recommendation), ("practice", ReferencePractice)):
            if isinstance(obj, model):
                gone[kind].add(obj.id)
        if isinstance(obj, PracticeFigure):
            touched["practice"].add(obj.practice_id)
    if not any(touched.values()) and not any(gone.values()):
        return
    conn = session.connection()
    t = SearchDocument.__table__
    for kind in KINDS:
        ids = {i for i in touched[kind] if i is not None} - gone[kind]
        reindex(conn, kind, ids)
        if gone[kind]:
            conn.execute(delete(t).where(t.c.kind == kind, t.c.ref_id.in_(gone[kind])))


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
    from . import sdg

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
