"""Where the app's own request path spends its time: cProfile over the test client on Postgres.

    python -m bench.cpu_profile [--posts N] [--requests N] [--top N] [PATH ...]

Creates a database of its own (folio_profile_<pid>) on the local Postgres (PROFILE_DATABASE_URL
names the server, default postgresql://postgres@127.0.0.1:5432), migrates it, grows it with the
scale benchmark's SQL generator, and requests each path as a signed-in admin (the page cache and
nginx step aside for signed-in users, so this is the render every such request pays). Prints the
web CPU time per request of each path (measured without the profiler) and, for each, the
functions with the most cumulative time. The database is dropped at the end (--keep keeps it).
Redis (REDIS_URL, default db 14) must answer.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.scale import dataset

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = [
    "/",
    "/tags/" + dataset.word(0),
    "/authors/user10",
    "/search?q=" + dataset.word(3),
    "/tags",
    "/feed.atom",
    "/admin/",
    "/api/v1/posts",
    "/api/v1/posts/{newest}",
    "/posts/post-{newest}",
]


def _database(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


def _migrate(url: str) -> None:
    env = {**os.environ, "FOLIO_ENV": "test", "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "folio_common.app:create_minimal_app", "migrate"],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def _grow(url: str, posts: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in dataset.growth_sql(posts):
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE")


def _client(url: str, redis_url: str, instance: str) -> tuple[Any, Any]:
    from folio_common.config import Settings
    from folio_common.extensions import db
    from folio_common.models import Role, User
    from folio_web import create_app
    from tests.helpers import log_in_session

    env = {
        "FOLIO_ENV": "test",
        "SECRET_KEY": "profile-" + "x" * 40,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "PAGE_CACHE": "true",  # as deployed: signed-in renders still reach the views
        "RATELIMIT_ENABLED": "false",
    }
    app = create_app(Settings.from_env(env, instance_path=instance))
    user_id = dataset.USER_BASE + 20
    with app.app_context():
        db.session.get(User, user_id).role = Role.ADMIN
        db.session.commit()
    client = app.test_client()
    log_in_session(app, client, user_id)
    return app, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25, help="functions shown; 0: no profile")
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the grown database (folio_profile_kept) and reuse it next time",
    )  # fmt: skip
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()

    server = os.environ.get("PROFILE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    name = "folio_profile_kept" if args.keep else f"folio_profile_{os.getpid()}"
    with psycopg.connect(_database(server, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _database(server, name).replace("postgresql://", "postgresql+psycopg://")
        # A kept database is brought to the newest schema too.
        _migrate(_database(server, name))
        if not exists:
            started = time.perf_counter()
            _grow(_database(server, name), args.posts)
            print(f"grown to {args.posts:,} posts in {time.perf_counter() - started:.0f} s")
        with tempfile.TemporaryDirectory() as instance:
            _run(url, redis_url, instance, args)
    finally:
        if not args.keep:
            with psycopg.connect(_database(server, "postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(url: str, redis_url: str, instance: str, args: argparse.Namespace) -> None:
    _, client = _client(url, redis_url, instance)
    logging.getLogger("folio").setLevel(logging.WARNING)
    newest = args.posts
    summary = []
    for template in args.paths:
        path = template.format(newest=newest)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        # CPU time of this process: waiting for Postgres is not the app's cost.
        cpu = time.process_time()
        for _ in range(args.requests):
            client.get(path)
        per_request = (time.process_time() - cpu) / args.requests * 1000
        summary.append((path, per_request))
        if args.top:
            # The profiler counts CPU time too, but roughly doubles it: its figures are shares.
            profiler = cProfile.Profile(time.process_time)
            for _ in range(args.requests):
                profiler.runcall(client.get, path)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(f"\n## {path}: {per_request:.1f} ms CPU per request\n")
            print(out.getvalue())
    print("\n## CPU per request")
    for path, per_request in summary:
        print(f"{per_request:7.1f} ms  {path}")


if __name__ == "__main__":
    main()
