"""The Celery extension (Flask docs' pattern) and `enqueue`, which sends a task only after commit.

Both processes use this: the web app as a producer, the worker as a consumer with its own task
modules. Tasks are addressed by name, so the web app never imports the worker's code. Without a
broker (`REDIS_URL` unset) Celery runs tasks eagerly in-process; each call gets its own app
context and therefore its own database session.

`enqueue` writes the task to the outbox table in the caller's transaction, so the task commits
exactly when its data does. After the commit it is sent at once (the fast path) and marked
sent; if the broker cannot take it then, the row stays unsent and the relay
(folio_common.services.outbox) sends it later. A broker outage delays work, it never loses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from celery import Celery, Task
from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session

from folio_common.breaker import Breaker
from folio_common.extensions import db
from folio_common.logging import current_request_id
from folio_common.models import OutboxMessage, utcnow

log = logging.getLogger("folio.queue")

# Open after the fast path fails: later commits leave their tasks to the relay at once instead
# of each waiting out the broker's connect timeout.
_broker = Breaker("broker")

_PENDING_KEY = "folio.pending_tasks"
_OUTBOX_KEY = "folio.outbox_sends"


@dataclass(frozen=True)
class OutgoingTask:
    """What the fast path needs of an outbox row, read before commit expires the row."""

    message_id: int
    task_name: str
    args: tuple[Any, ...]
    eta: datetime | None
    headers: dict[str, Any]

    @property
    def task_id(self) -> str:
        return f"outbox-{self.message_id}"


class FlaskTask(Task):
    """A task whose every call runs inside its Flask app's context, so each call gets its own
    database session (the Flask docs' Celery pattern). Each app's Celery uses a subclass that
    names the app; a worker extends it with its per-task behaviour (folio_worker.extension)."""

    flask_app: ClassVar[Flask]

    def __call__(self, *args: object, **kwargs: object) -> object:
        with self.flask_app.app_context():
            return self.run(*args, **kwargs)


class Queue:
    """Flask extension holding the Celery app: `queue.init_app(app)` then `queue.celery`."""

    def __init__(self, app: Flask | None = None) -> None:
        self.celery: Celery | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> Celery:
        class AppTask(FlaskTask):
            flask_app = app

        celery = Celery(app.import_name, task_cls=AppTask)
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


def flask_app_of(celery: Celery) -> Flask | None:
    """The Flask app whose tasks `celery` runs; None for a Celery app not made by `Queue`."""
    return getattr(celery.Task, "flask_app", None)


def enqueue(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send `task_name(*args)` once the current database transaction commits.

    Callers pass ids, never ORM objects, and must commit: a rolled-back transaction sends nothing,
    so a worker never looks for a row that does not exist.
    """
    session = db.session()
    headers = {"request_id": current_request_id()}
    if has_request_context() and getattr(g, "request_id", None):
        headers["request_id"] = g.request_id
    eta = utcnow() + timedelta(seconds=countdown) if countdown else None
    message = OutboxMessage(
        task_name=task_name, args=list(args), headers=headers, eta=eta, attempts=0
    )
    session.add(message)
    pending: list[tuple[Celery, OutboxMessage]] = session.info.setdefault(_PENDING_KEY, [])
    pending.append((celery_app(), message))


def send_now(celery: Celery, task: OutgoingTask, *, retry: bool = True) -> None:
    """Hand `task` to the broker (or run it, in eager mode); raises if the broker refuses."""
    options: dict[str, Any] = {
        "args": task.args,
        "headers": task.headers,
        "task_id": task.task_id,
        "eta": task.eta,
        "retry": retry,
    }
    registered = celery.tasks.get(task.task_name)
    if registered is not None:
        # Registered here (the worker, or eager mode): apply_async honours task_always_eager.
        registered.apply_async(**options)
    else:
        celery.send_task(task.task_name, **options)


def mark_sent(bind: Engine, message_ids: list[int]) -> None:
    """Record that the broker has these rows; on its own connection, after the caller's commit."""
    with bind.begin() as connection:
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.sent_at.is_(None))
            .values(sent_at=utcnow())
        )


@event.listens_for(Session, "before_commit")
def _snapshot_pending_tasks(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    # The rows need their ids now: after the commit they are expired and reading them would
    # start a new transaction inside the commit hook.
    session.flush()
    sends = [
        (
            celery,
            OutgoingTask(
                message.id, message.task_name, tuple(message.args), message.eta, message.headers
            ),
        )
        for celery, message in pending
    ]
    session.info[_OUTBOX_KEY] = (session.get_bind(), sends)


@event.listens_for(Session, "after_commit")
def _send_pending_tasks(session: Session) -> None:
    bind, sends = session.info.pop(_OUTBOX_KEY, (None, ()))
    sent: list[int] = []
    for celery, task in sends:
        if celery.conf.task_always_eager:
            send_now(celery, task)  # runs here; its failures are the caller's to see
            sent.append(task.message_id)
            continue
        if not _broker.allow():
            log.info(
                "broker unavailable; task left to the outbox relay",
                extra={"task": task.task_name, "message_id": task.message_id},
            )
            continue
        try:
            # No publish retries: a request must not stall on a broker that is away.
            send_now(celery, task, retry=False)
        except Exception as exc:  # the broker is unreachable; the relay sends the row later
            _broker.failed(exc)
            log.warning(
                "broker unavailable; task left to the outbox relay",
                extra={"task": task.task_name, "message_id": task.message_id, "error": str(exc)},
            )
            continue
        _broker.succeeded()
        sent.append(task.message_id)
    if sent and bind is not None:
        try:
            mark_sent(bind, sent)
        except Exception as exc:  # the relay will send them again; tasks are idempotent
            log.warning("could not mark outbox rows sent", extra={"error": str(exc)})


@event.listens_for(Session, "after_rollback")
def _drop_pending_tasks(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_OUTBOX_KEY, None)


queue = Queue()
