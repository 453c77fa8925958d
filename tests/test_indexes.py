"""Every foreign key can be followed both ways through an index (issue: 13 foreign keys had
none, among them review.reviewer_id and status_update.submitted_by_id): the first column of
each foreign key leads an index, a unique constraint or the primary key of its table."""

from __future__ import annotations

from sqlalchemy import inspect

from tracker.extensions import db


def _leading_columns(table) -> set[str]:
    leads = set()
    pk = [c.name for c in table.primary_key.columns]
    if pk:
        leads.add(pk[0])
    for index in table.indexes:
        cols = [c.name for c in index.columns]
        if cols:
            leads.add(cols[0])
    for constraint in table.constraints:
        cols = [c.name for c in getattr(constraint, "columns", [])]
        if cols and constraint.__class__.__name__ == "UniqueConstraint":
            leads.add(cols[0])
    return leads


def test_every_foreign_key_column_leads_an_index_in_the_models(app):
    missing = []
    for table in db.metadata.sorted_tables:
        leads = _leading_columns(table)
        for fk in table.foreign_key_constraints:
            first = fk.columns[0].name if hasattr(fk.columns, "__getitem__") else list(fk.columns)[0].name
            if first not in leads:
                missing.append(f"{table.name}.{first}")
    assert not missing, f"foreign keys without an index: {missing}"


def test_every_foreign_key_column_leads_an_index_in_the_database(app):
    """The same on the migrated schema (what production runs)."""
    with app.app_context():
        insp = inspect(db.engine)
        missing = []
        for table in insp.get_table_names():
            if table == "alembic_version":
                continue
            leads = set()
            pk = insp.get_pk_constraint(table).get("constrained_columns") or []
            if pk:
                leads.add(pk[0])
            for index in insp.get_indexes(table):
                if index.get("column_names") and index["column_names"][0]:
                    leads.add(index["column_names"][0])
            for unique in insp.get_unique_constraints(table):
                if unique.get("column_names"):
                    leads.add(unique["column_names"][0])
            for fk in insp.get_foreign_keys(table):
                first = fk["constrained_columns"][0]
                if first not in leads:
                    missing.append(f"{table}.{first}")
    assert not missing, f"foreign keys without an index: {missing}"
