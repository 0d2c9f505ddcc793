"""Registering through the web: the worker mails the confirmation link, and the link works."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from folio_common.extensions import db
from folio_common.models import JobRun, JobState, User
from folio_common.services import accounts
from tests.factories import UserFactory
from tests.helpers import csrf_token, registration, wait_until

pytestmark = pytest.mark.integration

CONFIRM_LINK = re.compile(r"http://folio\.test/auth/confirm/\S+")


def _register(client, username: str, request_id: str):
    token = csrf_token(client, "/auth/register")
    return client.post(
        "/auth/register",
        data={**registration(username), "csrf_token": token},
        headers={"X-Request-ID": request_id},
    )


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        db.session.expunge(user)
        return user


def test_the_confirmation_mail_arrives_and_its_link_confirms_the_account(app, client, mailbox):
    response = _register(client, "newreader", f"itest-{uuid.uuid4().hex}")
    assert response.status_code == 302
    assert not _user(app, "newreader").is_confirmed

    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "newreader@example.com"
    assert mail["Subject"] == "Confirm your email address"
    assert mail["Message-ID"] and mail["Date"]
    text = mail.get_body(("plain",)).get_content()
    link = CONFIRM_LINK.search(text)
    assert link, text
    assert link.group(0) in mail.get_body(("html",)).get_content()

    confirmed = client.get(urlsplit(link.group(0)).path)

    assert confirmed.status_code == 302
    assert _user(app, "newreader").is_confirmed
    # The link is single-use.
    assert client.get(urlsplit(link.group(0)).path).status_code == 400


def test_the_worker_logs_the_web_requests_id_and_records_the_run(
    app, client, mailbox, celery_worker
):
    request_id = f"itest-{uuid.uuid4().hex}"
    _register(client, "traced", request_id)
    mailbox.wait_for(1)

    def recorded_run() -> JobRun | None:
        with app.app_context():
            return db.session.execute(
                db.select(JobRun).where(
                    JobRun.task == "folio.send_confirmation_email",
                    JobRun.state == JobState.SUCCEEDED,
                )
            ).scalar_one_or_none()

    run = wait_until(recorded_run, what="the job run to be recorded")
    assert run.subject == f"user_id={_user(app, 'traced').id}"
    assert run.finished_at is not None
    wait_until(
        lambda: f'"request_id": "{request_id}"' in celery_worker.log(),
        what="the request id in the worker's log",
    )


def test_a_mail_server_hiccup_is_retried_until_the_mail_goes_out(app, mailbox):
    with app.app_context():
        user_id = UserFactory(email="forgetful@example.com").id
        db.session.commit()
        mailbox.refuse_next(2)

        accounts.request_password_reset("forgetful@example.com")
        db.session.commit()

    (mail,) = mailbox.wait_for(1)
    assert mailbox.refused == 2
    assert mail["To"] == "forgetful@example.com"
    assert "http://folio.test/auth/reset/" in mail.get_body(("plain",)).get_content()

    def finished_run() -> JobRun | None:
        with app.app_context():
            run = db.session.execute(
                db.select(JobRun).where(JobRun.task == "folio.send_password_reset_email")
            ).scalar_one_or_none()
            return run if run is not None and run.state == JobState.SUCCEEDED else None

    run = wait_until(finished_run, what="the retried run to be recorded as succeeded")
    assert run.subject == f"user_id={user_id}"


def test_a_french_reader_gets_their_mail_in_french_from_the_worker(app, client, mailbox):
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    token = csrf_token(client, "/auth/register", headers=french)
    response = client.post(
        "/auth/register",
        data={
            "username": "camille",
            "email": "camille@example.com",
            "password": "a long enough password",
            "password_confirm": "a long enough password",
            "csrf_token": token,
        },
        headers=french,
    )
    assert response.status_code == 302
    assert _user(app, "camille").locale == "fr"

    (mail,) = mailbox.wait_for(1)
    assert mail["Subject"] == "Confirmez votre adresse e-mail"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Bonjour camille,")
    assert "expire dans 48 heures" in text
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="fr">' in html and "Confirmer mon adresse e-mail" in html
    assert CONFIRM_LINK.search(text)
