"""Posts, their tags and comments, and the record of who was told about a post."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from folio_common.models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
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

# One expression for the index and the queries, so Postgres can use the index.
SEARCH_CONFIG = "english"


def search_document(title_column, body_column):  # noqa: ANN001, ANN201 - SQL expression builder
    """The text search looks in; constants are inlined so Postgres matches the index expression."""
    empty, space = literal_column("''"), literal_column("' '")
    return func.to_tsvector(
        literal_column(f"'{SEARCH_CONFIG}'"),
        func.coalesce(title_column, empty)
        .op("||")(space)
        .op("||")(func.coalesce(body_column, empty)),
    )


# Indexes on expressions: Alembic cannot compare them, so autogenerate leaves them alone.
EXPRESSION_INDEXES = frozenset({"ix_posts_search", "uq_users_username_lower"})


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
    status: Mapped[PostStatus] = mapped_column(
        enum_column(PostStatus),
        default=PostStatus.DRAFT,
    )
    publish_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", order_by="Tag.name"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", passive_deletes=True, order_by="Comment.created_at"
    )

    __table_args__ = (
        Index("ix_posts_status_published_at", "status", "published_at"),
        Index("ix_posts_status_publish_at", "status", "publish_at"),
        Index(
            "ix_posts_search",
            search_document(title, body_markdown),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.slug!r}>"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
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
