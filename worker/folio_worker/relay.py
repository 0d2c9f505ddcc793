"""Beat's scheduler with the outbox relay in its loop: the one process that is exactly one.

The relay runs in beat rather than as a scheduled task because a scheduled task travels through
the broker, and the relay is what must keep working while the broker is away.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler

from folio_common.extensions import db
from folio_common.queue import flask_app_of
from folio_common.services import outbox

log = logging.getLogger("folio.worker.relay")

# Seconds between relay runs: a task the fast path missed waits at most about this long (plus
# the fast path's grace) once the broker answers again.
RELAY_INTERVAL = 5.0


class OutboxRelayScheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next_relay = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now >= self._next_relay:
            self._next_relay = now + RELAY_INTERVAL
            relay_once(self.app)
        return min(super().tick(*args, **kwargs), RELAY_INTERVAL)


def relay_once(celery: Any) -> outbox.RelayResult | None:
    """One relay run in its own app context; failures are logged, never raised into beat."""
    app = flask_app_of(celery)
    if app is None:
        return None
    with app.app_context():
        try:
            return outbox.relay_unsent(celery)
        except Exception as exc:  # the database is away; beat keeps ticking and tries again
            db.session.rollback()
            log.warning("outbox relay run failed", extra={"error": str(exc)})
            return None
        finally:
            db.session.remove()
