"""Accounts, roles and who follows whom."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from folio_common.models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from folio_common.models.images import Image
    from folio_common.models.posts import Comment, Post


class Role(enum.StrEnum):
    READER = "reader"
    AUTHOR = "author"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    WRITE = "write"
    COMMENT = "comment"
    FOLLOW = "follow"
    MODERATE = "moderate"
    ADMINISTER = "administer"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READER: frozenset({Permission.COMMENT, Permission.FOLLOW}),
    Role.AUTHOR: frozenset({Permission.COMMENT, Permission.FOLLOW, Permission.WRITE}),
    Role.ADMIN: frozenset(Permission),
}


class Follow(Base):
    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_username_lower", func.lower(text("username")), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Stored lower-cased by the accounts service, so the plain unique index is enough.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        enum_column(Role),
        default=Role.READER,
    )
    display_name: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(String(500))
    # The language of the user's pages and mails (folio_common.i18n.LANGUAGES); None: the
    # browser's.
    locale: Mapped[str | None] = mapped_column(String(16))
    confirmed_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout and password change: sessions carrying an older version are refused.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    avatar_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("images.id", ondelete="SET NULL", use_alter=True)
    )

    posts: Mapped[list[Post]] = relationship(back_populates="author", passive_deletes=True)
    comments: Mapped[list[Comment]] = relationship(back_populates="author", passive_deletes=True)
    avatar_image: Mapped[Image | None] = relationship(foreign_keys=[avatar_image_id])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def can(self, permission: Permission) -> bool:
        return (
            self.active
            and self.is_confirmed
            and permission in ROLE_PERMISSIONS.get(Role(self.role), frozenset())
        )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    # Flask-Login's user protocol. The id carries the session version, so bumping the version
    # (log out everywhere, password change, deactivation) makes every copied session or remember
    # cookie stale, and the browser's log-in key, which logging out there ends.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    # The browser log-in (LoginSession) this object was loaded for or signed in with; not a
    # column. Flask-Login puts get_id() into the session and remember cookies.
    login_key = None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.login_key or ''}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


# The admin's user list: newest accounts first.
Index("ix_users_newest", User.created_at.desc(), User.id.desc())
