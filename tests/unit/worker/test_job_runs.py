"""Each task run leaves a JobRun row for the admin jobs page, and carries the request id."""

from __future__ import annotations

import pytest

from folio_common.extensions import db
from folio_common.logging import request_id_var
from folio_common.models import JobRun, JobState
from folio_common.services import emails, jobs
from tests.factories import PostFactory, UserFactory


@pytest.fixture
def like_a_worker(worker):
    """Failures handled as a worker handles them (signals, retries), not raised at the caller."""
    worker.celery.conf.task_eager_propagates = False
    return worker


def _runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.execute(db.select(JobRun).order_by(JobRun.id)).scalars())


def test_a_successful_task_is_recorded_with_its_subject(app_ctx, worker, outbox):
    user = UserFactory(unconfirmed=True)
    db.session.commit()

    result = worker.celery.tasks["folio.send_confirmation_email"].delay(user.id)

    (run,) = _runs()
    assert run.task == "folio.send_confirmation_email"
    assert run.task_id == result.id
    assert run.subject == f"user_id={user.id}"
    assert run.state == JobState.SUCCEEDED
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert run.error is None


def test_a_failing_task_is_recorded_with_its_error(app_ctx, like_a_worker, monkeypatch):
    def broken(export_id: int) -> bool:
        raise ValueError("the archive could not be written")

    monkeypatch.setattr("folio_common.services.exports.build_export", broken)

    result = like_a_worker.celery.tasks["folio.build_export"].delay(41)

    assert result.failed()

    (run,) = _runs()
    assert run.task == "folio.build_export"
    assert run.subject == "export_id=41"
    assert run.state == JobState.FAILED
    assert run.error == "ValueError: the archive could not be written"
    assert run.finished_at is not None


def test_a_transient_failure_is_retried_then_recorded_once(
    app_ctx, like_a_worker, monkeypatch, outbox
):
    author = UserFactory()
    reader = UserFactory()
    post = PostFactory(author=author)
    db.session.commit()
    attempts: list[int] = []
    real_send = emails.send_mail

    def flaky(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("mail server restarting")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(emails, "send_mail", flaky)
    # Eager retries run at once, without the backoff delay.
    result = like_a_worker.celery.tasks["folio.send_new_post_emails"].delay(post.id, [reader.id])

    assert result.get() == 1
    assert len(attempts) == 2
    assert [mail.to for mail in outbox] == [reader.email]
    (run,) = _runs()
    assert run.state == JobState.SUCCEEDED


def test_noop_runs_are_not_logged(app_ctx, worker):
    worker.celery.tasks["folio.noop"].delay()
    assert _runs() == []


def test_the_request_id_from_task_headers_is_in_the_workers_context(app_ctx, worker, monkeypatch):
    user = UserFactory(unconfirmed=True)
    db.session.commit()
    seen: list[str | None] = []
    monkeypatch.setattr(emails, "send_mail", lambda *a, **k: seen.append(request_id_var.get()))

    worker.celery.tasks["folio.send_confirmation_email"].apply_async(
        args=(user.id,), headers={"request_id": "req-1234"}
    )

    assert seen == ["req-1234"]
    assert request_id_var.get() is None


def test_recent_runs_put_failures_first(app_ctx):
    jobs.record_start("folio.a", "id-1", "x=1")
    jobs.record_finish("id-1", JobState.SUCCEEDED)
    jobs.record_start("folio.b", "id-2", "x=2")
    jobs.record_finish("id-2", JobState.FAILED, "boom")
    jobs.record_finish("id-3", JobState.RETRYING, "later", task_name="folio.c")
    db.session.commit()

    runs = jobs.recent_runs()

    assert [run.task_id for run in runs][0] == "id-2"
    assert {run.task_id for run in runs} == {"id-1", "id-2", "id-3"}
    retrying = next(run for run in runs if run.task_id == "id-3")
    assert retrying.finished_at is None and retrying.task == "folio.c"


def test_a_failure_the_job_log_cannot_take_now_is_recorded_once_the_database_answers(
    app_ctx, like_a_worker, monkeypatch
):
    def broken(export_id: int) -> bool:
        raise ValueError("the archive could not be written")

    monkeypatch.setattr("folio_common.services.exports.build_export", broken)
    real_record = jobs.record
    deferred: list[tuple[str, tuple[object, ...]]] = []

    def database_away(action: str, **fields: object):
        if action == "finish":
            raise ConnectionError("database away")
        return real_record(action, **fields)

    def send_task(name: str, args: tuple[object, ...] = (), **_options: object) -> None:
        deferred.append((name, args))

    monkeypatch.setattr(jobs, "record", database_away)
    monkeypatch.setattr(like_a_worker.celery, "send_task", send_task)

    result = like_a_worker.celery.tasks["folio.build_export"].delay(42)

    assert result.failed()
    ((name, (action, fields)),) = deferred
    assert name == "folio.record_job_run" and action == "finish"
    assert fields["state"] == "failed" and "could not be written" in fields["error"]
    (run,) = _runs()
    assert run.state == JobState.STARTED  # the final state is still to come

    # The database is back: the deferred record task writes the failure on the jobs page.
    monkeypatch.setattr(jobs, "record", real_record)
    like_a_worker.celery.tasks["folio.record_job_run"].delay(action, fields)

    (run,) = _runs()
    assert run.state == JobState.FAILED and run.task == "folio.build_export"
    assert run.error == "ValueError: the archive could not be written"
