"""Hardening: say why an API token stopped working.

Reviewed by hand: one nullable String(40) column on api_token. Tokens are now revoked
all at once when their owner's password changes or is reset, when the owner signs out
everywhere and when the account is deactivated; the reason is shown on the token page
so the owner knows why a script lost access. NULL for tokens that are active or were
revoked before this revision (one by one, by their owner). recreate="never": SQLite
3.35+ adds and drops a plain column in place.

Revision ID: h12a
Revises: unit1
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "h12a"
down_revision = "unit1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token", recreate="never") as batch:
        batch.add_column(sa.Column("revoked_reason", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("api_token", recreate="never") as batch:
        batch.drop_column("revoked_reason")
