"""Every form that changes an account refuses a POST without a valid CSRF token."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from folio_common.extensions import db
from folio_common.models import TokenPurpose, User
from tests.helpers import registration
from tests.unit.auth.helpers import create_user, issue_token, load_user

SIGNED_IN_FORMS = {
    "/auth/logout": {},
    "/account/confirm/resend": {},
    "/account/sessions/end": {},
    "/account/password": {
        "current_password": "correct horse battery",
        "password": "a brand new passphrase",
        "password_confirm": "a brand new passphrase",
    },
    "/account/email": {"email": "ada@example.org", "password": "correct horse battery"},
    "/account/profile": {"display_name": "Forged", "bio": "Forged"},
}


@pytest.fixture
def ada(app: Flask, auth) -> int:
    user_id = create_user(app, username="ada", email="ada@example.com")
    auth.login("ada")
    return user_id


@pytest.mark.parametrize("path", sorted(SIGNED_IN_FORMS))
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_signed_in_forms_refuse_a_missing_or_forged_token(
    app: Flask, client: FlaskClient, ada: int, path: str, token: str | None
):
    before = load_user(app, ada)
    data = dict(SIGNED_IN_FORMS[path])
    if token:
        data["csrf_token"] = token

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert "<h1>400</h1>" in response.get_data(as_text=True)
    after = load_user(app, ada)
    assert (after.session_version, after.password_hash, after.display_name) == (
        before.session_version,
        before.password_hash,
        before.display_name,
    )
    assert client.get("/account/").status_code == 200, "still signed in"


def test_registration_refuses_a_missing_token(app: Flask, client: FlaskClient):
    response = client.post(
        "/auth/register",
        data=registration("mallory"),
    )

    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None


def test_login_refuses_a_missing_token(app: Flask, client: FlaskClient):
    # Without the token a third-party page could sign a visitor into the attacker's account.
    create_user(app, username="mallory")

    response = client.post(
        "/auth/login", data={"identifier": "mallory", "password": "correct horse battery"}
    )

    assert response.status_code == 400
    assert client.get("/account/").status_code == 302


def test_reset_request_refuses_a_missing_token(client: FlaskClient):
    assert client.post("/auth/reset", data={"email": "ada@example.com"}).status_code == 400


def test_password_reset_refuses_a_missing_token(app: Flask, client: FlaskClient):
    user_id = create_user(app, username="ada")
    token = issue_token(app, user_id, TokenPurpose.RESET)
    before = load_user(app, user_id).password_hash

    response = client.post(
        f"/auth/reset/{token}",
        data={"password": "a brand new passphrase", "password_confirm": "a brand new passphrase"},
    )

    assert response.status_code == 400
    assert load_user(app, user_id).password_hash == before
