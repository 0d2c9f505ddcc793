"""Logging in with a username or email, with or without "keep me logged in", and logging out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from folio_common import passwords
from folio_common.extensions import db
from folio_common.models import RefreshToken, User, utcnow
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import AuthActions, csrf_token, submit
from tests.unit.auth.helpers import create_user, load_user, redirect_path


def test_a_user_logs_in_with_their_username_in_any_case(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")

    response = auth.login("ADA")

    assert redirect_path(response) == "/"
    assert client.get("/account/").status_code == 200


def test_a_user_logs_in_with_their_email(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", email="ada@example.com")

    auth.login(" Ada@Example.com ")

    assert client.get("/account/").status_code == 200


def test_a_wrong_password_re_renders_the_form(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")

    response = auth.login("ada", "not the password")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "do not match an account" in page
    assert 'value="ada"' in page
    assert redirect_path(client.get("/account/")).startswith("/auth/login")


def test_an_unknown_user_gets_the_same_answer(client: FlaskClient, auth):
    response = auth.login("nobody", "not the password")

    assert response.status_code == 200
    assert "do not match an account" in response.get_data(as_text=True)


def test_empty_fields_are_explained(client: FlaskClient):
    response = submit(client, "/auth/login", {"identifier": "", "password": ""})

    page = response.get_data(as_text=True)
    assert "Please enter your username or email address." in page
    assert "Please enter your password." in page


def test_a_deactivated_user_is_refused_with_a_reason(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada", active=False)

    response = auth.login("ada")

    assert response.status_code == 200
    assert "This account has been deactivated" in response.get_data(as_text=True)
    assert redirect_path(client.get("/account/")).startswith("/auth/login")


def test_login_follows_a_local_next(app: Flask, client: FlaskClient):
    create_user(app, username="ada")
    token = csrf_token(client, "/auth/login?next=/account/password")

    response = client.post(
        "/auth/login?next=/account/password",
        data={"identifier": "ada", "password": "correct horse battery", "csrf_token": token},
    )

    assert redirect_path(response) == "/account/password"


def test_the_login_form_carries_next_along(client: FlaskClient):
    page = client.get("/auth/login?next=/account/").get_data(as_text=True)

    assert 'name="next" type="hidden" value="/account/"' in page


def test_a_signed_in_user_visiting_login_is_sent_on(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada")

    assert redirect_path(client.get("/auth/login?next=/account/")) == "/account/"


def test_without_remember_me_no_remember_cookie_is_set(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")

    auth.login("ada")

    assert client.get_cookie("remember_token", domain="folio.test") is None


def test_remember_me_survives_the_browser_closing(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada", remember=True)
    assert client.get_cookie("remember_token", domain="folio.test") is not None

    # Closing the browser drops the session cookie and keeps the persistent one.
    client.delete_cookie("session", domain="folio.test")

    assert client.get("/account/").status_code == 200


def test_logout_signs_the_user_out(app: Flask, client: FlaskClient, auth):
    create_user(app, username="ada")
    auth.login("ada", remember=True)

    response = auth.logout()

    assert redirect_path(response) == "/auth/login"
    assert client.get_cookie("remember_token", domain="folio.test") is None
    assert redirect_path(client.get("/account/")).startswith("/auth/login")


def test_logout_ends_this_browser_only(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    with app.app_context():
        expires = utcnow() + timedelta(days=1)
        db.session.add(RefreshToken(user_id=user_id, jti_hash="a" * 64, expires_at=expires))
        db.session.commit()
    other = app.test_client()
    AuthActions(other).login("ada", remember=True)
    auth.login("ada")

    auth.logout()

    # The other browser and the API client stay signed in: that is "log out everywhere".
    assert other.get("/account/").status_code == 200
    other.delete_cookie("session", domain="folio.test")
    assert other.get("/account/").status_code == 200
    assert load_user(app, user_id).session_version == 1
    with app.app_context():
        token = db.session.execute(db.select(RefreshToken)).scalar_one()
        assert token.revoked_at is None


@pytest.mark.parametrize(
    ("cookie", "remember"),
    [("session", False), ("remember_token", True)],
    ids=["session", "remember"],
)
def test_a_cookie_copied_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient, auth, cookie: str, remember: bool
):
    create_user(app, username="ada")
    auth.login("ada", remember=remember)
    stolen = client.get_cookie(cookie, domain="folio.test")
    assert stolen is not None

    auth.logout()
    thief = app.test_client()
    thief.set_cookie(cookie, stolen.value, domain="folio.test")

    assert redirect_path(thief.get("/account/")).startswith("/auth/login")


def test_logging_out_while_logged_out_is_harmless(client: FlaskClient):
    token = csrf_token(client, "/auth/login")

    response = client.post("/auth/logout", data={"csrf_token": token})

    assert redirect_path(response) == "/auth/login"


def test_a_deactivated_user_loses_their_session(app: Flask, client: FlaskClient, auth):
    user_id = create_user(app, username="ada")
    auth.login("ada")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.active = False
        db.session.commit()

    assert redirect_path(client.get("/account/")).startswith("/auth/login")


def test_an_identifier_with_control_characters_is_refused_politely(client: FlaskClient):
    response = submit(client, "/auth/login", {"identifier": "ada\x00", "password": "whatever!!"})

    assert response.status_code == 200
    assert "Usernames and emails are printable text." in response.get_data(as_text=True)


def test_logging_in_upgrades_a_hash_made_with_older_argon2_parameters(
    app: Flask, client: FlaskClient, auth
):
    older = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1)
    user_id = create_user(app, username="ada")
    with app.app_context():
        user = db.session.get(User, user_id)
        user.password_hash = older.hash(DEFAULT_PASSWORD)
        db.session.commit()
    assert passwords.needs_rehash(load_user(app, user_id).password_hash)

    auth.login("ada")

    upgraded = load_user(app, user_id).password_hash
    assert not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, DEFAULT_PASSWORD)


def test_the_request_log_names_the_user_but_not_their_log_in_key(
    app: Flask, client: FlaskClient, auth, caplog
):
    user_id = create_user(app, username="ada")
    auth.login("ada")

    with caplog.at_level("INFO", logger="folio.request"):
        client.get("/account/")

    (record,) = [r for r in caplog.records if getattr(r, "path", "") == "/account/"]
    assert record.user_id == user_id
    with client.session_transaction() as session:
        key = session["_user_id"].rsplit(":", 1)[1]
    assert key and key not in str(record.__dict__)
