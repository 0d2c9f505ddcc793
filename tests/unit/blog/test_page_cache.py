"""Anonymous pages come from the cache until content changes; signed-in users get their own
page around the lists everyone shares, which change with the content too."""

import pytest
from sqlalchemy import event

from folio_common.extensions import db
from folio_common.models import Post, User
from folio_common.services import comments, content_cache, follows, posts
from tests.factories import UserFactory

pytestmark = pytest.mark.settings(PAGE_CACHE="true")


@pytest.fixture
def author(app):
    with app.app_context():
        user = UserFactory(username="cachedauthor")
        db.session.commit()
        return user.id


def _write(app, author_id, title, **kwargs):
    with app.app_context():
        post = posts.create_post(
            db.session.get(User, author_id),
            title,
            "Body text.",
            status="published",
            **kwargs,
        )
        db.session.commit()
        return post.slug


def _sneak_in_title_change(app, slug, title):
    """Change a row behind the services' back: only a cached page would still show the old title."""
    with app.app_context():
        post = db.session.execute(db.select(Post).where(Post.slug == slug)).scalar_one()
        post.title = title
        db.session.commit()


def test_anonymous_index_is_served_from_the_cache(app, client, author):
    slug = _write(app, author, "First words")
    assert "First words" in client.get("/").get_data(as_text=True)
    _sneak_in_title_change(app, slug, "Rewritten quietly")
    assert "First words" in client.get("/").get_data(as_text=True)


def test_a_new_post_invalidates_cached_pages(app, client, author):
    _write(app, author, "First words")
    client.get("/")
    client.get("/feed.atom")
    _write(app, author, "Second thoughts")
    assert "Second thoughts" in client.get("/").get_data(as_text=True)
    assert "Second thoughts" in client.get("/feed.atom").get_data(as_text=True)


def test_editing_a_post_invalidates_its_page_and_tag_page(app, client, author):
    slug = _write(app, author, "Tagged", tags=["cats"])
    client.get(f"/posts/{slug}")
    client.get("/tags/cats")
    with app.app_context():
        post = posts.get_post_by_slug(slug)
        posts.update_post(post, title="Retitled", tags=["cats", "dogs"])
        db.session.commit()
    assert "Retitled" in client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Retitled" in client.get("/tags/cats").get_data(as_text=True)
    assert "dogs" in client.get("/tags").get_data(as_text=True)


def test_a_comment_invalidates_the_post_page(app, client, author):
    slug = _write(app, author, "Discuss")
    client.get(f"/posts/{slug}")
    with app.app_context():
        post = posts.get_post_by_slug(slug)
        reader = UserFactory(reader=True)
        comments.add_comment(post, reader, "First comment here")
        db.session.commit()
    assert "First comment here" in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_a_new_follower_invalidates_the_author_page(app, client, author):
    assert "0 followers" in client.get("/authors/cachedauthor").get_data(as_text=True)
    with app.app_context():
        follows.follow(UserFactory(reader=True), db.session.get(User, author))
        db.session.commit()
    assert "1 follower<" in client.get("/authors/cachedauthor").get_data(as_text=True)


def test_signed_in_users_get_their_own_page_around_the_shared_list(app, client, auth, author):
    slug = _write(app, author, "Before")
    client.get("/")
    auth.login("cachedauthor")
    _sneak_in_title_change(app, slug, "Unseen: not a change the services made")
    page = client.get("/").get_data(as_text=True)
    # The header is this user's; the list is the fragment every visitor shares.
    assert "cachedauthor" in page
    assert "Before" in page
    with app.app_context():
        posts.update_post(posts.get_post_by_slug(slug), title="Edited for everyone")
        db.session.commit()
    assert "Edited for everyone" in client.get("/").get_data(as_text=True)


def _statements_during(app, request):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/", "Shared"),
        ("/tags", "cats"),
        ("/tags/cats", "Shared"),
        ("/authors/cachedauthor", "Shared"),
        ("/search?q=shared", "Shared"),
    ],
)
def test_a_signed_in_render_takes_the_list_from_the_cache_without_its_query(
    app, client, auth, author, path, shown
):
    _write(app, author, "Shared", tags=["cats"])
    with app.app_context():
        UserFactory(username="reader", reader=True)
        db.session.commit()
    auth.login("reader")
    assert shown in client.get(path).get_data(as_text=True)

    statements = _statements_during(app, lambda: client.get(path))
    lists = [s for s in statements if "post_tags" in s or "FROM posts" in s]
    assert lists == []


def test_error_pages_are_not_cached(app, client, author):
    assert client.get("/posts/not-yet").status_code == 404
    slug = _write(app, author, "Not yet")
    assert slug == "not-yet"
    assert client.get("/posts/not-yet").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/posts/{slug}",
        "/tags",
        "/tags/cats",
        "/authors/cachedauthor",
        "/search?q=kept",
        "/feed.atom",
    ],
)
def test_every_cached_page_is_cookieless_and_comes_from_the_cache(app, client, author, path):
    # A page that starts a session (a form's CSRF token, say) could not be cached at all.
    slug = _write(app, author, "Kept", tags=["cats"])
    path = path.format(slug=slug)
    first = client.get(path)
    assert first.status_code == 200
    assert "Set-Cookie" not in first.headers
    _sneak_in_title_change(app, slug, "Changed behind the cache")
    assert "Changed behind the cache" not in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(("end", "moves"), [("commit", True), ("rollback", False)])
def test_the_content_version_moves_only_once_the_change_commits(app, author, end, moves):
    with app.app_context():
        before = content_cache.current_version()
        posts.create_post(db.session.get(User, author), "Pending", "Body.", status="published")
        db.session.flush()
        # A reader between flush and commit must still see (and cache under) the old version.
        assert content_cache.current_version() == before
        getattr(db.session, end)()
        # A rolled-back change keeps the cached pages.
        assert (content_cache.current_version() != before) is moves


def test_unknown_query_arguments_share_the_page_cache_entry(app, client, author):
    slug = _write(app, author, "First words")
    client.get("/?utm_source=a")
    _sneak_in_title_change(app, slug, "Rewritten quietly")
    # Any other query string reads the one entry the first request stored.
    for query in ("", "?utm_source=b", "?page=1", "?page=abc&x=1"):
        assert "First words" in client.get(f"/{query}").get_data(as_text=True), query


def test_arguments_a_page_reads_are_part_of_its_key(app, client, author):
    _write(app, author, "Findable words")
    assert "Findable" in client.get("/search?q=findable").get_data(as_text=True)
    assert "Findable" not in client.get("/search?q=nothing").get_data(as_text=True)


def test_comment_lists_are_shared_by_kind_of_viewer_and_keep_each_ones_delete_buttons(
    app, client, auth, author
):
    slug = _write(app, author, "Discussed")
    with app.app_context():
        post = posts.get_post_by_slug(slug)
        commenter = UserFactory(username="commenter", reader=True)
        UserFactory(username="reader", reader=True)
        mine = comments.add_comment(post, commenter, "A reader's comment").id
        reply = comments.add_comment(post, db.session.get(User, author), "The author's reply").id
        db.session.commit()

    def deletable_as(username):
        auth.login(username)
        page = client.get(f"/posts/{slug}").get_data(as_text=True)
        auth.logout()
        buttons = {c for c in (mine, reply) if f"/comments/{c}/delete" in page}
        # The buttons submit the page's one delete form, which holds this session's token.
        assert ('<form id="delete-comment"' in page) == bool(buttons)
        return buttons

    # Each kind of viewer renders first, then reads what the others left in the cache.
    for _ in range(2):
        assert deletable_as("reader") == set()
        assert deletable_as("cachedauthor") == {mine, reply}  # the post's author moderates
        assert deletable_as("commenter") == {mine}  # their own only, rendered for them

    auth.login("reader")
    statements = _statements_during(app, lambda: client.get(f"/posts/{slug}"))
    assert [s for s in statements if "FROM comments" in s and "ORDER BY" in s] == []
