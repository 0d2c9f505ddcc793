"""What the app offers to nginx's micro-cache (X-Accel-Expires), and what it never does."""

from __future__ import annotations

import pytest

from folio_common.config import ConfigError, Settings
from folio_common.extensions import db
from folio_common.models import PostStatus
from tests.conftest import built_app
from tests.factories import PostFactory, UserFactory
from tests.helpers import api_sign_in

EXPIRES = "X-Accel-Expires"


pytestmark = pytest.mark.settings(EDGE_CACHE_SECONDS="2")


@pytest.fixture
def content(app):
    with app.app_context():
        author = UserFactory(username="edgeauthor")
        published = PostFactory(author=author, title="Shared with everyone")
        draft = PostFactory(author=author, title="Not yet", status=PostStatus.DRAFT)
        db.session.commit()
        return {
            "slug": published.slug,
            "id": published.id,
            "draft": draft.id,
            "author": author.username,
        }


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/tags",
        "/search?q=shared",
        "/api/v1/posts",
        "/api/v1/tags",
        "/api/v1/users/edgeauthor",
    ],
)
def test_anonymous_reads_are_offered_to_the_edge_cache(client, content, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers[EXPIRES] == "2"


def test_a_post_and_its_api_twin_are_offered(client, content):
    assert client.get(f"/posts/{content['slug']}").headers[EXPIRES] == "2"
    assert client.get(f"/api/v1/posts/{content['id']}").headers[EXPIRES] == "2"
    assert client.head(f"/api/v1/posts/{content['id']}").headers[EXPIRES] == "2"


def test_a_shared_api_answer_carries_no_rate_limit_counters(client, content):
    shared = client.get("/api/v1/posts")
    assert EXPIRES in shared.headers
    assert not [name for name, _ in shared.headers.items() if name.startswith("X-RateLimit")]
    assert "Retry-After" not in shared.headers
    # The same endpoint for a signed-in caller keeps its own counters and is not shared.
    token = api_sign_in(client, content["author"]).get_json()["access_token"]
    personal = client.get("/api/v1/posts", headers={"Authorization": f"Bearer {token}"})
    assert personal.status_code == 200
    assert EXPIRES not in personal.headers
    assert "X-RateLimit-Remaining" in personal.headers


def test_requests_with_a_cookie_are_never_offered(client, content):
    client.set_cookie("theme", "dark", domain="folio.test")
    response = client.get("/")
    assert response.status_code == 200
    assert EXPIRES not in response.headers


def test_signed_in_pages_are_never_offered(client, auth, content):
    auth.login(content["author"])
    home = client.get("/")
    assert home.status_code == 200
    assert "Log out" in home.get_data(as_text=True)
    assert EXPIRES not in home.headers


@pytest.mark.parametrize(
    "path",
    [
        "/posts/no-such-post",
        "/api/v1/posts/999999",
        "/auth/login",
        "/healthz",
        "/api/v1/openapi.json",
    ],
)
def test_errors_forms_and_other_pages_are_not_offered(client, content, path):
    assert EXPIRES not in client.get(path).headers


def test_a_draft_is_not_offered_to_anyone(client, content):
    assert client.get(f"/api/v1/posts/{content['draft']}").status_code == 404
    token = api_sign_in(client, content["author"]).get_json()["access_token"]
    mine = client.get(
        f"/api/v1/posts/{content['draft']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200
    assert EXPIRES not in mine.headers


def test_writes_are_not_offered(client, content):
    response = client.post("/api/v1/posts", json={"title": "x", "body": "y"})
    assert response.status_code == 401
    assert EXPIRES not in response.headers


def test_zero_turns_the_edge_cache_off(app_env, tmp_path):
    settings = Settings.from_env({**app_env, "EDGE_CACHE_SECONDS": "0"}, str(tmp_path))
    with built_app(settings) as app:
        assert EXPIRES not in app.test_client().get("/").headers


def test_a_negative_lifetime_is_refused(app_env, tmp_path):
    with pytest.raises(ConfigError, match="EDGE_CACHE_SECONDS"):
        Settings.from_env({**app_env, "EDGE_CACHE_SECONDS": "-1"}, str(tmp_path))
