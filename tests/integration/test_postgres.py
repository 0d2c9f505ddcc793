"""What only PostgreSQL does: full-text search by word stem, and the migration lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from folio_common.extensions import db
from folio_common.services import posts
from tests.factories import PostFactory, UserFactory
from tests.integration.support import create_database, drop_database, libpq_url, run_flask_migrate

pytestmark = pytest.mark.integration


def test_search_finds_posts_by_word_stem(app):
    with app.app_context():
        author = UserFactory()
        engine = PostFactory(author=author, title="The difference engine", body_markdown="Gears.")
        PostFactory(author=author, title="Gardening", body_markdown="Tomatoes and beans.")
        PostFactory(author=author, title="Engines in drafts", draft=True)
        db.session.commit()

        found = db.session.execute(posts.published_posts(q="engines")).scalars().all()
        assert [post.id for post in found] == [engine.id]
        assert db.session.execute(posts.published_posts(q="tomato")).scalars().all()
        assert not db.session.execute(posts.published_posts(q="aeroplanes")).scalars().all()


def test_flask_migrate_run_twice_at_once_succeeds_under_the_lock(maintenance_url):
    name = create_database(maintenance_url, prefix="folio_test_migrate")
    env = {"FOLIO_ENV": "test", "DATABASE_URL": libpq_url(maintenance_url, name)}
    results: list = [None, None]
    try:

        def migrate(slot: int) -> None:
            results[slot] = run_flask_migrate(env)

        runners = [threading.Thread(target=migrate, args=(slot,)) for slot in (0, 1)]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join()
    finally:
        drop_database(maintenance_url, name)

    for result in results:
        assert result.returncode == 0, result.stderr
        assert "database is up to date" in result.stdout


def test_web_requests_run_without_parallel_workers(app):
    """A request reads a page of an index; parallel workers only queue for its cores."""
    with app.app_context():
        web = db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
        db.session.remove()

    assert web == "0"
