"""The real worker keeps the liveness file its container health check reads fresh."""

from __future__ import annotations

from tests.helpers import wait_until
from tests.integration.support import WorkerProcess


def _mtime(worker: WorkerProcess) -> float:
    path = worker.liveness_path
    return path.stat().st_mtime if path.exists() else 0.0


def test_a_running_worker_touches_its_liveness_file(celery_worker: WorkerProcess) -> None:
    first = wait_until(lambda: _mtime(celery_worker), timeout=10, what="the liveness file")
    # Touched every second here (WORKER_LIVENESS_INTERVAL=1), every 5 s in compose.
    wait_until(lambda: _mtime(celery_worker) > first, timeout=10, what="a fresh touch")
