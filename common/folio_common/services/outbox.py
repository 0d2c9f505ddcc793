"""The outbox relay: sends the tasks that the after-commit fast path could not hand to the broker.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so two relays never send the same row; beat runs
the relay (folio_worker.relay). A row that fails to send waits with backoff; the first failure
ends the run, since the rest would fail the same way while the broker is away. Delivery is at
least once: a row sent just before its commit failed is sent again, and tasks are idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import delete, func, select

from folio_common.extensions import db
from folio_common.models import OutboxMessage, utcnow
from folio_common.queue import OutgoingTask, celery_app, send_now

log = logging.getLogger("folio.outbox")

# The fast path sends right after commit; the relay leaves it this long before stepping in.
FAST_PATH_GRACE = timedelta(seconds=5)
BATCH_SIZE = 500
# A failed row waits 2, 4, 8 … seconds, at most this long: a broker back from an outage gets
# the backlog within half a minute.
MAX_BACKOFF_SECONDS = 20
# Sent rows are kept a day for anyone looking into a task, then pruned by the nightly clean-up.
SENT_RETENTION = timedelta(days=1)
ERROR_LENGTH = 500


@dataclass(frozen=True)
class RelayResult:
    sent: int
    failed: int


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2**attempts))


def relay_unsent(
    celery: Celery | None = None, now: datetime | None = None, limit: int = BATCH_SIZE
) -> RelayResult:
    """Send up to `limit` due unsent rows and commit; returns how many went and how many not."""
    celery = celery or celery_app()
    now = now or utcnow()
    rows = db.session.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.created_at <= now - FAST_PATH_GRACE,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars()
    sent = failed = 0
    for row in rows:
        task = OutgoingTask(row.id, row.task_name, tuple(row.args), row.eta, row.headers)
        try:
            send_now(celery, task, retry=False)
        except Exception as exc:  # the broker is away: back off, and leave the rest for later
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
            row.next_attempt_at = now + backoff(row.attempts)
            failed += 1
            log.warning(
                "outbox relay could not send",
                extra={"message_id": row.id, "task": row.task_name, "error": row.last_error},
            )
            break
        row.sent_at = utcnow()
        sent += 1
    db.session.commit()
    if sent:
        log.info("outbox relay sent tasks", extra={"sent": sent})
    return RelayResult(sent=sent, failed=failed)


def unsent_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    ).scalar_one()


def prune_sent(now: datetime | None = None) -> int:
    """Delete rows sent longer than SENT_RETENTION ago (flushes; the caller commits)."""
    cutoff = (now or utcnow()) - SENT_RETENTION
    result = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.sent_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
