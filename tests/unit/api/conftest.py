"""Fixtures for the API tests: people with accounts, and a client that speaks bearer tokens.

Modules marked ON_BOTH_DATABASES run the same contract on Postgres and Redis too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from folio_common.extensions import db
from folio_common.models import User
from folio_common.services.posts import get_or_create_tags
from tests.factories import PostFactory, UserFactory
from tests.helpers import api_sign_in

PROBLEM = "application/problem+json"

# `pytestmark = ON_BOTH_DATABASES`: each test also runs on the integration tier's PostgreSQL,
# Redis and Celery worker (tests/integration/backend.py), as a test of that tier.
ON_BOTH_DATABASES = pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)


@dataclass
class Person:
    id: int
    username: str
    access: str = ""
    refresh: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    @property
    def refresh_bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.refresh}"}


def assert_problem(response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


@pytest.fixture
def make_person(app: Flask, client: FlaskClient) -> Callable[..., Person]:
    """Create a user (factory traits as keywords) and, if they may, sign them in."""

    def make(sign_in_now: bool = True, **traits: Any) -> Person:
        with app.app_context():
            user = UserFactory(**traits)
            db.session.commit()
            person = Person(user.id, user.username)
        if sign_in_now:
            tokens = api_sign_in(client, person.username).get_json()
            person.access, person.refresh = tokens["access_token"], tokens["refresh_token"]
        return person

    return make


@pytest.fixture
def author(make_person: Callable[..., Person]) -> Person:
    return make_person()


@pytest.fixture
def reader(make_person: Callable[..., Person]) -> Person:
    return make_person(reader=True)


@pytest.fixture
def admin(make_person: Callable[..., Person]) -> Person:
    return make_person(admin=True)


@pytest.fixture
def make_post(app: Flask) -> Callable[..., int]:
    """Create a post by `author` (a Person) and return its id."""

    def make(author: Person, tags: tuple[str, ...] = (), **fields: Any) -> int:
        with app.app_context():
            post = PostFactory(author=db.session.get(User, author.id), **fields)
            post.tags = get_or_create_tags(tags)
            db.session.commit()
            return post.id

    return make
