"""Autosave: a new post becomes a draft on the server; drafts follow; published posts never do."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import Post, PostStatus
from folio_common.services import content_cache
from tests.factories import PostFactory
from tests.helpers import csrf_token


@pytest.fixture
def token(client, author) -> str:
    return csrf_token(client, "/write")


def _autosave(client, token: str, path: str, **fields: str):
    data = {"title": "", "body": "", "tags": "", **fields}
    return client.post(path, data=data, headers={"X-CSRFToken": token})


def _posts(app) -> list[Post]:
    with app.app_context():
        rows = db.session.execute(select(Post)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_the_first_autosave_of_a_new_post_creates_a_draft_and_says_where_to_save_it(
    app, client, token
):
    response = _autosave(client, token, "/editor/drafts", title="Loom", body="Cards *punched*.")

    assert response.status_code == 201
    assert response.json["edit_url"] == "/posts/loom/edit"
    assert response.json["autosave_url"] == "/editor/drafts/loom"
    [post] = _posts(app)
    assert post.status == PostStatus.DRAFT
    assert post.body_html == "<p>Cards <em>punched</em>.</p>\n"
    # The editor page of the draft autosaves to the same place.
    assert 'data-autosave-url="/editor/drafts/loom"' in client.get("/posts/loom/edit").text


def test_later_autosaves_update_the_draft_and_its_address_follows_the_title(app, client, token):
    _autosave(client, token, "/editor/drafts", title="Lo", body="Cards.")
    response = _autosave(client, token, "/editor/drafts/lo", title="Looms", body="More cards.")

    assert response.status_code == 200
    assert response.json["edit_url"] == "/posts/looms/edit"
    [post] = _posts(app)
    assert (post.slug, post.body_markdown) == ("looms", "More cards.")


def test_autosaving_a_draft_leaves_the_page_cache_alone(app, client, token):
    with app.app_context():
        before = content_cache.current_version()
    _autosave(client, token, "/editor/drafts", title="Quiet", body="Nobody sees this yet.")
    _autosave(client, token, "/editor/drafts/quiet", title="Quiet", body="Still nobody.")
    with app.app_context():
        assert content_cache.current_version() == before


def test_a_published_post_is_never_autosaved(app, client, author, committed, token):
    with committed():
        PostFactory(author=author, slug="live", body_markdown="Live text.")

    response = _autosave(client, token, "/editor/drafts/live", title="Live", body="Half-typ")

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert _posts(app)[0].body_markdown == "Live text."
    assert 'data-autosave-url=""' in client.get("/posts/live/edit").text


def test_someone_elses_draft_looks_missing(client, committed, token):
    with committed():
        PostFactory(draft=True, slug="theirs")
    response = _autosave(client, token, "/editor/drafts/theirs", title="Mine", body="Now.")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_draft_the_service_refuses_is_a_422_problem_naming_the_field(app, client, token):
    response = _autosave(client, token, "/editor/drafts", title="T", body="B", tags="no<tags>")

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "tags"
    assert _posts(app) == []
