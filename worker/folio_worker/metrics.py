"""Task metrics from the worker, and the time of beat's last send.

The worker's pool children count outcomes and time tasks (multi-process files, see
folio_common.metrics); the worker's main process serves the sum on METRICS_PORT. Beat serves
its own gauge the same way. Queue depth is read from outside the worker (folio_worker.exporter),
so it still answers while the worker is stuck.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Task, signals
from prometheus_client import Counter, Gauge, Histogram

from folio_common.metrics import mark_process_dead, reset_multiprocess_dir, serve

TASKS = Counter(
    "folio_tasks_total",
    "Task runs by outcome: succeeded, failed, or retried (one count per retry scheduled)",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "folio_task_duration_seconds",
    "Time a task run took, whatever its outcome",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 150.0),
)
BEAT_LAST_SENT = Gauge(
    "folio_beat_last_sent_timestamp_seconds",
    "When beat last sent each scheduled task (Unix time)",
    ["task"],
    multiprocess_mode="max",
)

_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, float] = {}
_in_beat = False


def connect(port: int) -> None:
    """Serve metrics on `port` once the worker or beat starts; nothing when it is 0."""
    if not port:
        return

    def start_worker_server(**_: Any) -> None:
        reset_multiprocess_dir()
        serve(port)

    def start_beat_server(**_: Any) -> None:
        global _in_beat
        _in_beat = True
        serve(port)

    # weak=False: the handlers are closures; dispatch_uid makes reconnecting a no-op.
    signals.worker_init.connect(start_worker_server, weak=False, dispatch_uid="folio.metrics")
    signals.beat_init.connect(start_beat_server, weak=False, dispatch_uid="folio.beat_metrics")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="folio.metrics_prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="folio.metrics_postrun")
    signals.before_task_publish.connect(
        _on_publish, weak=False, dispatch_uid="folio.metrics_publish"
    )
    signals.worker_process_shutdown.connect(
        _on_process_shutdown, weak=False, dispatch_uid="folio.metrics_shutdown"
    )


def _on_prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _on_postrun(
    task_id: str | None = None, task: Task | None = None, state: str | None = None, **_: Any
) -> None:
    if task is None:
        return
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    TASKS.labels(task.name, _OUTCOMES.get(state or "", (state or "unknown").lower())).inc()


def _on_publish(sender: str | None = None, **_: Any) -> None:
    # Only beat's sends are its schedule; tasks that enqueue others are not.
    if _in_beat and sender:
        BEAT_LAST_SENT.labels(sender).set(time.time())


def _on_process_shutdown(pid: int | None = None, **_: Any) -> None:
    mark_process_dead(pid or os.getpid())
