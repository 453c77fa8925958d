"""The full-text index next to ``search_document``, per database.

* SQLite: an FTS5 table with the trigram tokenizer (external content: it indexes
  ``search_document.content``), kept in step by three triggers.
* PostgreSQL: the pg_trgm extension and a GIN trigram index on ``content``, which serves
  ``ILIKE '%…%'``; without the extension (no privilege) searches still work, unindexed.

Attached to ``after_create`` so ``create_all`` (tests) builds it, and called by migration
f14b so ``flask db upgrade`` builds the same. Alembic's comparison ignores these objects
(``include_name``): they are not SQLAlchemy metadata.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

FTS_TABLE = "search_document_fts"
PG_INDEX = "ix_search_document_content_trgm"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(content, content='search_document', content_rowid='id', "
    "tokenize='trigram')",
    f"CREATE TRIGGER search_document_fts_ai AFTER INSERT ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, content) VALUES (new.id, new.content); END",
    f"CREATE TRIGGER search_document_fts_ad AFTER DELETE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); END",
    f"CREATE TRIGGER search_document_fts_au AFTER UPDATE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, content) VALUES ('delete', old.id, old.content); "
    f"INSERT INTO {FTS_TABLE}(rowid, content) VALUES (new.id, new.content); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_document_fts_ai",
    "DROP TRIGGER IF EXISTS search_document_fts_ad",
    "DROP TRIGGER IF EXISTS search_document_fts_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
PG_CREATE = [
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN NULL; END $$",
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN "
    f"EXECUTE 'CREATE INDEX IF NOT EXISTS {PG_INDEX} ON search_document USING gin (content gin_trgm_ops)'; "
    "END IF; END $$",
]
PG_DROP = [f"DROP INDEX IF EXISTS {PG_INDEX}"]


def create_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE}.get(dialect, [])


def drop_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(dialect, [])


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name``: leave the index objects above out of comparisons."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and name == PG_INDEX:
        return False
    return True


def attach(metadata) -> None:  # noqa: ANN001
    table: Table = metadata.tables["search_document"]
    for dialect in ("sqlite", "postgresql"):
        for stmt in create_statements(dialect):
            event.listen(table, "after_create", DDL(stmt).execute_if(dialect=dialect))
        for stmt in drop_statements(dialect):
            event.listen(table, "before_drop", DDL(stmt).execute_if(dialect=dialect))
