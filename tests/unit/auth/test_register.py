"""Signing up: a new account is created, signed in and asked to confirm its address."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from folio_common.extensions import db
from folio_common.models import Role, User
from folio_common.services import accounts
from tests.unit.auth.helpers import create_user, find_user, redirect_path, submit

GOOD = {
    "username": "newton",
    "email": "Isaac@Example.com",
    "password": "apples fall down",
    "password_confirm": "apples fall down",
}


def user_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(User)).scalars().all())


def test_a_visitor_registers_and_is_signed_in_unconfirmed(app: Flask, client: FlaskClient):
    response = submit(client, "/auth/register", GOOD)

    assert redirect_path(response) == "/account/"
    user = find_user(app, "newton")
    assert user is not None
    assert user.email == "isaac@example.com"
    assert user.role == Role.AUTHOR
    assert not user.is_confirmed
    page = client.get("/account/", follow_redirects=True).get_data(as_text=True)
    assert "check your email" in page.lower()
    assert "not confirmed yet" in page


def test_an_unconfirmed_author_cannot_write_yet(client: FlaskClient):
    submit(client, "/auth/register", GOOD)

    response = client.get("/write")

    assert redirect_path(response) == "/account/"


def test_a_taken_username_is_refused_whatever_its_case(app: Flask, client: FlaskClient):
    create_user(app, username="Newton", email="someone@example.com")

    response = submit(client, "/auth/register", GOOD)

    assert response.status_code == 200
    assert "That username is taken." in response.get_data(as_text=True)
    assert user_count(app) == 1


def test_a_taken_email_is_refused(app: Flask, client: FlaskClient):
    create_user(app, username="someone", email="isaac@example.com")

    response = submit(client, "/auth/register", GOOD)

    assert response.status_code == 200
    assert "An account with that email already exists." in response.get_data(as_text=True)
    assert user_count(app) == 1


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
    create_user(app, username="newton", email="isaac@example.com")
    # Two sign-ups racing: both pass the checks, the database's unique index stops the second.
    monkeypatch.setattr(accounts, "username_taken", lambda _username: False)
    monkeypatch.setattr(accounts, "email_taken", lambda _email: False)

    response = submit(client, "/auth/register", GOOD)

    assert response.status_code == 200
    assert "was just taken" in response.get_data(as_text=True)
    assert user_count(app) == 1
