"""Account mails are composed in the worker and carry links that work."""

from __future__ import annotations

import re

from folio_common.extensions import db
from folio_common.models import User
from folio_common.queue import celery_app
from folio_common.services import accounts
from folio_common.services.emails import send_email_change_email
from tests.factories import UserFactory

LINK = re.compile(r"http://folio\.test(/\S+)")


def _path(text: str) -> str:
    match = LINK.search(text)
    assert match, f"no link in {text!r}"
    return match.group(1)


def test_registering_mails_a_link_that_confirms_the_account(app_ctx, outbox):
    accounts.register_user("newcomer", "newcomer@example.com", "a long enough password")
    db.session.commit()

    (mail,) = outbox
    assert mail.to == "newcomer@example.com"
    assert mail.html is not None and _path(mail.text) in mail.html
    token = _path(mail.text).removeprefix("/auth/confirm/")
    user = accounts.confirm_email(token)
    db.session.commit()
    assert user.username == "newcomer" and user.is_confirmed


def test_no_confirmation_mail_for_a_confirmed_or_missing_user(app_ctx, outbox):
    user = UserFactory()
    db.session.commit()

    task = celery_app().tasks["folio.send_confirmation_email"]
    assert task.delay(user.id).get() is False
    assert task.delay(user.id + 1000).get() is False
    assert outbox == []


def test_password_reset_mail_goes_to_active_users_only(app_ctx, outbox):
    active = UserFactory(email="active@example.com")
    inactive = UserFactory(email="inactive@example.com", active=False)
    db.session.commit()

    accounts.request_password_reset("active@example.com")
    accounts.request_password_reset("inactive@example.com")
    db.session.commit()

    (mail,) = outbox
    assert mail.to == "active@example.com"
    assert _path(mail.text).startswith("/auth/reset/")
    assert inactive.active is False and active.active is True


def test_email_change_link_is_mailed_to_the_new_address(app_ctx, outbox):
    user = UserFactory(email="old@example.com")
    db.session.commit()

    accounts.request_email_change(user, "New@Example.com", "correct horse battery")
    db.session.commit()

    (mail,) = outbox
    assert mail.to == "new@example.com"
    token = _path(mail.text).removeprefix("/account/email/")
    changed = accounts.confirm_email_change(token)
    db.session.commit()
    assert db.session.get(User, changed.id).email == "new@example.com"


def test_email_change_mail_is_skipped_when_nothing_would_change(app_ctx, outbox):
    user = UserFactory(email="same@example.com")
    db.session.commit()

    assert send_email_change_email(user.id, "same@example.com") is False
    assert outbox == []


def test_each_mail_comes_in_its_recipients_language(app_ctx, outbox):
    french = UserFactory(username="camille", locale="fr")
    english = UserFactory(username="ada")
    db.session.commit()
    accounts.request_password_reset(french.email)
    accounts.request_password_reset(english.email)
    db.session.commit()

    by_recipient = {mail.to: mail for mail in outbox}
    assert by_recipient[french.email].subject == "Réinitialisez votre mot de passe"
    # Paragraphs stay apart in the plain-text body, as in the English one.
    assert by_recipient[french.email].text.startswith("Bonjour camille,\n\nQuelqu’un a demandé")
    assert "Choisir un nouveau mot de passe" in by_recipient[french.email].html
    assert by_recipient[english.email].subject == "Reset your password"
    assert by_recipient[english.email].text.startswith("Hello ada,\n\nSomeone asked")


def test_a_new_address_is_asked_in_the_users_language(app_ctx, outbox):
    user = UserFactory(username="camille", locale="fr")
    db.session.commit()
    assert send_email_change_email(user.id, "camille@example.org")
    (mail,) = outbox
    assert mail.to == "camille@example.org"
    assert mail.subject == "Confirmez votre nouvelle adresse e-mail"
