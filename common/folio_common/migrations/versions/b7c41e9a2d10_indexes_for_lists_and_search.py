"""Indexes for every list's filter and order, and a stored, weighted search document

Create Date: 2026-11-30 11:40:00

Lists walk partial indexes newest first instead of sorting every match; search reads a stored
tsvector (title A, tag names B, body C) that triggers keep current, so Postgres has statistics
for it and never recomputes to_tsvector per row. On a large table, build these with
CREATE INDEX CONCURRENTLY by hand first; this migration then finds them.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "b7c41e9a2d10"
down_revision = "3c1e5a7d9b20"

PUBLISHED = sa.text("status = 'published'")

# The search document of one post, in one place: the triggers and bulk loaders call it.
SEARCH_FUNCTIONS = """
CREATE OR REPLACE FUNCTION folio_post_search_document(title text, body text, post integer)
RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
      || setweight(to_tsvector('english', coalesce((
           SELECT string_agg(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
           WHERE pt.post_id = post), '')), 'B')
      || setweight(to_tsvector('english', coalesce(body, '')), 'C')
$$;

CREATE OR REPLACE FUNCTION folio_posts_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := folio_post_search_document(NEW.title, NEW.body_markdown, NEW.id);
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION folio_post_tags_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.post_id ELSE NEW.post_id END;
BEGIN
  UPDATE posts SET search_vector = folio_post_search_document(title, body_markdown, id)
  WHERE id = changed;
  RETURN NULL;
END $$;

CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE OF title, body_markdown ON posts
  FOR EACH ROW EXECUTE FUNCTION folio_posts_search_vector();
CREATE TRIGGER post_tags_search_vector AFTER INSERT OR DELETE ON post_tags
  FOR EACH ROW EXECUTE FUNCTION folio_post_tags_search_vector();
"""

DROP_SEARCH_FUNCTIONS = """
DROP TRIGGER IF EXISTS post_tags_search_vector ON post_tags;
DROP TRIGGER IF EXISTS posts_search_vector ON posts;
DROP FUNCTION IF EXISTS folio_post_tags_search_vector();
DROP FUNCTION IF EXISTS folio_posts_search_vector();
DROP FUNCTION IF EXISTS folio_post_search_document(text, text, integer);
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_vector", TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True)
        )
        batch_op.drop_index("ix_posts_status_published_at")
        batch_op.drop_index("ix_posts_published_at")
    newest = [sa.text("published_at DESC"), sa.text("id DESC")]
    for name, columns, where in (
        ("ix_posts_published_newest", newest, PUBLISHED),
        ("ix_posts_author_published_newest", ["author_id", *newest], PUBLISHED),
        (
            "ix_posts_author_unpublished",
            ["author_id", sa.text("created_at DESC"), sa.text("id DESC")],
            sa.text("status <> 'published'"),
        ),
    ):
        # The same partial index on Postgres and SQLite.
        op.create_index(
            name, "posts", columns, postgresql_where=where, sqlite_where=where, if_not_exists=True
        )
    op.create_index(
        "ix_users_newest",
        "users",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        if_not_exists=True,
    )
    if postgres:
        op.drop_index("ix_posts_search", table_name="posts")
        op.execute(SEARCH_FUNCTIONS)
        op.execute(
            "UPDATE posts SET search_vector = "
            "folio_post_search_document(title, body_markdown, id)"
        )
        op.create_index(
            "ix_posts_search_vector",
            "posts",
            ["search_vector"],
            postgresql_using="gin",
            if_not_exists=True,
        )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_index("ix_posts_search_vector", table_name="posts")
        op.execute(DROP_SEARCH_FUNCTIONS)
        op.create_index(
            "ix_posts_search",
            "posts",
            [
                sa.text(
                    "to_tsvector('english', coalesce(title, '') || ' ' || "
                    "coalesce(body_markdown, ''))"
                )
            ],
            postgresql_using="gin",
        )
    op.drop_index("ix_users_newest", table_name="users")
    op.drop_index("ix_posts_author_unpublished", table_name="posts")
    op.drop_index("ix_posts_author_published_newest", table_name="posts")
    op.drop_index("ix_posts_published_newest", table_name="posts")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_published_at", ["published_at"], unique=False)
        batch_op.create_index(
            "ix_posts_status_published_at", ["status", "published_at"], unique=False
        )
        batch_op.drop_column("search_vector")
