"""The list queries before and after the index work, timed on a database grown by dataset.py.

    python -m bench.scale.before_after postgresql://user@host/db

The "before" statements are the ones the code sent before keyset pagination and the stored
search document (a full count per list, OFFSET, an EXISTS tag filter, search on a to_tsvector
expression ordered by date). They need the old indexes beside the new ones, which this creates
if missing (the expression GIN index takes minutes at a million posts). Prints a Markdown table
of the median of three runs of each list's statements.
"""

# SQL is built from constants and values read from the database, never from outside input.
# ruff: noqa: S608

from __future__ import annotations

import statistics
import sys
import time

import psycopg

from bench.scale import dataset

PUB = "status = 'published'"
OLD_DOC = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body_markdown, ''))"
OLD_INDEXES = [
    "CREATE INDEX IF NOT EXISTS old_ix_posts_status_published_at ON posts (status, published_at)",
    f"CREATE INDEX IF NOT EXISTS old_ix_posts_search ON posts USING gin ({OLD_DOC})",
    "ANALYZE posts",
]
NEWEST = "ORDER BY published_at DESC, posts.id DESC"


def lists(connection: psycopg.Connection) -> dict[str, tuple[list[str], list[str]]]:
    tag, common, missing = dataset.word(0), dataset.word(3), "zzqxjv"
    tag_id = connection.execute("SELECT id FROM tags WHERE slug = %s", (tag,)).fetchone()[0]
    published = connection.execute(f"SELECT count(*) FROM posts WHERE {PUB}").fetchone()[0]
    deep = min(50000, published // 2)
    middle = connection.execute(
        f"SELECT id, published_at FROM posts WHERE {PUB} {NEWEST} OFFSET {deep} LIMIT 1"
    ).fetchone()
    after_middle = f"(published_at, posts.id) < ('{middle[1]}', {middle[0]})"
    exists = (
        "EXISTS (SELECT 1 FROM post_tags pt JOIN tags t ON t.id = pt.tag_id "
        f"WHERE pt.post_id = posts.id AND t.slug = '{tag}')"
    )
    join = f"JOIN post_tags pt ON pt.post_id = posts.id AND pt.tag_id = {tag_id}"

    def old_search(word: str) -> list[str]:
        match = f"{OLD_DOC} @@ websearch_to_tsquery('english', '{word}')"
        return [
            f"SELECT count(*) FROM posts WHERE {PUB} AND {match}",
            f"SELECT * FROM posts WHERE {PUB} AND {match} {NEWEST} LIMIT 20",
        ]

    def ranked(word: str) -> list[str]:
        q = f"to_tsquery('english', '''{word}'':*')"
        return [
            f"SELECT a.id, count(*) OVER () FROM (SELECT id, published_at, "
            f"ts_rank_cd(search_vector, {q}) AS rank FROM posts WHERE {PUB} AND "
            f"search_vector @@ {q} {NEWEST} LIMIT 501) a "
            "ORDER BY rank DESC, published_at DESC, id DESC LIMIT 20"
        ]

    count = f"SELECT count(*) FROM posts WHERE {PUB}"
    return {
        "Home: count + first page / first page": (
            [count, f"SELECT * FROM posts WHERE {PUB} {NEWEST} LIMIT 20"],
            [f"SELECT * FROM posts WHERE {PUB} {NEWEST} LIMIT 21"],
        ),
        "Index page 300": (
            [count, f"SELECT * FROM posts WHERE {PUB} {NEWEST} LIMIT 20 OFFSET 5980"],
            [f"SELECT * FROM posts WHERE {PUB} {NEWEST} LIMIT 21 OFFSET 5980"],
        ),
        "Deep page: count + OFFSET / capped count + cursor": (
            [count, f"SELECT * FROM posts WHERE {PUB} {NEWEST} LIMIT 20 OFFSET {deep}"],
            [
                f"SELECT count(*) FROM (SELECT id FROM posts WHERE {PUB} {NEWEST} LIMIT 1001) s",
                f"SELECT * FROM posts WHERE {PUB} AND {after_middle} {NEWEST} LIMIT 21",
            ],
        ),
        "Popular tag, first page": (
            [
                f"SELECT count(*) FROM posts WHERE {PUB} AND {exists}",
                f"SELECT * FROM posts WHERE {PUB} AND {exists} {NEWEST} LIMIT 20",
            ],
            [f"SELECT posts.* FROM posts {join} WHERE {PUB} {NEWEST} LIMIT 21"],
        ),
        "Popular tag, page 300 / an older cursor": (
            [
                f"SELECT count(*) FROM posts WHERE {PUB} AND {exists}",
                f"SELECT * FROM posts WHERE {PUB} AND {exists} {NEWEST} LIMIT 20 OFFSET 5980",
            ],
            [f"SELECT posts.* FROM posts {join} WHERE {PUB} AND {after_middle} {NEWEST} LIMIT 21"],
        ),
        "Tag feed": (
            [f"SELECT * FROM posts WHERE {PUB} AND {exists} {NEWEST} LIMIT 20"],
            [f"SELECT posts.* FROM posts {join} WHERE {PUB} {NEWEST} LIMIT 20"],
        ),
        "Search, a word no post contains": (old_search(missing), ranked(missing)),
        "Search, a common word": (old_search(common), ranked(common)),
    }


def timed(connection: psycopg.Connection, statements: list[str]) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for statement in statements:
            connection.execute(statement).fetchall()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in OLD_INDEXES:
            connection.execute(statement)
        print("| List | before (ms) | after (ms) |\n|---|---|---|")
        for name, (before, after) in lists(connection).items():
            print(f"| {name} | {timed(connection, before):.1f} | {timed(connection, after):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
