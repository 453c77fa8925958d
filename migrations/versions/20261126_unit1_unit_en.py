"""Benchmarks: an English form of each indicator and practice-figure unit.

Reviewed by hand: one NOT NULL String(40) column on indicator and on
practice_figure, server default '' so existing rows get a value (the English
interface falls back to the zh-TW unit while it is empty). recreate="never":
SQLite 3.35+ adds and drops a plain column in place, whereas a batch table
rebuild fails on downgrade once measurements reference indicator rows (the
DROP TABLE of the old copy trips the foreign keys).

Revision ID: unit1
Revises: sec1
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "unit1"
down_revision = "sec1"
branch_labels = None
depends_on = None

TABLES = ("indicator", "practice_figure")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("unit_en", sa.String(length=40), nullable=False, server_default=""))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("unit_en")
