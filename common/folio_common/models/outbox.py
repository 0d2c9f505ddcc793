"""The transactional outbox: tasks written in the same transaction as the data they act on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from folio_common.models.base import Base, utcnow


class OutboxMessage(Base):
    """One task to send to the broker; `sent_at` stays NULL until the broker has taken it.

    The row commits or rolls back with the caller's data, so a task exists exactly when its data
    does; the relay sends whatever a broker outage left unsent.
    """

    __tablename__ = "task_outbox"
    __table_args__ = (Index("ix_task_outbox_unsent", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Not before this moment (a countdown), and not retried before next_attempt_at.
    eta: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)

    @property
    def task_id(self) -> str:
        """Stable across resends, so the jobs page keeps one row and a repeat is recognisable."""
        return f"outbox-{self.id}"
