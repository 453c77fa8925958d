"""API writes: a version on reports, recommendations, reference practices, practice figures
and indicators, for optimistic locking (ETag / If-Match) like action items have.

Reviewed by hand: one NOT NULL integer column per table, server default 1 so existing rows
start at version 1, appended last (as the models declare it). recreate="never": SQLite
3.35+ adds and drops a plain column in place (see unit1 for why a rebuild is avoided).

Revision ID: f14c
Revises: f14b
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "f14c"
down_revision = "f14b"
branch_labels = None
depends_on = None

TABLES = ("report", "recommendation", "reference_practice", "practice_figure", "indicator")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("version")
