"""users.locale: the language of a user's pages and mails

Nullable: existing users keep following their browser's Accept-Language.

Revision ID: a9f3c2d81e57
Revises: e6b1c7d04a92
Create Date: 2026-11-30 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9f3c2d81e57'
down_revision = 'e6b1c7d04a92'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column('users', 'locale')
