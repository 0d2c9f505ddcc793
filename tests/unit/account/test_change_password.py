"""Changing the password from the account page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import log_in, submit
from tests.unit.auth.helpers import create_user, load_user, redirect_path

NEW_PASSWORD = "a brand new passphrase"
CHANGE = {
    "current_password": "correct horse battery",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
}


def log_in_elsewhere(app: Flask, identifier: str) -> FlaskClient:
    other = app.test_client()
    log_in(other, identifier)
    assert other.get("/account/").status_code == 200
    return other


def test_changing_the_password_keeps_this_browser_signed_in(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")

    response = submit(client, "/account/password", CHANGE)

    assert redirect_path(response) == "/account/"
    assert client.get("/account/").status_code == 200


def test_changing_the_password_logs_out_other_browsers(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")
    other = log_in_elsewhere(app, "ada")

    submit(client, "/account/password", CHANGE)

    assert redirect_path(other.get("/account/")).startswith("/auth/login")


def test_the_new_password_works_and_the_old_one_does_not(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")
    submit(client, "/account/password", CHANGE)
    auth.logout()

    assert "do not match" in auth.login("ada").get_data(as_text=True)
    assert redirect_path(auth.login("ada", NEW_PASSWORD)) == "/"


def test_remember_me_is_kept_across_a_password_change(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada", remember=True)

    submit(client, "/account/password", CHANGE)
    client.delete_cookie("session", domain="folio.test")

    assert client.get("/account/").status_code == 200


def test_a_wrong_current_password_changes_nothing(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    auth.login("ada")
    before = load_user(app, user_id)

    response = submit(client, "/account/password", {**CHANGE, "current_password": "a guess!!"})

    assert response.status_code == 200
    assert "Your current password is not correct." in response.get_data(as_text=True)
    after = load_user(app, user_id)
    assert after.password_hash == before.password_hash
    assert after.session_version == before.session_version


def test_a_mismatched_confirmation_is_explained(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")

    response = submit(client, "/account/password", {**CHANGE, "password_confirm": "different!!"})

    assert "The two passwords are not the same." in response.get_data(as_text=True)


def test_the_password_page_needs_a_login(client: FlaskClient):
    assert redirect_path(client.get("/account/password")).startswith("/auth/login")
