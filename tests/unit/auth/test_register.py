"""Signing up: a new account is created, signed in and asked to confirm its address."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from folio_common.extensions import db
from folio_common.models import Role, User
from folio_common.services import accounts
from tests.helpers import registration, submit
from tests.unit.auth.helpers import create_user, find_user, redirect_path

GOOD = registration("newton", "apples fall down", "Isaac@Example.com")


def user_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(User)).scalars().all())


def test_a_visitor_registers_and_is_asked_to_confirm(app: Flask, client: FlaskClient):
    response = submit(client, "/auth/register", GOOD)

    assert redirect_path(response) == "/auth/login"
    user = find_user(app, "newton")
    assert user is not None
    assert user.email == "isaac@example.com"
    assert user.role == Role.AUTHOR
    assert not user.is_confirmed
    page = client.get("/auth/login").get_data(as_text=True)
    assert "we have sent a mail to Isaac@Example.com" in page


def test_an_unconfirmed_author_cannot_write_yet(client: FlaskClient, auth):
    submit(client, "/auth/register", GOOD)
    auth.login("newton", GOOD["password"])

    response = client.get("/write")

    assert redirect_path(response) == "/account/"


def test_a_taken_username_is_refused_whatever_its_case(app: Flask, client: FlaskClient):
    create_user(app, username="Newton", email="someone@example.com")

    response = submit(client, "/auth/register", GOOD)

    assert response.status_code == 200
    assert "That username is taken." in response.get_data(as_text=True)
    assert user_count(app) == 1


def test_a_taken_email_gets_the_same_answer_and_its_owner_a_mail(
    app: Flask, client: FlaskClient, outbox
):
    create_user(app, username="someone", email="isaac@example.com")
    fresh = submit(app.test_client(), "/auth/register", {**GOOD, "email": "new@example.com"})

    taken = submit(client, "/auth/register", {**GOOD, "username": "newton2"})

    assert taken.status_code == fresh.status_code == 302
    assert redirect_path(taken) == redirect_path(fresh) == "/auth/login"
    page = client.get("/auth/login").get_data(as_text=True)
    assert "we have sent a mail to Isaac@Example.com" in page
    assert "already exists" not in page
    assert find_user(app, "newton2") is None
    assert [mail.subject for mail in outbox if mail.to == "isaac@example.com"] == [
        "You already have a Folio account"
    ]
    assert "http://folio.test/auth/reset" in outbox[-1].text


def test_a_short_password_is_refused_and_nothing_is_saved(app: Flask, client: FlaskClient):
    response = submit(
        client, "/auth/register", {**GOOD, "password": "short", "password_confirm": "short"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Passwords need 10 to 256 characters." in page
    assert 'value="newton"' in page, "the form keeps what the visitor typed"
    assert user_count(app) == 0


def test_mismatched_passwords_are_refused(app: Flask, client: FlaskClient):
    response = submit(client, "/auth/register", {**GOOD, "password_confirm": "apples fall up!"})

    assert "The two passwords are not the same." in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_bad_usernames_and_emails_are_explained(app: Flask, client: FlaskClient):
    response = submit(client, "/auth/register", {**GOOD, "username": "a b", "email": "nope"})

    page = response.get_data(as_text=True)
    assert "Usernames are 3 to 32 letters, digits or underscores." in page
    assert "That does not look like an email address." in page
    assert user_count(app) == 0


def test_a_name_taken_between_check_and_insert_is_explained(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    create_user(app, username="newton", email="someone@example.com")
    # Two sign-ups racing: both pass the checks, the database's unique index stops the second.
    monkeypatch.setattr(accounts, "username_taken", lambda _username: False)

    response = submit(client, "/auth/register", GOOD)

    assert response.status_code == 200
    assert "was just taken" in response.get_data(as_text=True)
    assert user_count(app) == 1
