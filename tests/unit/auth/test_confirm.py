"""Confirming an address by following the mailed link."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from folio_common.models import TokenPurpose
from tests.helpers import csrf_token
from tests.unit.auth.helpers import create_user, issue_token, load_user, redirect_path


def test_following_the_link_confirms_the_address(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada", unconfirmed=True)
    auth.login("ada")
    token = issue_token(app, user_id, TokenPurpose.CONFIRM)

    response = client.get(f"/auth/confirm/{token}")

    assert redirect_path(response) == "/account/"
    assert load_user(app, user_id).is_confirmed
    page = client.get("/account/").get_data(as_text=True)
    assert "your email address is confirmed" in page
    assert "Send the link again" not in page


def test_the_link_works_without_being_logged_in(app: Flask, client: FlaskClient):
    user_id = create_user(app, unconfirmed=True)
    token = issue_token(app, user_id, TokenPurpose.CONFIRM)

    response = client.get(f"/auth/confirm/{token}")

    assert redirect_path(response) == "/auth/login"
    assert load_user(app, user_id).is_confirmed


def test_a_link_works_only_once(app: Flask, client: FlaskClient):
    user_id = create_user(app, unconfirmed=True)
    token = issue_token(app, user_id, TokenPurpose.CONFIRM)
    client.get(f"/auth/confirm/{token}")

    response = client.get(f"/auth/confirm/{token}")

    assert response.status_code == 400
    assert "This link has already been used." in response.get_data(as_text=True)


def test_a_tampered_link_is_refused(app: Flask, client: FlaskClient):
    user_id = create_user(app, unconfirmed=True)
    token = issue_token(app, user_id, TokenPurpose.CONFIRM)

    response = client.get(f"/auth/confirm/{token[:-2]}xx")

    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)
    assert not load_user(app, user_id).is_confirmed


def test_a_reset_link_does_not_confirm(app: Flask, client: FlaskClient):
    user_id = create_user(app, unconfirmed=True)
    token = issue_token(app, user_id, TokenPurpose.RESET)

    response = client.get(f"/auth/confirm/{token}")

    assert response.status_code == 400
    assert not load_user(app, user_id).is_confirmed


def test_an_unconfirmed_user_can_ask_for_a_new_link(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com", unconfirmed=True)
    auth.login("ada")

    token = csrf_token(client, "/account/")
    response = client.post(
        "/account/confirm/resend", data={"csrf_token": token}, follow_redirects=True
    )

    assert "We have sent a new confirmation link to ada@example.com." in response.get_data(
        as_text=True
    )
