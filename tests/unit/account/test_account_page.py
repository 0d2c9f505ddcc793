"""The account page: what a signed-in user sees about their account, and the profile form."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from folio_common.extensions import db
from folio_common.models import RefreshToken, utcnow
from tests.helpers import csrf_token, submit
from tests.unit.auth.helpers import create_user, load_user, redirect_path


def test_the_account_page_needs_a_login(client: FlaskClient):
    response = client.get("/account/")

    assert redirect_path(response) == "/auth/login?next=%2Faccount%2F"


def test_the_account_page_summarises_the_account(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com", display_name="Ada Lovelace")
    auth.login("ada")

    page = client.get("/account/").get_data(as_text=True)

    assert "ada@example.com" in page
    assert "Ada Lovelace" in page
    assert "Your email address is confirmed." in page
    for link in ("/account/password", "/account/email", "/account/exports/", "/authors/ada"):
        assert f'href="{link}"' in page


def test_a_confirmed_user_asking_for_a_new_link_is_told_it_is_done(
    app: Flask, client: FlaskClient, auth
):
    create_user(app, username="ada")
    auth.login("ada")
    token = csrf_token(client, "/account/")

    response = client.post(
        "/account/confirm/resend", data={"csrf_token": token}, follow_redirects=True
    )

    assert "Your email address is already confirmed." in response.get_data(as_text=True)


def test_a_user_edits_their_profile(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    auth.login("ada")

    response = submit(
        client, "/account/profile", {"display_name": " Ada L. ", "bio": "I write about engines."}
    )

    assert redirect_path(response) == "/account/"
    user = load_user(app, user_id)
    assert user.display_name == "Ada L."
    assert user.bio == "I write about engines."


def test_the_profile_form_shows_what_is_saved(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", bio="Engines, mostly.")
    auth.login("ada")

    assert "Engines, mostly." in client.get("/account/profile").get_data(as_text=True)


def test_a_too_long_bio_is_refused(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    auth.login("ada")

    response = submit(client, "/account/profile", {"display_name": "", "bio": "x" * 501})

    assert response.status_code == 200
    assert "Field cannot be longer than 500 characters." in response.get_data(as_text=True)
    assert load_user(app, user_id).bio is None


def test_logging_out_everywhere_else_keeps_this_browser(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")
    other = app.test_client()
    token = csrf_token(other, "/auth/login")
    other.post(
        "/auth/login",
        data={"identifier": "ada", "password": "correct horse battery", "csrf_token": token},
    )
    assert other.get("/account/").status_code == 200

    response = submit(client, "/account/sessions/end", {}, form_path="/account/")

    assert redirect_path(response) == "/account/"
    assert client.get("/account/").status_code == 200
    assert redirect_path(other.get("/account/")).startswith("/auth/login")


def test_logging_out_everywhere_else_revokes_api_refresh_tokens(
    app: Flask, client: FlaskClient, auth
):
    user_id = create_user(app, username="ada")
    with app.app_context():
        expires = utcnow() + timedelta(days=1)
        db.session.add(RefreshToken(user_id=user_id, jti_hash="b" * 64, expires_at=expires))
        db.session.commit()
    auth.login("ada")

    submit(client, "/account/sessions/end", {}, form_path="/account/")

    with app.app_context():
        assert db.session.execute(db.select(RefreshToken)).scalar_one().revoked_at is not None
