"""Changing the email address: asked for on the account page, done when the new one confirms."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from folio_common.models import TokenPurpose
from folio_common.services import accounts
from tests.helpers import submit
from tests.unit.auth.helpers import create_user, issue_token, load_user, redirect_path

PASSWORD = "correct horse battery"


def test_asking_for_a_change_keeps_the_old_address_until_confirmed(
    app: Flask, client: FlaskClient, auth
):
    user_id = create_user(app, username="ada", email="ada@example.com")
    auth.login("ada")

    response = submit(client, "/account/email", {"email": "Ada@Example.org", "password": PASSWORD})

    assert redirect_path(response) == "/account/"
    assert "We have sent a link to ada@example.org." in client.get("/account/").get_data(
        as_text=True
    )
    assert load_user(app, user_id).email == "ada@example.com"


def test_following_the_link_changes_the_address(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada", email="ada@example.com")
    auth.login("ada")
    token = issue_token(app, user_id, TokenPurpose.CHANGE_EMAIL, new_email="ada@example.org")

    response = client.get(f"/account/email/{token}")

    assert redirect_path(response) == "/account/"
    user = load_user(app, user_id)
    assert user.email == "ada@example.org"
    assert user.is_confirmed
    assert "Your email address is now ada@example.org." in client.get("/account/").get_data(
        as_text=True
    )


def test_the_link_cannot_be_used_twice(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada", email="ada@example.com")
    token = issue_token(app, user_id, TokenPurpose.CHANGE_EMAIL, new_email="ada@example.org")
    client.get(f"/account/email/{token}")

    response = client.get(f"/account/email/{token}")

    assert response.status_code == 400
    assert "This link has already been used." in response.get_data(as_text=True)


def test_an_address_taken_meanwhile_is_not_stolen(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada", email="ada@example.com")
    token = issue_token(app, user_id, TokenPurpose.CHANGE_EMAIL, new_email="grace@example.com")
    create_user(app, username="grace", email="grace@example.com")

    response = client.get(f"/account/email/{token}")

    assert response.status_code == 400
    assert "taken that email address" in response.get_data(as_text=True)
    assert load_user(app, user_id).email == "ada@example.com"


def test_a_wrong_password_is_refused(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com")
    auth.login("ada")

    response = submit(
        client, "/account/email", {"email": "ada@example.org", "password": "a wrong guess"}
    )

    assert response.status_code == 200
    assert "Your password is not correct." in response.get_data(as_text=True)


def test_an_address_another_account_uses_is_refused(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com")
    create_user(app, username="grace", email="grace@example.com")
    auth.login("ada")

    response = submit(
        client, "/account/email", {"email": "grace@example.com", "password": PASSWORD}
    )

    assert "An account with that email already exists." in response.get_data(as_text=True)


def test_the_current_address_is_refused(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com")
    auth.login("ada")

    response = submit(client, "/account/email", {"email": "ada@example.com", "password": PASSWORD})

    assert "That is already your email address." in response.get_data(as_text=True)


def test_an_address_taken_at_the_same_moment_is_not_stolen(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    user_id = create_user(app, username="ada", email="ada@example.com")
    token = issue_token(app, user_id, TokenPurpose.CHANGE_EMAIL, new_email="grace@example.com")
    create_user(app, username="grace", email="grace@example.com")
    # The check passes as if grace signed up a moment later; the unique index still says no.
    monkeypatch.setattr(accounts, "email_taken", lambda _email: False)

    response = client.get(f"/account/email/{token}")

    assert response.status_code == 400
    assert "taken that email address" in response.get_data(as_text=True)
    assert load_user(app, user_id).email == "ada@example.com"
