"""Helpers for the blog and admin stories: committed rows and signed-in test users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session

from folio_common.extensions import db
from folio_common.models import User
from tests.factories import UserFactory
from tests.helpers import log_in_session, submit


@pytest.fixture
def committed(app: Flask) -> Callable[[], AbstractContextManager[scoped_session]]:
    """`with committed(): ...` creates rows in their own app context and commits them.

    Attributes loaded before the commit stay readable afterwards, so a test can use
    `user.username` or `post.slug` without an app context of its own; each request then
    gets a fresh session, as it would in production.
    """

    @contextmanager
    def session() -> Iterator[scoped_session]:
        with app.app_context():
            db.session().expire_on_commit = False
            yield db.session
            db.session.commit()

    return session


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[[User], None]:
    """Sign `user` in by writing the session Flask-Login reads, without the login form."""
    return lambda user: log_in_session(app, client, user.id)


@pytest.fixture
def author(committed, login_as) -> User:
    """A signed-in author, "ada"."""
    with committed():
        user = UserFactory(username="ada")
    login_as(user)
    return user


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., object]:
    """POST `data` to `path` with the CSRF token a browser has from `form_path`.

    Any page a signed-in user sees carries a token (the logout button), so "/" is the default.
    """

    def post(path: str, data: dict[str, str] | None = None, form_path: str = "/", **kwargs):
        return submit(client, path, data or {}, form_path, **kwargs)

    return post
