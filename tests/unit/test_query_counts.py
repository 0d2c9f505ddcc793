"""No page or API list runs a query per row: its query count stays put as the content grows.

Each test renders the same URL over a small site (3 posts) and a larger one (30 posts), every
post by a different author with tags and comments by different people, and counts the SQL
statements sent through the engine. The count must not grow and must stay under a fixed bound,
so an N+1 (a lazy load inside a loop in a template, a schema or a permission check) fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from folio_common.extensions import db
from folio_common.models import Post, Tag
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

SMALL, LARGE = 3, 30
# Big enough that every post of the large site is on the first page, so each row is rendered.
PER_PAGE = 50
ADMIN = "boss"

# The most statements each URL may send, however many posts, tags, comments or authors exist.
# Raise a bound only for a new constant query, never because a count grows with the data.
PAGE_BOUNDS = {
    "index": ("/", 4),
    "tag page": ("/tags/shared", 5),
    "author page": ("/authors/{author}", 6),
    "search": ("/search?q=Post", 4),
    # One more since "more from this author": a constant few rows of an index; one more for
    # the comment count behind the comment pages.
    "post with comments": ("/posts/{slug}", 8),
}
API_BOUNDS = {
    "posts": ("/api/v1/posts?per_page=100", 4),
    "comments": ("/api/v1/posts/{post_id}/comments?per_page=100", 4),
    "tags": ("/api/v1/tags?per_page=100", 1),
}
# Signed in as an admin: the user loader's query, then the page's own.
ADMIN_BOUNDS = {
    "users list": ("/admin/", 3),
    "post with deletable comments": ("/posts/{slug}", 10),
}


pytestmark = pytest.mark.settings(POSTS_PER_PAGE=str(PER_PAGE), RATELIMIT_ENABLED="false")


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def grow_site(app: Flask, posts: int) -> dict[str, object]:
    """Add posts until there are `posts`, tagged and commented on by new people.

    Every other post is by the featured post's author (so the author page grows too), the rest
    each by an author of their own. The featured post (the first) gets one comment by a new
    person per post added, so its page shows as many comments and commenters as there are posts.
    """
    with app.app_context():
        existing = db.session.execute(db.select(Post).order_by(Post.id)).scalars().all()
        if not existing:
            UserFactory(admin=True, username=ADMIN)
        shared = db.session.execute(db.select(Tag).where(Tag.slug == "shared")).scalar_one_or_none()
        shared_tag = shared or TagFactory(name="shared", slug="shared")
        featured = existing[0] if existing else None
        for number in range(len(existing), posts):
            tags = [shared_tag, TagFactory()]
            if featured is not None and number % 2 == 0:
                post = PostFactory(tags=tags, author=featured.author)
            else:
                post = PostFactory(tags=tags)
            CommentFactory(post=post)
            featured = featured or post
            CommentFactory(post=featured)
        db.session.commit()
        assert featured is not None
        return {"slug": featured.slug, "post_id": featured.id, "author": featured.author.username}


def count_for(app: Flask, client: FlaskClient, url: str) -> int:
    with counting_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(statements)


def counts_small_and_large(app: Flask, client: FlaskClient, url: str) -> tuple[int, int]:
    names = grow_site(app, SMALL)
    small = count_for(app, client, url.format(**names))
    names = grow_site(app, LARGE)
    large = count_for(app, client, url.format(**names))
    return small, large


@pytest.mark.parametrize("name", [*PAGE_BOUNDS, *API_BOUNDS])
def test_a_public_page_or_api_list_sends_the_same_queries_for_3_or_30_posts(
    app: Flask, client: FlaskClient, name: str
) -> None:
    url, bound = {**PAGE_BOUNDS, **API_BOUNDS}[name]
    small, large = counts_small_and_large(app, client, url)
    assert large <= small, f"{name}: {small} queries for {SMALL} posts, {large} for {LARGE}"
    assert large <= bound, f"{name}: {large} queries, bound {bound}"


@pytest.mark.parametrize("name", ADMIN_BOUNDS)
def test_an_admin_page_sends_the_same_queries_for_3_or_30_posts(
    app: Flask, client: FlaskClient, auth, name: str
) -> None:
    url, bound = ADMIN_BOUNDS[name]
    names = grow_site(app, SMALL)
    auth.login(ADMIN)
    small = count_for(app, client, url.format(**names))
    names = grow_site(app, LARGE)
    large = count_for(app, client, url.format(**names))
    assert large <= small, f"{name}: {small} queries for {SMALL} posts, {large} for {LARGE}"
    assert large <= bound, f"{name}: {large} queries, bound {bound}"


def test_an_api_post_read_is_one_query(app: Flask, client: FlaskClient) -> None:
    # The post, its author and its tags in one statement: this read is the API's hottest path.
    names = grow_site(app, SMALL)
    assert count_for(app, client, f"/api/v1/posts/{names['post_id']}") == 1
