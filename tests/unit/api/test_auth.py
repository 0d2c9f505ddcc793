"""Getting, refreshing and giving up API tokens; what makes a token stop working."""

from __future__ import annotations

from datetime import timedelta

from flask_jwt_extended import create_access_token
from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import RefreshToken, User
from folio_common.services import accounts
from tests.helpers import api_sign_in, log_in_session
from tests.unit.api.conftest import ON_BOTH_DATABASES, assert_problem

pytestmark = ON_BOTH_DATABASES


def test_a_confirmed_author_gets_an_access_and_a_refresh_token(client, make_person):
    person = make_person(sign_in_now=False)
    response = api_sign_in(client, person.username)
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == person.username


def test_signing_in_by_email_works_too(client, make_person):
    person = make_person(sign_in_now=False)
    assert api_sign_in(client, f"{person.username}@example.com").status_code == 201


def test_refresh_tokens_are_stored_only_as_hashes(app, author):
    with app.app_context():
        stored = db.session.execute(select(RefreshToken.jti_hash)).scalars().all()
    assert len(stored) == 1
    assert stored[0] not in author.refresh


def test_a_wrong_password_is_401_with_a_bearer_challenge(client, make_person):
    person = make_person(sign_in_now=False)
    response = api_sign_in(client, person.username, "not the password")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unconfirmed_accounts_get_no_tokens(client, make_person):
    person = make_person(sign_in_now=False, unconfirmed=True)
    assert "Confirm" in assert_problem(api_sign_in(client, person.username), 403)["detail"]


def test_deactivated_accounts_get_no_tokens(client, make_person):
    person = make_person(sign_in_now=False, active=False)
    assert_problem(api_sign_in(client, person.username), 403)


def test_failed_attempts_are_throttled_after_ten(client, make_person):
    person = make_person(sign_in_now=False)
    for _ in range(10):
        assert api_sign_in(client, person.username, "wrong password!").status_code == 401
    response = api_sign_in(client, person.username)
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0


def test_refreshing_rotates_the_refresh_token(client, author):
    response = client.post("/api/v1/auth/refresh", headers=author.refresh_bearer)
    assert response.status_code == 201
    fresh = response.get_json()
    assert fresh["refresh_token"] != author.refresh
    again = client.post("/api/v1/auth/refresh", headers=author.refresh_bearer)
    assert_problem(again, 401)
    next_round = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {fresh['refresh_token']}"}
    )
    assert next_round.status_code == 201


def test_an_access_token_cannot_refresh_and_a_refresh_token_cannot_read(client, author):
    assert_problem(client.post("/api/v1/auth/refresh", headers=author.bearer), 401)
    assert_problem(client.get("/api/v1/me", headers=author.refresh_bearer), 401)


def test_logout_revokes_the_refresh_token_at_once(client, author):
    assert client.post("/api/v1/auth/logout", headers=author.refresh_bearer).status_code == 204
    response = client.post("/api/v1/auth/refresh", headers=author.refresh_bearer)
    assert "revoked" in assert_problem(response, 401)["detail"]


def test_logout_everywhere_refuses_every_token_of_the_account(client, make_person):
    person = make_person()
    other_device = api_sign_in(client, person.username).get_json()
    response = client.post("/api/v1/auth/logout-everywhere", headers=person.bearer)
    assert response.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=person.bearer), 401)
    other = {"Authorization": f"Bearer {other_device['refresh_token']}"}
    assert_problem(client.post("/api/v1/auth/refresh", headers=other), 401)


def test_deactivating_a_user_refuses_their_tokens_at_once(app, client, author):
    with app.app_context():
        accounts.set_active(db.session.get(User, author.id), False)
        db.session.commit()
    body = assert_problem(client.get("/api/v1/me", headers=author.bearer), 401)
    assert "no longer valid" in body["detail"]
    assert_problem(client.post("/api/v1/auth/refresh", headers=author.refresh_bearer), 401)


def test_ending_all_sessions_on_the_web_refuses_access_tokens(app, client, author):
    with app.app_context():
        accounts.end_all_sessions(db.session.get(User, author.id))
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=author.bearer), 401)


def test_an_expired_access_token_is_refused(app, client, author):
    with app.app_context():
        user = db.session.get(User, author.id)
        token = create_access_token(
            identity=user,
            additional_claims={"sv": user.session_version},
            expires_delta=timedelta(seconds=-60),
        )
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert "expired" in assert_problem(response, 401)["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_forged_token_is_refused(client, author):
    forged = author.access[:-4] + ("AAAA" if not author.access.endswith("AAAA") else "BBBB")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_garbage_in_the_authorization_header_is_401(client):
    for value in ("Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer a b"):
        assert_problem(client.get("/api/v1/me", headers={"Authorization": value}), 401)


def test_a_session_cookie_alone_is_never_accepted(app, client, make_person):
    person = make_person(sign_in_now=False)
    log_in_session(app, client, person.id)
    assert client.get("/account/").status_code == 200  # the web app does accept the cookie
    response = client.get("/api/v1/me")
    assert_problem(response, 401)


def test_api_posts_need_no_csrf_token(client, author):
    response = client.post(
        "/api/v1/posts",
        json={"title": "No CSRF here", "body": "Bearer only."},
        headers=author.bearer,
    )
    assert response.status_code == 201
