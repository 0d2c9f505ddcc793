"""task outbox and resumable exports

Create Date: 2026-11-30 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import folio_common.models.base


# revision identifiers, used by Alembic.
revision = '3c1e5a7d9b20'
down_revision = '8c3d4e5f6a7b'


def upgrade():
    op.create_table('task_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_name', sa.String(length=120), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('eta', folio_common.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_outbox'))
    )
    with op.batch_alter_table('task_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_task_outbox_unsent', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_outbox_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_post_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('archive_bytes', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('directory_bytes', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('metadata_bytes', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('heartbeat_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_exports_heartbeat_at'), ['heartbeat_at'], unique=False)


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_heartbeat_at'))
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('metadata_bytes')
        batch_op.drop_column('directory_bytes')
        batch_op.drop_column('archive_bytes')
        batch_op.drop_column('last_post_id')

    with op.batch_alter_table('task_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_outbox_sent_at'))
        batch_op.drop_index('ix_task_outbox_unsent')

    op.drop_table('task_outbox')
