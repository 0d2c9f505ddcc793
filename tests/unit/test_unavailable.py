"""With the database away every answer is a branded 503 (problem+json on the API), never a 500,
and a form gets back what was typed; with the cache's Redis away, writes still succeed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis.exceptions import ConnectionError as RedisConnectionError

from folio_common import passwords
from folio_common.config import Settings
from folio_common.extensions import cache, db
from folio_common.models import Post
from folio_common.services import content_cache, posts
from folio_web import create_app
from tests.conftest import fast_env
from tests.factories import UserFactory
from tests.helpers import csrf_token, registration


@pytest.fixture
def down_app(tmp_path: Path) -> Iterator[Flask]:
    """The web app on a database that cannot be opened, as if Postgres were down."""
    env = {**fast_env(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"}
    app = create_app(Settings.from_env(env, instance_path=str(tmp_path)), WTF_CSRF_ENABLED=False)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def down_client(down_app: Flask) -> FlaskClient:
    return down_app.test_client()


def test_a_page_answers_a_branded_503_with_retry_after(down_client):
    response = down_client.get("/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Temporarily unavailable" in page and "cannot reach its database" in page
    assert "Traceback" not in page


def test_the_api_answers_problem_json_503(down_client):
    response = down_client.get("/api/v1/posts")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    # At least the outage's 30 s; the rate limiter may ask for longer (its window's reset).
    assert int(response.headers["Retry-After"]) >= 30
    problem = json.loads(response.get_data())
    assert problem["status"] == 503 and "database" in problem["detail"]


def test_a_signed_in_visitor_gets_the_503_too_not_a_500(down_client):
    with down_client.session_transaction() as session:
        session["_user_id"] = "1:0:a-log-in-key"

    response = down_client.get("/account/")

    assert response.status_code == 503


def test_a_form_that_cannot_be_saved_gives_back_what_was_typed_but_no_password(down_client):
    response = down_client.post(
        "/auth/register",
        data=registration("patient_reader", "secret typed once", "patient@example.com"),
    )

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'value="patient_reader"' in page and 'value="patient@example.com"' in page
    assert 'action="/auth/register"' in page
    assert "secret typed once" not in page
    assert 'type="password" name="password"' in page


def test_a_long_post_body_comes_back_in_a_textarea(down_client):
    body = "A first line.\n\n" + "Words worth keeping. " * 20
    with down_client.session_transaction() as session:
        session["_user_id"] = "1:0:a-log-in-key"

    response = down_client.post("/write", data={"title": "Kept", "body": body})

    # /write needs a signed-in author: that check itself needs the database, so it is a 503.
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<textarea" in page and "Words worth keeping." in page


def test_error_pages_send_no_query(app, client):
    statements: list[str] = []
    with app.app_context():
        from sqlalchemy import event

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with client.session_transaction() as session:
                session["_user_id"] = "1:0:a-log-in-key"
            assert client.get("/no/such/page").status_code == 404
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    assert statements == []


class BrokenCache:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.real_set = cache.set
        self.down()

    @staticmethod
    def _refuse(*_args: object, **_kwargs: object) -> None:
        raise RedisConnectionError("Error 111 connecting to cache:6379. Connection refused.")

    def down(self) -> None:
        self.monkeypatch.setattr(cache, "set", self._refuse)
        self.monkeypatch.setattr(cache, "get", self._refuse)

    def up(self) -> None:
        self.monkeypatch.undo()


def test_publishing_succeeds_while_the_cache_is_away_and_pages_refresh_after(app_ctx, monkeypatch):
    author = UserFactory()
    db.session.commit()
    before = content_cache.current_version()
    broken = BrokenCache(monkeypatch)

    post = posts.create_post(author, "Written in an outage", "Body.", status="published")
    db.session.commit()

    assert db.session.get(Post, post.id) is not None
    assert content_cache.current_version() == content_cache.UNAVAILABLE
    broken.up()
    # The bump missed during the outage happens once the cache answers again.
    assert content_cache.current_version() not in (before, content_cache.UNAVAILABLE)


def test_the_tag_list_is_counted_afresh_while_the_cache_is_away(app_ctx, monkeypatch):
    author = UserFactory()
    db.session.commit()
    posts.create_post(author, "Tagged in an outage", "Body.", tags="outage", status="published")
    db.session.commit()
    BrokenCache(monkeypatch)

    counts = posts.tags_with_counts()

    assert [(tag.slug, tag.posts) for tag in counts] == [("outage", 1)]


def test_a_sign_up_that_waits_too_long_to_hash_gets_a_503_that_keeps_the_form(client, monkeypatch):
    # Every hashing slot is held (other sign-ups on a starved CPU) past the wait allowed.
    monkeypatch.setattr(passwords, "HASHING_WAIT_SECONDS", 0.05)
    token = csrf_token(client, "/auth/register")
    held = [passwords._HASHING_SLOTS.acquire(timeout=1) for _ in range(2)]
    try:
        response = client.post(
            "/auth/register",
            data={"csrf_token": token, **registration("patient", "long enough password")},
        )
    finally:
        for _ in filter(None, held):
            passwords._HASHING_SLOTS.release()

    assert response.status_code == 503
    # At least 30 s; the sign-up rate limiter may ask for longer (its window's reset).
    assert int(response.headers["Retry-After"]) >= 30
    page = response.get_data(as_text=True)
    assert "too busy" in page and 'value="patient@example.com"' in page
    assert "long enough password" not in page
