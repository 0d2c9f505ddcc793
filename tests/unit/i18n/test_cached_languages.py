"""The page caches never hand a page in one language to a reader of another."""

from __future__ import annotations

import pytest

from folio_common.extensions import db
from tests.factories import PostFactory, UserFactory


@pytest.fixture
def app_env(app_env):
    return {**app_env, "PAGE_CACHE": "true", "EDGE_CACHE_SECONDS": "1"}


@pytest.fixture
def post_slug(app):
    with app.app_context():
        post = PostFactory(author=UserFactory(username="ada"), title="Engines")
        db.session.commit()
        return post.slug


@pytest.mark.parametrize("path", ["/", "/posts/{slug}", "/tags"])
def test_each_language_gets_its_own_cached_copy(client, post_slug, path):
    path = path.format(slug=post_slug)
    for _ in range(2):  # the second round is served from the cache
        french = client.get(path, headers={"Accept-Language": "fr"})
        english = client.get(path, headers={"Accept-Language": "en"})
        default = client.get(path)
        assert '<html lang="fr">' in french.get_data(as_text=True)
        assert '<html lang="en">' in english.get_data(as_text=True)
        assert '<html lang="en">' in default.get_data(as_text=True)
    # Offered to nginx too, which keys its copy by the same language (see test_languages).
    assert french.headers["X-Accel-Expires"] == "1"
    assert "Accept-Language" in french.headers["Vary"]


def test_the_cache_key_holds_the_language(app, post_slug):
    from folio_web.page_cache import _key_for

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        french = _key_for(())()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = _key_for(())()
    assert french != english
    assert ":fr:/" in french and ":en:/" in english


def test_signed_in_readers_get_the_shared_lists_in_their_own_language(app, post_slug):
    from tests.helpers import log_in_session

    with app.app_context():
        french_id = UserFactory(username="camille", locale="fr").id
        english_id = UserFactory(username="grace").id
        db.session.commit()
    french, english = app.test_client(), app.test_client()
    log_in_session(app, french, french_id)
    log_in_session(app, english, english_id)
    for _ in range(2):  # the list is a cached fragment from the second render on
        assert "<h1>Derniers articles</h1>" in french.get("/").get_data(as_text=True)
        assert "<h1>Latest posts</h1>" in english.get("/").get_data(as_text=True)
