"""Portfolio: a report whose follow-up is finished can be archived.

Reviewed by hand: two columns appended to report — archived_at (NULL while the report is
current) and archive_reason (NOT NULL, server default '' so existing rows get a value).
recreate="never": SQLite adds and drops plain columns in place.

Revision ID: f14a
Revises: p10a
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

from tracker.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "f14a"
down_revision = "p10a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report", recreate="never") as batch:
        batch.add_column(sa.Column("archived_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("archive_reason", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("report", recreate="never") as batch:
        batch.drop_column("archive_reason")
        batch.drop_column("archived_at")
