"""The search documents: one ``search_document`` row per report, recommendation and
reference practice, with its Chinese and English texts; rebuilt whole (``rebuild``), or for
what a flush changed by a session hook, in the same transaction.
"""

from typing import Any

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import (
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    SearchDocument,
)
from ...models.search_ddl import FTS_TABLE

KINDS = ("recommendation", "practice", "report")


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
