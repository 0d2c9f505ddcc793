"""Every reading list walks an index at 100,000 posts: no sequential scan on posts or post_tags.

The module grows a database of its own (migrated with `flask migrate`, filled by the scale
benchmark's SQL generator: 100,000 posts, 10,000 users, 1,000 tags), requests each page and API
list through the test client, records every statement it sends, and asks Postgres for each
statement's plan with the same parameters. A list that would sort or count every match shows
up as a sequential scan here long before a real site feels it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, select, text

from bench.scale import dataset
from folio_common.config import Settings
from folio_common.extensions import db
from folio_common.models import Post, Role, User
from folio_common.services import posts
from folio_web import create_app
from tests.helpers import log_in_session
from tests.integration.support import (
    create_database,
    drop_database,
    libpq_url,
    run_flask_migrate,
)

pytestmark = pytest.mark.integration

POSTS = 100_000
SCANNED = {"posts", "post_tags"}
POPULAR, RARE = dataset.word(0), dataset.word(900)
COMMON_WORD, RARE_WORD = dataset.word(3), dataset.word(4000)
MIDDLE = POSTS // 2

LISTS = {
    "home": "/",
    "index, an older page": f"/?before={MIDDLE}",
    "index, an old-style page number": "/?page=300",
    "popular tag": f"/tags/{POPULAR}",
    "popular tag, an older page": f"/tags/{POPULAR}?before={MIDDLE}",
    "rare tag": f"/tags/{RARE}",
    "author": "/authors/user10",
    "search, common word": f"/search?q={COMMON_WORD}",
    "search, rare word": f"/search?q={RARE_WORD}",
    "search, no match": "/search?q=zzqxjv",
    "search, a prefix": "/search?q=kal",
    "post page": f"/posts/post-{POSTS}",
    "feed": "/feed.atom",
    "tag feed": f"/tags/{POPULAR}/feed.atom",
    "API list": "/api/v1/posts",
    "API list, an older page": f"/api/v1/posts?before={MIDDLE}",
    "API list, tag filter": f"/api/v1/posts?tag={POPULAR}",
    "API list, search": f"/api/v1/posts?q={COMMON_WORD}",
    "API list, author": "/api/v1/posts?author=user10",
}


@pytest.fixture(scope="module")
def big_app(
    maintenance_url: str, integration_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    name = create_database(maintenance_url, prefix="folio_test_plans")
    url = libpq_url(maintenance_url, name)
    try:
        migrated = run_flask_migrate({"FOLIO_ENV": "test", "DATABASE_URL": url})
        assert migrated.returncode == 0, migrated.stderr
        with psycopg.connect(url, autocommit=True) as connection:
            for statement in dataset.growth_sql(POSTS):
                connection.execute(statement)
            connection.execute("VACUUM ANALYZE")
        env = {**integration_env, "DATABASE_URL": url, "PAGE_CACHE": "false"}
        instance = Path(tmp_path_factory.mktemp("plans"))
        app = create_app(Settings.from_env(env, instance_path=str(instance)))
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["celery"].close()
    finally:
        drop_database(maintenance_url, name)


def _scans(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield plan["Node Type"], plan.get("Relation Name", "")
    for child in plan.get("Plans", ()):
        yield from _scans(child)


@pytest.mark.parametrize("path", LISTS.values(), ids=LISTS.keys())
def test_each_list_walks_an_index(big_app: Flask, path: str) -> None:
    _assert_no_sequential_scan(big_app, big_app.test_client(), path)


def _signed_in(big_app: Flask, user_id: int, role: Role | None = None) -> Any:
    """A test client with a real log-in of the user (the session names an open log-in)."""
    if role is not None:
        with big_app.app_context():
            db.session.get(User, user_id).role = role
            db.session.commit()
    client = big_app.test_client()
    log_in_session(big_app, client, user_id)
    return client


def test_an_authors_own_page_finds_their_drafts_by_index(big_app: Flask) -> None:
    """The author sees drafts above their posts: thousands published, a few unpublished."""
    client = _signed_in(big_app, dataset.USER_BASE + 10)

    assert "Draft" in client.get("/authors/user10").get_data(as_text=True)
    _assert_no_sequential_scan(big_app, client, "/authors/user10")


def test_the_admins_user_list_walks_an_index(big_app: Flask) -> None:
    """The page of users walks ix_users_newest; its total is a full count of the users table
    on purpose (docs/performance.md: one admin, "page N of M"), so that statement is exempt."""
    client = _signed_in(big_app, dataset.USER_BASE + 20, Role.ADMIN)

    _assert_no_sequential_scan(
        big_app, client, "/admin/", scanned={"users"}, exempt=("SELECT count(*)",)
    )


def test_the_generated_search_document_is_the_one_the_triggers_write(big_app: Flask) -> None:
    """The generator writes each post's document inline (a bulk load cannot afford the trigger
    function per row); it must be exactly what the function gives, or the plans and the
    benchmark would measure another search."""
    with big_app.app_context():
        differing = db.session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE search_vector IS DISTINCT FROM "
                "folio_post_search_document(title, body_markdown, id)) "
                "FROM posts WHERE id % 97 = 0"
            )
        ).one()
        db.session.remove()

    assert differing[0] > 1000 and differing[1] == 0, differing


def _assert_no_sequential_scan(
    big_app: Flask,
    client: Any,
    path: str,
    scanned: set[str] = SCANNED,
    exempt: tuple[str, ...] = (),
) -> None:
    sent: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not statement.startswith(exempt):
            sent.append((statement, parameters))

    with big_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert sent

    with big_app.app_context():
        with db.session.connection().connection.cursor() as cursor:
            for statement, parameters in sent:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
                seq = [rel for node, rel in _scans(plan) if node == "Seq Scan" and rel in scanned]
                assert not seq, f"{path} scans {seq} sequentially:\n{statement}"
        db.session.remove()


def test_pages_follow_the_index_to_the_oldest_posts(big_app: Flask) -> None:
    """An older page right after a newer one: the cursor picks up where the page ended."""
    client = big_app.test_client()
    first = client.get("/api/v1/posts?per_page=5").get_json()
    older = client.get(f"/api/v1/posts?per_page=5&before={first['meta']['older']}").get_json()

    assert first["meta"]["total_capped"] is True
    assert [p["id"] for p in first["data"]] == sorted(
        (p["id"] for p in first["data"]), reverse=True
    )
    assert older["data"][0]["id"] < first["data"][-1]["id"]
    assert older["meta"]["newer"] == older["data"][0]["id"]


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


def test_more_from_the_author_reads_a_few_rows_of_the_authors_index(big_app: Flask) -> None:
    """The foot of a post by the most prolific author: the index's first rows, no sort."""
    sent: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    with big_app.app_context():
        newest = db.session.execute(
            select(Post)
            .where(Post.author_id == dataset.USER_BASE + 10)
            .order_by(Post.published_at.desc())
            .limit(1)
        ).scalar_one()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            more = posts.more_by_author(newest, 3)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert len(more) == 3 and newest not in more
        [(statement, parameters)] = sent
        with db.session.connection().connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            nodes = list(_plan_nodes(cursor.fetchone()[0][0]["Plan"]))
        db.session.remove()

    indexes = {node.get("Index Name") for node in nodes}
    assert "ix_posts_author_published_newest" in indexes, nodes
    assert not [node for node in nodes if node["Node Type"] in ("Sort", "Seq Scan")], nodes
