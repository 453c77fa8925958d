"""Security: remember the last accepted TOTP time step so a code works only once.

Reviewed by hand: one nullable integer column on user_account, no data migration
(NULL means "no code used yet"). SQLite 3.35+ drops the column natively.

Revision ID: sec1
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "sec1"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("totp_last_counter", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("user_account", "totp_last_counter")
