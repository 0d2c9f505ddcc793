"""plain-text summaries: decode the HTML entities stored in post summaries

Summaries were stored as nh3's HTML output ("Fish &amp; chips"), and templates, feeds and the
API escaped them again. They are plain text now; this decodes the rows written before.

Create Date: 2026-11-30 12:10:00

"""
import html

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c3d4e5f6a7b'
down_revision = '5e1f0c2a9b7d'

posts = sa.table('posts', sa.column('id', sa.Integer), sa.column('summary', sa.String))


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(posts.c.id, posts.c.summary).where(posts.c.summary.like('%&%'))
    ).all()
    for post_id, summary in rows:
        connection.execute(
            posts.update().where(posts.c.id == post_id).values(summary=html.unescape(summary))
        )


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(posts.c.id, posts.c.summary).where(
        sa.or_(posts.c.summary.like('%&%'), posts.c.summary.like('%<%'), posts.c.summary.like('%>%'))
    )).all()
    for post_id, summary in rows:
        connection.execute(
            posts.update().where(posts.c.id == post_id).values(summary=html.escape(summary, quote=False))
        )
