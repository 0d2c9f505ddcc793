"""A liveness file for the worker's health check, touched while the consumer is running.

`celery inspect ping` from a health check starts a Python interpreter, imports Celery and makes a
broadcast round trip: about 1.2 s of CPU every time, the largest idle cost in the stack. Instead,
the consumer touches a file on its own event loop's timer; the check only reads its age. The step
stops with the consumer, which Celery restarts when the broker connection is lost, so a worker
that is stuck or cut off from Redis stops touching the file and turns unhealthy.

Set WORKER_LIVENESS_FILE (compose does) to turn it on; WORKER_LIVENESS_INTERVAL is in seconds.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from celery import bootsteps

log = logging.getLogger("folio.worker")

DEFAULT_INTERVAL = 5.0


class LivenessFile(bootsteps.StartStopStep):
    """Consumer step: touch the file now and every interval, remove it when the consumer stops."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        raw = os.environ.get("WORKER_LIVENESS_FILE", "").strip()
        self.path = Path(raw) if raw else None
        self.interval = float(os.environ.get("WORKER_LIVENESS_INTERVAL") or DEFAULT_INTERVAL)
        self._timer_entry: Any = None

    def include_if(self, parent: Any) -> bool:
        return self.path is not None

    def start(self, parent: Any) -> None:
        self.touch()
        self._timer_entry = parent.timer.call_repeatedly(self.interval, self.touch)

    def stop(self, parent: Any) -> None:
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    shutdown = stop

    def touch(self) -> None:
        if self.path is None:
            return
        try:
            self.path.touch()
        except OSError as exc:
            # An unwritable path reads as "unhealthy"; the worker itself carries on.
            log.warning("cannot touch the liveness file %s: %s", self.path, exc)
