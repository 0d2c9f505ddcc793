"""login sessions: one row per browser log-in, so logging out ends that browser only

Create Date: 2026-11-30 12:00:00

"""
import sqlalchemy as sa

from folio_common.migrations.tables import create_user_secret_table, drop_user_secret_table


# revision identifiers, used by Alembic.
revision = '5e1f0c2a9b7d'
down_revision = 'f25dfdb8476b'


def upgrade():
    create_user_secret_table('login_sessions', [
        sa.Column('key_hash', sa.String(length=64), nullable=False),
    ], unique='key_hash', ended='ended_at')


def downgrade():
    drop_user_secret_table('login_sessions')
