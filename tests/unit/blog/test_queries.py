"""List pages load authors, tags and comment authors up front, not one query per row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from folio_common.extensions import db
from folio_common.models import Post
from tests.factories import CommentFactory, PostFactory, TagFactory


@contextmanager
def counted_queries(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _queries_for(app, client, path: str) -> int:
    with counted_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_index_query_count_does_not_grow_with_the_posts_shown(app, client, committed):
    with committed():
        PostFactory(tags=[TagFactory()])
    one = _queries_for(app, client, "/")
    with committed():
        for _ in range(6):
            PostFactory(tags=[TagFactory(), TagFactory()])

    assert _queries_for(app, client, "/") == one


def test_post_page_query_count_does_not_grow_with_the_comments(app, client, committed):
    with committed():
        post = PostFactory()
        CommentFactory(post=post)
    one = _queries_for(app, client, f"/posts/{post.slug}")
    with committed() as session:
        same_post = session.get(Post, post.id)
        for _ in range(6):
            CommentFactory(post=same_post)

    assert _queries_for(app, client, f"/posts/{post.slug}") == one
