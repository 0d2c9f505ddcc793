"""`FolioWorker`: the consumer side of folio_common's Queue, as a small Flask extension.

`init_app(app)` takes the Celery app that `queue.init_app` built for `app` and adds what only a
worker or beat process needs: the task modules, the beat schedule, fork safety for database
connections, a JobRun row per task, and the request id from task headers in every log line.
"""

from __future__ import annotations

import inspect
import logging
from contextvars import Token
from typing import Any

from celery import Celery, Task, signals
from celery.schedules import crontab
from flask import Flask

from folio_common.extensions import db
from folio_common.logging import configure_logging, request_id_var
from folio_common.mail import delivery_problem
from folio_common.models import JobState
from folio_common.services import jobs
from folio_worker import metrics
from folio_worker.liveness import LivenessFile

log = logging.getLogger("folio.worker")

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "publish-scheduled-posts": {"task": "folio.publish_scheduled_posts", "schedule": 60.0},
    "cleanup-expired": {
        "task": "folio.cleanup_expired",
        "schedule": crontab(hour=3, minute=17),
    },
    "recover-stuck-exports": {"task": "folio.recover_stuck_exports", "schedule": 60.0},
}

# Tasks too frequent or too trivial to be worth a row on the admin jobs page.
UNRECORDED_TASKS = frozenset({"folio.noop", "folio.record_job_run"})

_FLASK_APP_ATTR = "folio_flask_app"


class FolioWorker:
    def __init__(self, app: Flask | None = None) -> None:
        self.celery: Celery | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> Celery:
        celery: Celery = app.extensions["celery"]
        # worker_hijack_root_logger is already off in Settings.celery_config().
        celery.conf.update(
            imports=("folio_worker.tasks",),
            beat_schedule=BEAT_SCHEDULE,
            # Beat also relays the outbox (folio_worker.relay).
            beat_scheduler="folio_worker.relay:OutboxRelayScheduler",
        )
        celery.steps["consumer"].add(LivenessFile)
        # Signal handlers find the Flask app through the task's Celery app.
        setattr(celery, _FLASK_APP_ATTR, app)
        _connect_signals()
        metrics.connect(app.config["METRICS_PORT"])
        app.extensions["folio_worker"] = self
        self.celery = celery
        return celery


def flask_app_of(celery: Celery) -> Flask | None:
    return getattr(celery, _FLASK_APP_ATTR, None)


def _flask_app(task: Task | None) -> Flask | None:
    if task is None:
        return None
    return flask_app_of(task.app)


def _subject(task: Task, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None) -> str:
    """What the task is about, e.g. "post_id=4", from its arguments' names."""
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except TypeError:
        return ", ".join(repr(arg) for arg in args or ())
    return ", ".join(f"{name}={value!r}" for name, value in bound.arguments.items())


def _record(app: Flask, action: str, **fields: Any) -> None:
    """Write to the job log in a context (and session) of its own; never fail the task over it.

    A final state that cannot be written now (the database is away: the very outage that made
    the task fail) goes through the broker as a task that retries until the database is back,
    so every permanent failure reaches the jobs page.
    """
    try:
        with app.app_context():
            try:
                jobs.record(action, **fields)
                db.session.commit()
            finally:
                db.session.remove()
    except Exception as exc:
        log.warning("could not record the job run", extra={**fields, "error": str(exc)})
        if action == "finish":
            _record_later(app, fields)


def _record_later(app: Flask, fields: dict[str, Any]) -> None:
    payload = {**fields, "state": str(fields["state"])}
    try:
        app.extensions["celery"].send_task("folio.record_job_run", args=("finish", payload))
    except Exception:
        log.exception("could not queue the job run record either", extra=fields)


def _request_id(task: Task) -> str | None:
    request = task.request
    value = getattr(request, "request_id", None)
    if not value and isinstance(request.headers, dict):
        value = request.headers.get("request_id")
    return str(value) if value else None


_request_id_tokens: dict[str, Token[str | None]] = {}


def _on_setup_logging(**_: Any) -> None:
    # Connecting this signal tells Celery to leave logging alone: every line stays one JSON
    # object at LOG_LEVEL (the worker's --loglevel flag no longer applies).
    from celery import current_app as current_celery

    app = getattr(current_celery, _FLASK_APP_ATTR, None)
    configure_logging(app.config["LOG_LEVEL"] if app is not None else "INFO")


def _on_worker_process_init(**_: Any) -> None:
    # A forked child must not reuse the parent's sockets: drop the pool without closing them
    # (closing would end the parent's connections too); the child opens its own on demand.
    from celery import current_app as current_celery

    app = getattr(current_celery, _FLASK_APP_ATTR, None)
    if app is None:
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def _on_task_prerun(
    task_id: str | None = None,
    task: Task | None = None,
    args: tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    app = _flask_app(task)
    if app is None or task is None:
        return
    if task_id is not None:
        _request_id_tokens[task_id] = request_id_var.set(_request_id(task))
    if task.name not in UNRECORDED_TASKS:
        _record(
            app,
            "start",
            task_name=task.name,
            task_id=task_id,
            subject=_subject(task, args, kwargs),
        )


def _on_task_postrun(
    task_id: str | None = None, task: Task | None = None, state: str | None = None, **_: Any
) -> None:
    app = _flask_app(task)
    if app is None or task is None:
        return
    if state == "SUCCESS" and task.name not in UNRECORDED_TASKS:
        _record(app, "finish", task_id=task_id, state=JobState.SUCCEEDED, task_name=task.name)
    token = _request_id_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id_var.reset(token)


def _on_task_failure(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    **_: Any,
) -> None:
    app = _flask_app(sender)
    if app is None or sender is None or sender.name in UNRECORDED_TASKS:
        return
    _record(
        app,
        "finish",
        task_id=task_id,
        state=JobState.FAILED,
        error=f"{type(exception).__name__}: {exception}" if exception else None,
        task_name=sender.name,
    )


def _on_task_retry(sender: Task | None = None, request: Any = None, reason: Any = None, **_: Any):
    app = _flask_app(sender)
    if app is None or sender is None or sender.name in UNRECORDED_TASKS:
        return
    error = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else reason
    _record(
        app,
        "finish",
        task_id=getattr(request, "id", None),
        state=JobState.RETRYING,
        error=str(error) if error else None,
        task_name=sender.name,
    )


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    app = getattr(getattr(sender, "app", None), _FLASK_APP_ATTR, None)
    if app is None:
        return
    with app.app_context():
        problem = delivery_problem()
    if problem:
        log.warning("mail cannot be delivered: %s", problem, extra={"reason": problem})


def _connect_signals() -> None:
    # weak=False: the handlers are module functions; dispatch_uid makes reconnecting a no-op.
    signals.setup_logging.connect(_on_setup_logging, weak=False, dispatch_uid="folio.logging")
    signals.worker_process_init.connect(
        _on_worker_process_init, weak=False, dispatch_uid="folio.process_init"
    )
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="folio.mail_check")
    signals.task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="folio.prerun")
    signals.task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="folio.postrun")
    signals.task_failure.connect(_on_task_failure, weak=False, dispatch_uid="folio.failure")
    signals.task_retry.connect(_on_task_retry, weak=False, dispatch_uid="folio.retry")
