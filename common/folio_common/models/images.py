"""Uploaded images: the stored original and the state of its resized copies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from folio_common.models.base import Base, enum_column, utcnow


class ImageStatus(enum.StrEnum):
    # The original is stored and shown; the worker has not made the resized copies yet.
    PENDING = "pending"
    READY = "ready"
    # Resizing failed; pages keep showing the original.
    FAILED = "failed"


class Image(Base):
    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A digest of the stored (metadata-free) original: every file name derives from it, so a
    # name always means the same bytes and nginx may let browsers keep them for a year.
    key: Mapped[str] = mapped_column(String(32), index=True)
    # jpeg, png, webp or gif: what Pillow found in the bytes, which also gives the extension.
    format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    status: Mapped[ImageStatus] = mapped_column(
        enum_column(ImageStatus), default=ImageStatus.PENDING
    )
    # The widths of the WebP copies made so far, smallest first.
    variant_widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    @property
    def is_ready(self) -> bool:
        return self.status == ImageStatus.READY

    def __repr__(self) -> str:
        return f"<Image {self.id} {self.key}.{self.format} {self.status}>"
