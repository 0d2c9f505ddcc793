"""What tests do as a user would: read a form's CSRF token, post forms, sign in; and waiting for
what happens elsewhere (a worker, a container) without sleeping blindly.

Three ways to be signed in, one helper each: through the log-in form (`log_in`, and `auth` in
tests/conftest.py on top of it), by writing the session Flask-Login reads when the form is not
what a test is about (`log_in_session`), and with API tokens (`api_sign_in`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from folio_common.extensions import db
from folio_common.models import User
from folio_common.services import accounts
from tests.factories import DEFAULT_PASSWORD

T = TypeVar("T")

# The token in WTForms' hidden_tag() and in hand-written inputs, whatever the attributes' order.
CSRF_PATTERN = re.compile(r'<input(?=[^>]*name="csrf_token")[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str, **get: Any) -> str:
    """The CSRF token from the form at `path`, as a browser would submit it."""
    page = client.get(path, **get)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form at {path} (status {page.status_code})"
    return match.group(1)


def submit(
    client: FlaskClient, path: str, data: dict[str, Any], form_path: str | None = None, **kw: Any
) -> TestResponse:
    """POST `data` to `path` with the CSRF token of the form at `form_path` (default: `path`)."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, **kw)


def registration(
    username: str, password: str = DEFAULT_PASSWORD, email: str | None = None
) -> dict[str, str]:
    """The registration form's fields as a visitor fills them: the password typed twice."""
    email = email or f"{username}@example.com"
    return {
        "username": username,
        "email": email,
        "password": password,
        "password_confirm": password,
    }


def log_in(
    client: FlaskClient,
    identifier: str,
    password: str = DEFAULT_PASSWORD,
    *,
    remember: bool = False,
    token: str | None = None,
    form: dict[str, str] | None = None,
    **post: Any,
) -> TestResponse:
    """Post the log-in form; `token` reuses one already read, `form` adds fields (e.g. next),
    and `post` goes to the request (query_string, base_url, headers, environ_overrides)."""
    if token is None:
        token = csrf_token(client, "/auth/login", base_url=post.get("base_url"))
    data = {"identifier": identifier, "password": password, "csrf_token": token, **(form or {})}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data, **post)


class AuthActions:
    """The `auth` fixture: one browser signing in and out through the forms."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(
        self, identifier: str, password: str = DEFAULT_PASSWORD, remember: bool = False
    ) -> TestResponse:
        return log_in(self._client, identifier, password, remember=remember)

    def logout(self) -> TestResponse:
        token = csrf_token(self._client, "/account/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


def log_in_session(app: Flask, client: FlaskClient, user_id: int) -> None:
    """Sign the user in by writing the session Flask-Login reads, without the log-in form."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        accounts.start_login_session(user)
        db.session.commit()
        session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def assert_sent_to_log_in(response: TestResponse) -> None:
    """A visitor who is not signed in is redirected to the log-in form."""
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def api_sign_in(
    client: FlaskClient, username: str, password: str = DEFAULT_PASSWORD
) -> TestResponse:
    """Ask the API for an access and a refresh token."""
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password})


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Call `condition` until it returns something truthy and return that; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
