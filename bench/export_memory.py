"""Peak memory and time of exporting one very large account, on a real PostgreSQL.

    uv run python bench/export_memory.py [--posts 260000] [--limit-mb 200]

Creates a throwaway database (BENCH_DATABASE_URL names the server; the name starts with
BENCH_DB_PREFIX), writes the posts with one SQL statement per 20,000, then builds the export
slice by slice exactly as the worker does (each slice its own call, as each is its own task) and
reports the process's peak RSS against the budget. Exits 1 over budget. `make chaos
S=export-260k-posts` does the same inside the stack, under the worker's memory limit.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
import zipfile

import psycopg

from folio_common.app import create_minimal_app
from folio_common.config import Settings
from folio_common.extensions import db
from folio_common.models import Export, ExportStatus, User
from folio_common.services import exports

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PREFIX = os.environ.get("BENCH_DB_PREFIX", "folio_export_bench")
CHUNK = 20_000


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=260_000)
    parser.add_argument("--limit-mb", type=int, default=200)
    args = parser.parse_args()
    name = f"{PREFIX}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return run(name, args.posts, args.limit_mb)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(database: str, posts: int, limit_mb: int) -> int:
    url = SERVER.rsplit("/", 1)[0] + f"/{database}"
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env(
            {"FOLIO_ENV": "test", "DATABASE_URL": url, "EXPORT_DIR": folder, "LOG_LEVEL": "ERROR"}
        )
        app = create_minimal_app(settings)
        with app.app_context():
            db.create_all()
            author = User(
                username="prolific",
                email="prolific@example.com",
                # Not a real hash: argon2's 64 MiB would be the peak this script measures.
                password_hash=uuid.uuid4().hex,
            )
            db.session.add(author)
            db.session.commit()
            seeded = time.monotonic()
            for first in range(1, posts + 1, CHUNK):
                db.session.execute(
                    db.text(
                        "INSERT INTO posts (author_id, title, slug, summary, body_markdown, "
                        "body_html, status, created_at, updated_at) "
                        "SELECT :author, 'Note ' || n, 'note-' || n, 'A note.', "
                        "repeat('Some **Markdown** text for the archive. ', 12), '<p>Text</p>', "
                        "'draft', now(), now() "
                        "FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n"
                    ),
                    {"author": author.id, "first": first, "last": min(posts, first + CHUNK - 1)},
                )
                db.session.commit()
            print(f"seeded {posts} posts in {time.monotonic() - seeded:.0f}s; RSS {rss_mb()} MB")
            export = Export(user_id=author.id)
            db.session.add(export)
            db.session.commit()
            export_id = export.id
            db.session.remove()

            # Each slice queues the next; here the loop plays the worker and runs them in turn.
            exports.enqueue = lambda *_args: None  # type: ignore[assignment]
            started, slices = time.monotonic(), 0
            while True:
                exports.build_export(export_id)
                slices += 1
                db.session.remove()
                status = db.session.get(Export, export_id)
                if status is None or status.status != ExportStatus.RUNNING:
                    break
            built = time.monotonic() - started
            peak = rss_mb()
            done = db.session.get(Export, export_id)
            assert done is not None and done.status == ExportStatus.DONE, done and done.error
            path = exports.export_path(done)
            assert path is not None
            with zipfile.ZipFile(path) as archive:
                entries = len(archive.namelist())
            print(
                f"built {entries - 1} posts + posts.json in {slices} slices, {built:.0f}s; "
                f"archive {path.stat().st_size / 1e6:.0f} MB; peak RSS {peak} MB "
                f"(budget {limit_mb} MB)"
            )
            db.session.remove()
            db.engine.dispose()
    return 0 if peak <= limit_mb and entries == posts + 1 else 1


if __name__ == "__main__":
    sys.exit(main())
