"""Background work that users and admins can see: exports and the log of task runs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from folio_common.models.base import Base, enum_column, utcnow


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(
        enum_column(ExportStatus), default=ExportStatus.PENDING
    )
    progress: Mapped[int] = mapped_column(default=0)  # percent, 0-100
    file_name: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    # Resumable builds: the last post written, the sizes of the archive, its central directory
    # and the metadata file at that point (a resumed build cuts them back to these), and when
    # a build last moved.
    last_post_id: Mapped[int] = mapped_column(default=0)
    archive_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    directory_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Builds started since the last progress; a build that keeps dying is failed, not retried.
    attempts: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(index=True)


class JobState(enum.StrEnum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120), index=True)
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.STARTED)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
