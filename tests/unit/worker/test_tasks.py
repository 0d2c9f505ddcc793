"""Beat's tasks: publishing scheduled posts and nightly clean-up; and the worker's wiring."""

from __future__ import annotations

from datetime import timedelta

from folio_common.extensions import db
from folio_common.models import AccountToken, Post, PostStatus, TokenPurpose, utcnow
from folio_common.queue import celery_app
from folio_common.services import accounts
from folio_worker.extension import BEAT_SCHEDULE
from folio_worker.retry import MAX_RETRIES, RETRY_BACKOFF_MAX, retry_budget_seconds
from tests.factories import PostFactory, UserFactory


def _run(name: str, *args):
    return celery_app().tasks[name].delay(*args).get()


def test_only_posts_whose_time_has_come_are_published(app_ctx, outbox):
    author = UserFactory()
    due = PostFactory(author=author, scheduled=True, publish_at=utcnow() - timedelta(minutes=1))
    later = PostFactory(author=author, scheduled=True, publish_at=utcnow() + timedelta(hours=1))
    draft = PostFactory(author=author, draft=True)
    db.session.commit()
    due_at = due.publish_at

    assert _run("folio.publish_scheduled_posts") == [due.id]

    db.session.expire_all()
    assert db.session.get(Post, due.id).status == PostStatus.PUBLISHED
    assert db.session.get(Post, due.id).published_at == due_at
    assert db.session.get(Post, later.id).status == PostStatus.SCHEDULED
    assert db.session.get(Post, draft.id).status == PostStatus.DRAFT
    assert _run("folio.publish_scheduled_posts") == []


def test_cleanup_removes_expired_tokens_and_keeps_live_ones(app_ctx):
    user = UserFactory(unconfirmed=True)
    accounts.issue_token(user, TokenPurpose.CONFIRM)
    accounts.issue_token(user, TokenPurpose.RESET)
    stale = db.session.execute(
        db.select(AccountToken).where(AccountToken.purpose == TokenPurpose.RESET)
    ).scalar_one()
    stale.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert _run("folio.cleanup_expired") == {"tokens": 1, "exports": 0}

    remaining = db.session.execute(db.select(AccountToken.purpose)).scalars().all()
    assert remaining == [TokenPurpose.CONFIRM]


def test_noop_answers(app_ctx):
    assert _run("folio.noop") == "pong"


def test_beat_schedules_publishing_every_minute_and_a_nightly_cleanup(app, worker):
    celery = worker.celery
    by_task = {entry["task"]: entry["schedule"] for entry in celery.conf.beat_schedule.values()}
    assert by_task["folio.publish_scheduled_posts"] == 60.0
    nightly = by_task["folio.cleanup_expired"]
    assert nightly.hour == {3} and len(nightly.minute) == 1
    assert set(by_task) <= set(celery.tasks)
    assert celery.conf.beat_schedule == BEAT_SCHEDULE


def test_every_task_the_services_enqueue_is_registered(app):
    tasks = app.extensions["celery"].tasks
    for name in (
        "folio.send_confirmation_email",
        "folio.send_password_reset_email",
        "folio.send_email_change_email",
        "folio.notify_followers",
        "folio.send_new_post_emails",
        "folio.publish_scheduled_posts",
        "folio.build_export",
        "folio.cleanup_expired",
        "folio.recover_stuck_exports",
        "folio.record_job_run",
    ):
        assert tasks[name].max_retries == MAX_RETRIES, name
        assert OSError in tasks[name].autoretry_for, name


def test_retries_outlast_a_five_minute_outage_and_fit_the_visibility_timeout(app):
    celery_conf = app.extensions["celery"].conf
    visibility = celery_conf.broker_transport_options["visibility_timeout"]

    assert retry_budget_seconds() >= 5 * 60
    # A retry waits for its countdown on a worker, then runs: both inside the visibility
    # timeout, or the broker hands the message to a second worker meanwhile.
    assert RETRY_BACKOFF_MAX + celery_conf.task_time_limit < visibility
    assert visibility <= 120  # a dead worker's tasks come back within two minutes
