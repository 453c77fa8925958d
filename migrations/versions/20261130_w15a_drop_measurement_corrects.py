"""Measurements: drop measurement.corrects_id, which nothing ever wrote or read.

A measurement is corrected the way the rest of the history is: by a later measurement of the
same indicator and day, which counts once it is official (entered directly, or part of a report
approved) on the knowledge date (services/benchmark.official_measurements). A pointer to the
corrected row added nothing to that rule, and a rule reading it would have to repeat the
approval and knowledge-date checks.

Reviewed by hand. On SQLite the table is rebuilt (a column with a foreign key cannot be dropped
in place); env.py switches foreign key enforcement off for the rebuild, and the append-only
triggers, which the rebuild drops with the old table, are created again. PostgreSQL drops the
column in place (its trigger stays).

Revision ID: w15a
Revises: f14c
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "w15a"
down_revision = "f14c"
branch_labels = None
depends_on = None


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _drop_sqlite_triggers():
    op.execute("DROP TRIGGER IF EXISTS trg_measurement_no_update")
    op.execute("DROP TRIGGER IF EXISTS trg_measurement_no_delete")


def _create_sqlite_triggers():
    op.execute(
        "CREATE TRIGGER trg_measurement_no_update BEFORE UPDATE ON measurement "
        "BEGIN SELECT RAISE(ABORT, 'append-only table measurement: UPDATE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER trg_measurement_no_delete BEFORE DELETE ON measurement "
        "BEGIN SELECT RAISE(ABORT, 'append-only table measurement: DELETE refused'); END"
    )


def upgrade():
    if _sqlite():
        _drop_sqlite_triggers()
    with op.batch_alter_table("measurement", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_corrects_id"))
        batch_op.drop_constraint(batch_op.f("fk_measurement_corrects_id_measurement"), type_="foreignkey")
        batch_op.drop_column("corrects_id")
    if _sqlite():
        _create_sqlite_triggers()


def downgrade():
    if _sqlite():
        _drop_sqlite_triggers()
    with op.batch_alter_table("measurement", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_measurement_corrects_id_measurement"), "measurement", ["corrects_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_measurement_corrects_id"), ["corrects_id"], unique=False)
    if _sqlite():
        _create_sqlite_triggers()
