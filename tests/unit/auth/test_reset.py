"""Resetting a forgotten password through a mailed link."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from folio_common.models import TokenPurpose
from tests.helpers import submit
from tests.unit.auth.helpers import create_user, issue_token, load_user, redirect_path

NEW_PASSWORD = "a brand new passphrase"


def reset_password(client: FlaskClient, token: str, password: str = NEW_PASSWORD) -> TestResponse:
    """Submit the reset form that the link with `token` opens, the password typed twice."""
    return submit(
        client, f"/auth/reset/{token}", {"password": password, "password_confirm": password}
    )


SAME_ANSWER = "If that address belongs to an account, we have sent it a link"


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_asking_for_a_link_answers_the_same_for_any_address(
    app: Flask, client: FlaskClient, email: str
):
    create_user(app, username="ada", email="ada@example.com")

    response = submit(client, "/auth/reset", {"email": email})

    assert redirect_path(response) == "/auth/login"
    assert SAME_ANSWER in client.get("/auth/login").get_data(as_text=True)


def test_asking_with_a_malformed_address_is_explained(client: FlaskClient):
    response = submit(client, "/auth/reset", {"email": "not-an-address"})

    assert response.status_code == 200
    assert "That does not look like an email address." in response.get_data(as_text=True)


def test_following_the_link_sets_a_new_password(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    token = issue_token(app, user_id, TokenPurpose.RESET)

    response = reset_password(client, token)

    assert redirect_path(response) == "/auth/login"
    assert "do not match" in auth.login("ada").get_data(as_text=True)
    assert redirect_path(auth.login("ada", NEW_PASSWORD)) == "/"


def test_a_reset_logs_out_every_session(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    auth.login("ada")
    elsewhere = app.test_client()
    token = issue_token(app, user_id, TokenPurpose.RESET)

    reset_password(elsewhere, token)

    assert redirect_path(client.get("/account/")).startswith("/auth/login")


def test_a_reset_link_works_only_once(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada")
    token = issue_token(app, user_id, TokenPurpose.RESET)
    reset_password(client, token)

    response = reset_password(client, token, "yet another one")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This link has already been used." in page
    assert 'href="/auth/reset"' in page


def test_a_short_new_password_is_refused_and_the_link_stays_usable(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada")
    token = issue_token(app, user_id, TokenPurpose.RESET)
    before = load_user(app, user_id).password_hash

    response = reset_password(client, token, "short")

    assert response.status_code == 200
    assert "Passwords need 10 to 256 characters." in response.get_data(as_text=True)
    assert load_user(app, user_id).password_hash == before
    again = reset_password(client, token)
    assert redirect_path(again) == "/auth/login"


def test_a_confirmation_link_cannot_reset_a_password(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada")
    token = issue_token(app, user_id, TokenPurpose.CONFIRM)

    response = reset_password(client, token)

    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)
