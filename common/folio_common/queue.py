"""The Celery extension (Flask docs' pattern) and `enqueue`, which sends a task only after commit.

Both processes use this: the web app as a producer, the worker as a consumer with its own task
modules. Tasks are addressed by name, so the web app never imports the worker's code. Without a
broker (`REDIS_URL` unset) Celery runs tasks eagerly in-process; each call gets its own app
context and therefore its own database session.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from folio_common.extensions import db
from folio_common.logging import current_request_id

_PENDING_KEY = "folio.pending_tasks"


class Queue:
    """Flask extension holding the Celery app: `queue.init_app(app)` then `queue.celery`."""

    def __init__(self, app: Flask | None = None) -> None:
        self.celery: Celery | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> Celery:
        class FlaskTask(Task):
            def __call__(self, *args: object, **kwargs: object) -> object:
                with app.app_context():
                    return self.run(*args, **kwargs)

        celery = Celery(app.import_name, task_cls=FlaskTask)
        celery.config_from_object(app.config["CELERY"])
        celery.set_default()
        app.extensions["celery"] = celery
        self.celery = celery
        if celery.conf.task_always_eager:
            # A producer never imports `imports` by itself; eager mode needs the task code here.
            celery.loader.import_default_modules()
        return celery


def celery_app() -> Celery:
    return current_app.extensions["celery"]


def enqueue(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send `task_name(*args)` once the current database transaction commits.

    Callers pass ids, never ORM objects, and must commit: a rolled-back transaction sends nothing,
    so a worker never looks for a row that does not exist.
    """
    session = db.session()
    headers = {"request_id": current_request_id()}
    if has_request_context() and getattr(g, "request_id", None):
        headers["request_id"] = g.request_id
    pending: list[tuple[Celery, str, tuple[Any, ...], float | None, dict[str, Any]]]
    pending = session.info.setdefault(_PENDING_KEY, [])
    pending.append((celery_app(), task_name, args, countdown, headers))


def send_now(
    celery: Celery,
    task_name: str,
    args: tuple[Any, ...],
    countdown: float | None = None,
    headers: dict[str, Any] | None = None,
) -> None:
    task = celery.tasks.get(task_name)
    if task is not None:
        # Registered here (the worker, or eager mode): apply_async honours task_always_eager.
        task.apply_async(args=args, countdown=countdown, headers=headers)
    else:
        celery.send_task(task_name, args=args, countdown=countdown, headers=headers)


@event.listens_for(Session, "after_commit")
def _send_pending_tasks(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    for celery, task_name, args, countdown, headers in pending or ():
        send_now(celery, task_name, args, countdown, headers)


@event.listens_for(Session, "after_rollback")
def _drop_pending_tasks(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


queue = Queue()
