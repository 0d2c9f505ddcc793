"""images, post covers and user avatars

Create Date: 2026-11-30 15:10:00

Expand only: a new table and two nullable columns the running release does not know about.
"""
from alembic import op
import sqlalchemy as sa

import folio_common.models.base


# revision identifiers, used by Alembic.
revision = 'd4a8e2f61c35'
down_revision = 'b7c41e9a2d10'


def upgrade():
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'ready', 'failed', name='imagestatus', native_enum=False, length=16), nullable=False),
    sa.Column('variant_widths', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', folio_common.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_images_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images'))
    )
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_posts_cover_image_id_images'), 'images', ['cover_image_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_avatar_image_id_images'), 'images', ['avatar_image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_avatar_image_id_images'), type_='foreignkey')
        batch_op.drop_column('avatar_image_id')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_cover_image_id_images'), type_='foreignkey')
        batch_op.drop_column('cover_image_id')

    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_owner_id'))
        batch_op.drop_index(batch_op.f('ix_images_key'))

    op.drop_table('images')
