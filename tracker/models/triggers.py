"""Database triggers that make history tables append-only for raw SQL too.

Attached to ``after_create`` so ``create_all`` (tests) builds them, and called by the
migrations so ``flask db upgrade`` builds the same.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

APPEND_ONLY_TABLES = (
    "status_update",
    "review",
    "tracking_decision",
    "measurement",
    "item_note",
    "attachment",
    "adoption_decision",
    "audit_log",
    "password_history",
    "reminder_log",
    "update_withdrawal",
    "summary_filing",
    "year_reopening",
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tracker_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""


def create_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            PG_FUNCTION,
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION tracker_append_only()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER trg_{table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END",
            f"CREATE TRIGGER trg_{table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END",
        ]
    return []


def attach(metadata) -> None:  # noqa: ANN001
    for name in APPEND_ONLY_TABLES:
        table: Table = metadata.tables[name]
        for dialect in ("postgresql", "sqlite"):
            for stmt in create_statements(name, dialect):
                event.listen(table, "after_create", DDL(stmt.replace("%", "%%")).execute_if(dialect=dialect))
