"""The transactional outbox: a task exists exactly when its data does, and survives the broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import Celery

from folio_common.extensions import db
from folio_common.models import OutboxMessage, User, utcnow
from folio_common.queue import celery_app, enqueue
from folio_common.services import outbox
from folio_worker.relay import OutboxRelayScheduler, relay_once
from tests.factories import UserFactory


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


class Broker:
    """Stands in for Redis at the producer: up or down, and what it was handed."""

    def __init__(self, celery: Celery, monkeypatch: pytest.MonkeyPatch) -> None:
        self.up = True
        self.received: list[tuple[str, tuple[object, ...], str]] = []
        monkeypatch.setitem(celery.conf, "task_always_eager", False)
        for task in list(celery.tasks.values()):
            monkeypatch.setattr(task, "apply_async", self._publisher(task.name))
        monkeypatch.setattr(celery, "send_task", self._send_task)

    def _publisher(self, name: str):
        def apply_async(args=(), **options):
            return self._send_task(name, args=args, **options)

        return apply_async

    def _send_task(self, name, args=(), task_id=None, **_options):
        if not self.up:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")
        self.received.append((name, tuple(args), task_id))


@pytest.fixture
def broker(app_ctx, monkeypatch) -> Broker:
    return Broker(celery_app(), monkeypatch)


def test_a_task_commits_with_its_data_and_is_marked_sent_once_handed_over(broker):
    user = UserFactory()
    enqueue("folio.send_confirmation_email", user.id)
    db.session.commit()

    [row] = _rows()
    assert row.task_name == "folio.send_confirmation_email" and row.args == [user.id]
    assert row.sent_at is not None
    assert broker.received == [("folio.send_confirmation_email", (user.id,), row.task_id)]


def test_a_rolled_back_transaction_leaves_no_task(broker):
    user = UserFactory()
    db.session.commit()
    enqueue("folio.send_confirmation_email", user.id)
    db.session.rollback()

    assert _rows() == []
    assert broker.received == []


def test_a_broker_outage_at_commit_keeps_the_data_and_the_task_for_the_relay(broker):
    broker.up = False
    user = UserFactory(username="during-outage")
    enqueue("folio.send_confirmation_email", user.id)
    db.session.commit()  # does not raise: the write does not depend on the broker

    assert db.session.execute(db.select(User).filter_by(username="during-outage")).scalar_one()
    [row] = _rows()
    assert row.sent_at is None and outbox.unsent_count() == 1

    # While it is still down the relay backs off and keeps the row.
    later = utcnow() + outbox.FAST_PATH_GRACE + timedelta(seconds=1)
    assert outbox.relay_unsent(now=later) == outbox.RelayResult(sent=0, failed=1)
    [row] = _rows()
    assert row.attempts == 1 and row.next_attempt_at > later and "refused" in row.last_error
    assert outbox.relay_unsent(now=later) == outbox.RelayResult(sent=0, failed=0)

    broker.up = True
    assert outbox.relay_unsent(now=row.next_attempt_at) == outbox.RelayResult(sent=1, failed=0)
    assert broker.received == [("folio.send_confirmation_email", (user.id,), row.task_id)]
    assert outbox.unsent_count() == 0
    # Sent rows are not sent again.
    assert outbox.relay_unsent(now=row.next_attempt_at) == outbox.RelayResult(sent=0, failed=0)


def test_the_relay_leaves_fresh_rows_to_the_fast_path(broker):
    broker.up = False
    enqueue("folio.send_confirmation_email", UserFactory().id)
    db.session.commit()
    broker.up = True

    assert outbox.relay_unsent() == outbox.RelayResult(sent=0, failed=0)
    later = utcnow() + outbox.FAST_PATH_GRACE
    assert outbox.relay_unsent(now=later).sent == 1


def test_the_relay_backoff_grows_and_is_capped():
    waits = [outbox.backoff(attempt).total_seconds() for attempt in range(1, 10)]
    assert waits == sorted(waits)
    assert waits[0] == 2 and waits[-1] == outbox.MAX_BACKOFF_SECONDS


def test_sent_rows_are_pruned_after_a_day_and_unsent_ones_never(broker):
    broker.up = False
    enqueue("folio.send_confirmation_email", UserFactory().id)
    broker.up = True
    db.session.commit()
    sent_before = utcnow() - outbox.SENT_RETENTION - timedelta(minutes=1)
    db.session.add(OutboxMessage(task_name="folio.noop", args=[], headers={}, sent_at=sent_before))
    db.session.commit()

    assert outbox.prune_sent() == 1
    db.session.commit()
    assert [row.task_name for row in _rows()] == ["folio.send_confirmation_email"]


def test_beat_runs_the_relay_and_survives_a_database_error(app, worker, broker, monkeypatch):
    broker.up = False
    enqueue("folio.send_confirmation_email", UserFactory().id)
    db.session.commit()
    broker.up = True
    monkeypatch.setattr(outbox, "FAST_PATH_GRACE", timedelta(0))

    assert relay_once(worker.celery) == outbox.RelayResult(sent=1, failed=0)

    def database_away(*_args, **_kwargs):
        raise ConnectionError("database away")

    monkeypatch.setattr(outbox, "relay_unsent", database_away)
    assert relay_once(worker.celery) is None  # logged, not raised into beat
    assert worker.celery.conf.beat_scheduler.endswith(OutboxRelayScheduler.__name__)
