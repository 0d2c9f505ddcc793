"""The jobs page: recent task runs, failures first."""

from __future__ import annotations

from datetime import timedelta

from folio_common.extensions import db
from folio_common.models import JobRun, JobState, utcnow
from tests.factories import UserFactory


def test_jobs_page_lists_failures_first_then_newest(client, committed, login_as):
    now = utcnow()
    with committed():
        admin = UserFactory(admin=True)
        db.session.add_all(
            [
                JobRun(
                    task="folio.send_confirmation_email",
                    subject="user 1",
                    state=JobState.SUCCEEDED,
                    started_at=now - timedelta(minutes=1),
                    finished_at=now,
                ),
                JobRun(
                    task="folio.notify_followers",
                    subject="post 7",
                    state=JobState.FAILED,
                    started_at=now - timedelta(hours=3),
                    finished_at=now - timedelta(hours=3),
                    error="SMTPServerDisconnected: <gone>",
                ),
                JobRun(task="folio.build_export", subject="export 2", started_at=now),
            ]
        )
    login_as(admin)

    page = client.get("/admin/jobs").get_data(as_text=True)

    order = [page.index(name) for name in ("post 7", "export 2", "user 1")]
    assert order == sorted(order)
    assert "SMTPServerDisconnected: &lt;gone&gt;" in page
    assert "failed" in page and "succeeded" in page and "started" in page


def test_jobs_page_with_no_runs_says_so(client, committed, login_as):
    with committed():
        admin = UserFactory(admin=True)
    login_as(admin)

    assert "No job has run yet." in client.get("/admin/jobs?page=-1").get_data(as_text=True)
