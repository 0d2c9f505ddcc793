"""Small helpers shared by the account tests: make users, read them back, follow redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.test import TestResponse

from folio_common.extensions import db
from folio_common.models import TokenPurpose, User
from folio_common.services import accounts
from tests.factories import UserFactory


def create_user(app: Flask, **attributes: Any) -> int:
    with app.app_context():
        user = UserFactory(**attributes)
        db.session.commit()
        return user.id


def load_user(app: Flask, user_id: int) -> User:
    """The user as stored now, detached so its attributes can be read outside the app context."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def find_user(app: Flask, identifier: str) -> User | None:
    with app.app_context():
        user = accounts.find_user(identifier)
        if user is not None:
            db.session.expunge(user)
        return user


def issue_token(
    app: Flask, user_id: int, purpose: TokenPurpose, new_email: str | None = None
) -> str:
    """The token a mailed link would carry, as the worker issues it."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        token = accounts.issue_token(user, purpose, new_email=new_email)
        db.session.commit()
        return token


def redirect_path(response: TestResponse) -> str:
    """Where a redirect points, as a path on this site (fails if it leaves the site)."""
    assert response.status_code in (302, 303), response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "folio.test"), response.headers["Location"]
    return location.path + (f"?{location.query}" if location.query else "")
