"""Following stories: readers follow and unfollow authors from their pages."""

from __future__ import annotations

from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import Follow
from tests.factories import PostFactory, UserFactory


def _follows(app) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.execute(select(Follow.follower_id, Follow.author_id)).all()
        return [tuple(row) for row in rows]


def test_a_reader_follows_then_unfollows_an_author(app, client, committed, login_as, post_form):
    with committed():
        author = UserFactory(username="ada", display_name="Ada")
        reader = UserFactory(reader=True)
    login_as(reader)

    page = client.get("/authors/ada").get_data(as_text=True)
    assert "Follow Ada" in page and "0 followers" in page
    response = post_form(
        "/authors/ada/follow",
        {"next": "/authors/ada"},
        form_path="/authors/ada",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "You follow Ada" in page
    assert "Unfollow Ada" in page and "1 follower" in page
    assert _follows(app) == [(reader.id, author.id)]

    response = post_form("/authors/ada/unfollow", follow_redirects=True)
    assert "You no longer follow Ada." in response.get_data(as_text=True)
    assert _follows(app) == []


def test_the_follow_button_is_on_the_post_page_too(client, committed, login_as):
    with committed():
        post = PostFactory()
        reader = UserFactory(reader=True)
    login_as(reader)

    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)

    assert f"/authors/{post.author.username}/follow" in page


def test_following_twice_is_harmless(app, client, committed, login_as, post_form):
    with committed():
        author = UserFactory()
        reader = UserFactory(reader=True)
    login_as(reader)

    post_form(f"/authors/{author.username}/follow")
    post_form(f"/authors/{author.username}/follow")

    assert _follows(app) == [(reader.id, author.id)]


def test_nobody_can_follow_themselves(app, client, committed, login_as, post_form):
    with committed():
        author = UserFactory()
    login_as(author)

    page = client.get(f"/authors/{author.username}").get_data(as_text=True)
    response = post_form(f"/authors/{author.username}/follow", follow_redirects=True)

    assert f"/authors/{author.username}/follow" not in page
    assert "You cannot follow yourself." in response.get_data(as_text=True)
    assert _follows(app) == []


def test_readers_cannot_be_followed(app, client, committed, login_as, post_form):
    with committed():
        reader = UserFactory(reader=True)
        other = UserFactory(reader=True)
    login_as(other)

    response = post_form(f"/authors/{reader.username}/follow", follow_redirects=True)

    assert "Only authors can be followed." in response.get_data(as_text=True)
    assert _follows(app) == []


def test_an_off_site_next_is_ignored(client, committed, login_as, post_form):
    with committed():
        author = UserFactory()
        reader = UserFactory(reader=True)
    login_as(reader)

    response = post_form(f"/authors/{author.username}/follow", {"next": "//evil.example/phish"})

    assert response.headers["Location"] == f"/authors/{author.username}"


def test_visitors_are_invited_to_log_in_to_follow(client, committed):
    with committed():
        author = UserFactory()

    page = client.get(f"/authors/{author.username}").get_data(as_text=True)

    assert f"/auth/login?next=/authors/{author.username}" in page
