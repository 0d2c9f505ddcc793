"""`FolioWorker`: the consumer side of folio_common's Queue, as a small Flask extension.

`init_app(app)` takes the Celery app that `queue.init_app` built for `app` and adds what only a
worker or beat process needs: the task modules, the beat schedule, fork safety for database
connections, and `WorkerTask` as the base of every task (a JobRun row per run, the request id
from task headers in every log line).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab
from flask import Flask

from folio_common.extensions import db
from folio_common.logging import configure_logging, request_id_var
from folio_common.mail import delivery_problem
from folio_common.models import JobState
from folio_common.queue import FlaskTask, flask_app_of
from folio_common.services import jobs
from folio_worker import metrics
from folio_worker.liveness import LivenessFile

log = logging.getLogger("folio.worker")

# Read-only here; each Celery app gets a copy of its own.
BEAT_SCHEDULE: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "publish-scheduled-posts": {"task": "folio.publish_scheduled_posts", "schedule": 60.0},
        "cleanup-expired": {
            "task": "folio.cleanup_expired",
            "schedule": crontab(hour=3, minute=17),
        },
        "recover-stuck-exports": {"task": "folio.recover_stuck_exports", "schedule": 60.0},
    }
)

# Tasks too frequent or too trivial to be worth a row on the admin jobs page.
UNRECORDED_TASKS = frozenset({"folio.noop", "folio.record_job_run"})


class WorkerTask(FlaskTask):
    """A task as the worker runs it: Celery calls these hooks around each run (and each retry).

    The request id from the task's headers is in the log context from `before_start` until
    `after_return`, so the job log's own warnings carry it too.
    """

    def before_start(self, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        # Kept on this run's request: eager runs nest inside a web request, whose id comes back.
        self.request.request_id_token = request_id_var.set(self._request_id())
        self._record(
            "start", task_name=self.name, task_id=task_id, subject=self._subject(args, kwargs)
        )

    def on_success(
        self, retval: Any, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._record("finish", task_id=task_id, state=JobState.SUCCEEDED, task_name=self.name)

    # Both also receive the task's args, kwargs and the exception info, unused here.
    def on_retry(self, exc: BaseException, task_id: str, *_: Any) -> None:
        self._finish_with_error(task_id, JobState.RETRYING, exc)

    def on_failure(self, exc: BaseException, task_id: str, *_: Any) -> None:
        self._finish_with_error(task_id, JobState.FAILED, exc)

    def after_return(self, *args: Any, **kwargs: Any) -> None:
        token = getattr(self.request, "request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    def _finish_with_error(self, task_id: str, state: JobState, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}" if exc else None
        self._record("finish", task_id=task_id, state=state, error=error, task_name=self.name)

    def _request_id(self) -> str | None:
        request = self.request
        value = getattr(request, "request_id", None)
        if not value and isinstance(request.headers, dict):
            value = request.headers.get("request_id")
        return str(value) if value else None

    def _subject(self, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None) -> str:
        """What the task is about, e.g. "post_id=4", from its arguments' names."""
        try:
            bound = inspect.signature(self.run).bind_partial(*(args or ()), **(kwargs or {}))
        except TypeError:
            return ", ".join(repr(arg) for arg in args or ())
        return ", ".join(f"{name}={value!r}" for name, value in bound.arguments.items())

    def _record(self, action: str, **fields: Any) -> None:
        """Write to the job log in a context (and session) of its own; never fail the task.

        A final state that cannot be written now (the database is away: the very outage that
        made the task fail) goes through the broker as a task that retries until the database
        is back, so every permanent failure reaches the jobs page.
        """
        if self.name in UNRECORDED_TASKS:
            return
        try:
            with self.flask_app.app_context():
                try:
                    jobs.record(action, **fields)
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception as exc:
            log.warning("could not record the job run", extra={**fields, "error": str(exc)})
            if action == "finish":
                self._record_later(fields)

    def _record_later(self, fields: dict[str, Any]) -> None:
        payload = {**fields, "state": str(fields["state"])}
        try:
            self.app.send_task("folio.record_job_run", args=("finish", payload))
        except Exception:
            log.exception("could not queue the job run record either", extra=fields)


class FolioWorker:
    def __init__(self, app: Flask | None = None) -> None:
        self.celery: Celery | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> Celery:
        celery: Celery = app.extensions["celery"]
        if celery.finalized:
            # Tasks take their base class when they are created.
            raise RuntimeError("FolioWorker must be set up before Celery creates any task")
        # worker_hijack_root_logger is already off in Settings.celery_config().
        celery.conf.update(
            imports=("folio_worker.tasks",),
            beat_schedule={name: dict(entry) for name, entry in BEAT_SCHEDULE.items()},
            # Beat also relays the outbox (folio_worker.relay).
            beat_scheduler="folio_worker.relay:OutboxRelayScheduler",
        )
        # `celery.Task` is the class every task of this app is made from, when Celery finalizes.
        celery.Task = type("WorkerTask", (WorkerTask, celery.Task), {})
        celery.steps["consumer"].add(LivenessFile)
        _connect_process_signals()
        metrics.connect(app.config["METRICS_PORT"])
        app.extensions["folio_worker"] = self
        self.celery = celery
        return celery


# Process-wide events, not a task's: each finds the Flask app through the current Celery app.


def _on_setup_logging(**_: Any) -> None:
    # Connecting this signal tells Celery to leave logging alone: every line stays one JSON
    # object at LOG_LEVEL (the worker's --loglevel flag no longer applies).
    from celery import current_app as current_celery

    app = flask_app_of(current_celery)
    configure_logging(app.config["LOG_LEVEL"] if app is not None else "INFO")


def _on_worker_process_init(**_: Any) -> None:
    # A forked child must not reuse the parent's sockets: drop the pool without closing them
    # (closing would end the parent's connections too); the child opens its own on demand.
    from celery import current_app as current_celery

    app = flask_app_of(current_celery)
    if app is None:
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    app = flask_app_of(sender.app) if sender is not None else None
    if app is None:
        return
    with app.app_context():
        problem = delivery_problem()
    if problem:
        log.warning("mail cannot be delivered: %s", problem, extra={"reason": problem})


def _connect_process_signals() -> None:
    # weak=False: the handlers are module functions; dispatch_uid makes reconnecting a no-op.
    signals.setup_logging.connect(_on_setup_logging, weak=False, dispatch_uid="folio.logging")
    signals.worker_process_init.connect(
        _on_worker_process_init, weak=False, dispatch_uid="folio.process_init"
    )
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="folio.mail_check")
