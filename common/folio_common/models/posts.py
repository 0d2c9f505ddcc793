"""Posts, their tags and comments, and the record of who was told about a post."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, TextClause, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from folio_common.models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from folio_common.models.images import Image
    from folio_common.models.users import User


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The text search configuration of the search document and of every query against it.
SEARCH_CONFIG = "english"

# Posts' published lists walk these partial indexes newest first (keyset pagination); the
# predicate is repeated in every list query so Postgres can use them.
PUBLISHED = text("status = 'published'")

# Indexes Alembic cannot compare (expressions, or on a column whose value Postgres computes),
# so autogenerate leaves them alone.
EXPRESSION_INDEXES = frozenset(
    {
        "ix_posts_search_vector",
        "ix_posts_published_newest",
        "ix_posts_author_published_newest",
        "ix_posts_author_unpublished",
        "ix_users_newest",
        "uq_users_username_lower",
    }
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(48), unique=True)

    posts: Mapped[list[Post]] = relationship(secondary=post_tags, back_populates="tags")

    def __repr__(self) -> str:
        return f"<Tag {self.slug!r}>"


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    summary: Mapped[str | None] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once on save: pages never render Markdown per request.
    body_html: Mapped[str] = mapped_column(Text)
    # Words of the rendered text, counted on save with it, for the reading time.
    word_count: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[PostStatus] = mapped_column(
        enum_column(PostStatus),
        default=PostStatus.DRAFT,
    )
    publish_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Title (weight A), tag names (B) and body (C) as one tsvector, kept up to date by Postgres
    # triggers (migration b7c41e9a2d10); deferred, as only search reads it. NULL on SQLite.
    search_vector: Mapped[str | None] = deferred(
        mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)
    )
    cover_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id", ondelete="SET NULL"))

    author: Mapped[User] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", order_by="Tag.name"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", passive_deletes=True, order_by="Comment.created_at"
    )
    cover_image: Mapped[Image | None] = relationship()

    __table_args__ = (
        Index("ix_posts_status_publish_at", "status", "publish_at"),
        Index("ix_posts_search_vector", "search_vector", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.slug!r}>"


def _partial_index(name: str, *columns: Any, where: TextClause) -> Index:
    """An index over the rows `where` selects, on Postgres and SQLite alike."""
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


# The home page, feeds and API list: newest published first.
_partial_index(
    "ix_posts_published_newest", Post.published_at.desc(), Post.id.desc(), where=PUBLISHED
)
# An author's page.
_partial_index(
    "ix_posts_author_published_newest",
    Post.author_id,
    Post.published_at.desc(),
    Post.id.desc(),
    where=PUBLISHED,
)
# An author's own drafts and scheduled posts (a few per author, among thousands published).
_partial_index(
    "ix_posts_author_unpublished",
    Post.author_id,
    Post.created_at.desc(),
    Post.id.desc(),
    where=text("status <> 'published'"),
)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The body's Markdown subset rendered on save; NULL for comments written before it existed
    # until `flask rerender` fills them in (the page shows those as plain text meanwhile).
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship(back_populates="comments")


class PostNotification(Base):
    """One row per follower told about a post: makes the fan-out safe to retry."""

    __tablename__ = "post_notifications"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
