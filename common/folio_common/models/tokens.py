"""Single-use account tokens (confirm, reset, email change), API refresh tokens and browser
log-in sessions, each stored as a hash."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from folio_common.models.base import Base, enum_column, utcnow


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    RESET = "reset"
    CHANGE_EMAIL = "change_email"


class _UserSecret:
    """What every stored secret has: the user it belongs to, when it was made and expires."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AccountToken(_UserSecret, Base):
    __tablename__ = "account_tokens"

    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    used_at: Mapped[datetime | None]


class RefreshToken(_UserSecret, Base):
    __tablename__ = "refresh_tokens"

    jti_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]


class LoginSession(_UserSecret, Base):
    """One browser's log-in: its session and remember cookies name it, so logging out there ends
    it alone, and a copy of those cookies is refused afterwards."""

    __tablename__ = "login_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ended_at: Mapped[datetime | None]
