"""Housekeeping run by beat, and a no-op for health checks and benchmarks."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.extensions import db
from folio_common.services import accounts, exports, outbox
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.cleanup_expired", **RETRY_OPTIONS)
def cleanup_expired(self: Task) -> dict[str, int]:
    """Nightly: drop expired tokens, delete expired export archives, prune the sent outbox."""
    tokens = accounts.delete_expired_tokens()
    archives = exports.expire_exports()
    outbox.prune_sent()
    db.session.commit()
    return {"tokens": tokens, "exports": archives}


@shared_task(name="folio.noop")
def noop() -> str:
    """Does nothing: a round trip through the broker proves a worker is consuming."""
    return "pong"
