"""Failed log-ins are throttled per account and per address: the 11th failure in 15 minutes
gets 429; successful log-ins never count. Sign-ups and reset requests have modest limits too."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from folio_web import throttling
from tests.helpers import csrf_token, log_in, submit
from tests.unit.auth.helpers import create_user

PASSWORD = "correct horse battery"
LIMIT = 10


class Browser:
    """One visitor's client, posting the log-in form from a chosen address."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client, "/auth/login")

    def log_in(self, identifier: str, password: str, ip: str = "203.0.113.1") -> TestResponse:
        return log_in(
            self.client,
            identifier,
            password,
            token=self.token,
            environ_overrides={"REMOTE_ADDR": ip},
        )

    def fail(self, identifier: str, ip: str = "203.0.113.1") -> TestResponse:
        response = self.log_in(identifier, "a wrong guess", ip)
        assert response.status_code == 200, "a counted failure, not yet refused"
        return response


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def ada(app: Flask) -> int:
    return create_user(app, username="ada", email="ada@example.com")


def assert_throttled(response: TestResponse) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "<h1>429</h1>" in page
    assert "Too many attempts" in page


def test_the_eleventh_failure_for_an_account_is_refused_from_any_address(
    browser: Browser, ada: int
):
    for attempt in range(LIMIT):
        browser.fail("ada", ip=f"198.51.100.{attempt + 1}")

    assert_throttled(browser.log_in("ada", "a wrong guess", ip="192.0.2.77"))


def test_a_throttled_account_refuses_even_the_right_password(browser: Browser, ada: int):
    for _ in range(LIMIT):
        browser.fail("ada")

    assert_throttled(browser.log_in("ada", PASSWORD, ip="192.0.2.99"))


def test_username_and_email_count_against_the_same_account(browser: Browser, ada: int):
    for attempt in range(LIMIT):
        browser.fail("ada" if attempt % 2 else "ADA@example.com", ip=f"198.51.100.{attempt}")

    assert_throttled(browser.log_in("Ada", "a wrong guess", ip="192.0.2.1"))


def test_the_eleventh_failure_from_an_address_is_refused_whatever_the_account(
    browser: Browser, ada: int
):
    for attempt in range(LIMIT):
        browser.fail(f"someone{attempt}", ip="192.0.2.10")

    assert_throttled(browser.log_in("ada", PASSWORD, ip="192.0.2.10"))


def test_other_accounts_and_addresses_are_unaffected(app: Flask, browser: Browser, ada: int):
    create_user(app, username="grace")
    for _ in range(LIMIT):
        browser.fail("ada", ip="192.0.2.10")

    response = browser.log_in("grace", PASSWORD, ip="192.0.2.20")

    assert response.status_code == 302


def test_successful_logins_do_not_count(app: Flask, client: FlaskClient, auth, ada: int):
    browser = Browser(client)
    for _ in range(LIMIT - 1):
        browser.fail("ada")
    for _ in range(5):
        assert browser.log_in("ada", PASSWORD).status_code == 302
        auth.logout()
        browser = Browser(client)

    browser.fail("ada")
    assert_throttled(browser.log_in("ada", "a wrong guess"))


def test_form_errors_do_not_count(browser: Browser, ada: int):
    for _ in range(LIMIT + 2):
        assert browser.log_in("ada", "").status_code == 200

    assert browser.log_in("ada", PASSWORD).status_code == 302


def test_wrong_current_passwords_on_account_pages_count_too(client: FlaskClient, auth, ada: int):
    auth.login("ada")
    for _ in range(LIMIT):
        response = submit(
            client,
            "/account/password",
            {
                "current_password": "a wrong guess",
                "password": "a brand new passphrase",
                "password_confirm": "a brand new passphrase",
            },
        )
        assert response.status_code == 200

    assert_throttled(submit(client, "/account/email", {"email": "x@example.org", "password": "?"}))


class TestConfiguredLimit:
    @pytest.fixture
    def app_overrides(self) -> dict[str, object]:
        return {"LOGIN_FAILURE_LIMIT": "3 per 15 minutes"}

    def test_the_limit_comes_from_configuration(self, browser: Browser, ada: int):
        for _ in range(3):
            browser.fail("ada")

        assert_throttled(browser.log_in("ada", PASSWORD))


class TestLimitsSwitchedOff:
    @pytest.fixture
    def app_overrides(self) -> dict[str, object]:
        return {"RATELIMIT_ENABLED": False}

    def test_nothing_is_throttled(self, browser: Browser, ada: int):
        for _ in range(LIMIT + 1):
            browser.fail("ada")

        assert browser.log_in("ada", PASSWORD).status_code == 302


def test_sign_ups_are_limited_per_address(client: FlaskClient):
    token = csrf_token(client, "/auth/register")
    # Invalid sign-ups count as well: the limit is on attempts, not on accounts made.
    for _ in range(10):
        response = client.post("/auth/register", data={"csrf_token": token})
        assert response.status_code == 200

    assert_throttled(client.post("/auth/register", data={"csrf_token": token}))


def test_reset_requests_are_limited_per_mailbox(client: FlaskClient):
    token = csrf_token(client, "/auth/reset")
    for attempt in range(5):
        response = client.post(
            "/auth/reset",
            data={"email": "Ada@example.com", "csrf_token": token},
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{attempt}"},
        )
        assert response.status_code == 302

    assert_throttled(
        client.post(
            "/auth/reset",
            data={"email": "ada@example.com", "csrf_token": token},
            environ_overrides={"REMOTE_ADDR": "192.0.2.200"},
        )
    )


def test_reset_requests_are_limited_per_address(client: FlaskClient):
    token = csrf_token(client, "/auth/reset")
    for attempt in range(10):
        response = client.post(
            "/auth/reset", data={"email": f"person{attempt}@example.com", "csrf_token": token}
        )
        assert response.status_code == 302

    assert_throttled(
        client.post("/auth/reset", data={"email": "another@example.com", "csrf_token": token})
    )


def test_resending_the_confirmation_mail_is_limited(app: Flask, client: FlaskClient, auth):
    create_user(app, username="newbie", unconfirmed=True)
    auth.login("newbie")
    token = csrf_token(client, "/account/")
    for _ in range(5):
        response = client.post("/account/confirm/resend", data={"csrf_token": token})
        assert response.status_code == 302

    assert_throttled(client.post("/account/confirm/resend", data={"csrf_token": token}))


def test_unlookable_names_get_a_bucket_without_a_database_query(
    app: Flask, monkeypatch: pytest.MonkeyPatch
):
    def no_lookups(_identifier: str) -> None:
        raise AssertionError("looked up a name no account can have")

    monkeypatch.setattr(throttling, "find_user", no_lookups)
    with app.test_request_context():
        assert throttling.account_key("x" * 300) == f"name:{'x' * 254}"
        assert throttling.account_key("ada\x00") == "name:ada\x00"
        assert throttling.account_key(None) == "name:-"
