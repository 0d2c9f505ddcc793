"""rendered comments and word counts: comments.body_html, posts.word_count

Both are filled on save from now on. Rows written before are filled in batches by
`flask rerender`, which also re-renders every post body (code highlighting, tables): a
migration would hold the deploy for as long as a million posts take to render.

Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6b1c7d04a92'
down_revision = 'd4a8e2f61c35'


def upgrade():
    # Adding a nullable column, or one with a constant default, rewrites no rows on Postgres 11+.
    op.add_column('posts', sa.Column('word_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('comments', sa.Column('body_html', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('comments', 'body_html')
    op.drop_column('posts', 'word_count')
