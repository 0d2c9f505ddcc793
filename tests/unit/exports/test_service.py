"""Building, refusing and expiring exports (the service the worker task calls)."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from folio_common.extensions import db
from folio_common.models import Export, ExportStatus, PostStatus, User, utcnow
from folio_common.services import exports
from tests.factories import PostFactory, TagFactory, UserFactory


def _archive(export: Export) -> zipfile.ZipFile:
    path = exports.export_path(export)
    assert path is not None and path.is_file()
    return zipfile.ZipFile(path)


def _new_export(author: User, posts: int = 0) -> Export:
    """A pending export of `author`'s writing, committed, after `posts` new published posts."""
    PostFactory.create_batch(posts, author=author)
    export = Export(user_id=author.id)
    db.session.add(export)
    db.session.commit()
    return export


@pytest.fixture
def author():
    user = UserFactory(username="ada")
    db.session.commit()
    return user


def test_an_export_holds_every_post_as_markdown_and_json_metadata(app_ctx, author):
    tag = TagFactory(name="engines")
    published = PostFactory(
        author=author, title="On engines", slug="on-engines", body_markdown="# Engines\n\nText."
    )
    published.tags = [tag]
    PostFactory(author=author, title="Unfinished", slug="unfinished", draft=True)
    PostFactory(title="Someone else's", slug="someone-elses")
    export = exports.start_export(author)
    db.session.commit()
    # Eager mode has already built it when the start was committed.
    db.session.refresh(export)

    assert export.status == ExportStatus.DONE
    assert export.progress == 100
    with _archive(export) as archive:
        assert sorted(archive.namelist()) == [
            "posts.json",
            "posts/on-engines.md",
            "posts/unfinished.md",
        ]
        markdown = archive.read("posts/on-engines.md").decode()
        metadata = json.loads(archive.read("posts.json"))
    assert markdown.startswith('---\ntitle: "On engines"\n')
    assert 'tags: ["engines"]' in markdown
    assert 'status: "published"' in markdown
    assert markdown.rstrip().endswith("# Engines\n\nText.")
    assert metadata["author"] == "ada" and metadata["count"] == 2
    by_slug = {post["slug"]: post for post in metadata["posts"]}
    assert by_slug["on-engines"]["tags"] == ["engines"]
    assert by_slug["on-engines"]["file"] == "posts/on-engines.md"
    assert by_slug["unfinished"]["status"] == PostStatus.DRAFT
    assert by_slug["unfinished"]["published_at"] is None


def test_a_finished_export_records_size_and_expiry(app_ctx, author, app):
    export = exports.start_export(author)
    db.session.commit()
    db.session.refresh(export)

    path = exports.export_path(export)
    assert export.size_bytes == path.stat().st_size
    lifetime = export.expires_at - export.finished_at
    assert lifetime == timedelta(hours=app.config["EXPORT_TTL_HOURS"])
    with _archive(export) as archive:
        assert "posts.json" in archive.namelist()


def test_progress_is_committed_along_the_way_and_ends_at_100(app_ctx, author, monkeypatch):
    export = _new_export(author, posts=25)
    seen: list[int] = []
    real_commit = db.session.commit

    def watching_commit():
        real_commit()
        seen.append(db.session.get(Export, export_id).progress)

    export_id = export.id
    monkeypatch.setattr(exports, "BATCH_SIZE", 10)
    monkeypatch.setattr(db.session, "commit", watching_commit)
    assert exports.build_export(export.id) is True

    assert seen == [0, 40, 80, 99, 100]


def test_building_again_does_nothing_once_done(app_ctx, author):
    export = exports.start_export(author)
    db.session.commit()
    db.session.refresh(export)
    path = exports.export_path(export)
    built = path.stat().st_mtime_ns

    assert exports.build_export(export.id) is False
    assert exports.build_export(export.id + 100) is False
    assert path.stat().st_mtime_ns == built


def test_a_second_export_is_refused_while_one_is_in_progress(app_ctx, author):
    db.session.add(Export(user_id=author.id, status=ExportStatus.RUNNING))
    db.session.commit()

    with pytest.raises(exports.ExportError, match="already"):
        exports.start_export(author)


def test_a_build_that_cannot_write_is_marked_failed(app_ctx, author, app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the export folder should be")
    app.config["EXPORT_DIR"] = str(blocker)
    export = _new_export(author)

    with pytest.raises(OSError):
        exports.build_export(export.id)

    db.session.expire_all()
    failed = db.session.get(Export, export.id)
    assert failed.status == ExportStatus.FAILED
    assert failed.error and "Error" in failed.error
    # A failed export does not block the next one.
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    assert exports.start_export(author).status == ExportStatus.PENDING


def test_expired_exports_lose_their_file(app_ctx, author):
    export = exports.start_export(author)
    db.session.commit()
    db.session.refresh(export)
    path: Path = exports.export_path(export)
    fresh = exports.start_export(author)
    db.session.commit()

    assert exports.expire_exports(now=export.expires_at - timedelta(seconds=1)) == 0
    assert exports.expire_exports(now=export.expires_at + timedelta(seconds=1)) == 2
    db.session.commit()

    assert not path.exists()
    for row in (export, fresh):
        db.session.refresh(row)
        assert row.status == ExportStatus.EXPIRED and row.file_name is None
        assert not exports.is_downloadable(row)


def test_nightly_cleanup_expires_exports(app_ctx, author):
    from folio_common.queue import celery_app

    export = exports.start_export(author)
    db.session.commit()
    db.session.refresh(export)
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = celery_app().tasks["folio.cleanup_expired"].delay().get()

    assert result == {"tokens": 0, "exports": 1}
    db.session.refresh(export)
    assert export.status == ExportStatus.EXPIRED


def _entries(export: Export) -> list[str]:
    with _archive(export) as archive:
        assert archive.testzip() is None
        return sorted(archive.namelist())


def test_a_build_in_slices_resumes_where_the_last_one_stopped(app_ctx, author, monkeypatch):
    export = _new_export(author, posts=25)
    export_id = export.id
    queued: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(exports, "BATCH_SIZE", 10)
    monkeypatch.setattr(exports, "enqueue", lambda name, *args: queued.append((name, args)))

    # A slice with no time left writes one batch, records where it got and queues the next.
    assert exports.build_export(export_id, slice_seconds=0) is True
    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.RUNNING and export.progress == 40
    assert queued == [("folio.build_export", (export_id,))]
    # A worker killed mid-batch leaves bytes past the recorded point; the next slice cuts them.
    archive, directory, metadata = exports._parts(exports.export_path(export))
    for part in (archive, directory, metadata):
        with part.open("ab") as handle:
            handle.write(b"half-written garbage")

    while exports.build_export(export_id, slice_seconds=0) and len(queued) < 10:
        db.session.expire_all()
        if db.session.get(Export, export_id).status == ExportStatus.DONE:
            break

    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.DONE and export.progress == 100
    names = _entries(export)
    assert len(names) == 26 and names[0] == "posts.json"
    with _archive(export) as zipped:
        metadata_doc = json.loads(zipped.read("posts.json"))
    assert metadata_doc["count"] == 25 and len(metadata_doc["posts"]) == 25
    assert not archive.exists() and not directory.exists() and not metadata.exists()


def test_a_build_that_keeps_dying_without_progress_is_failed_not_requeued(app_ctx, author):
    export = Export(user_id=author.id, status=ExportStatus.RUNNING, attempts=exports.MAX_ATTEMPTS)
    db.session.add(export)
    db.session.commit()

    assert exports.build_export(export.id) is False

    db.session.refresh(export)
    assert export.status == ExportStatus.FAILED and "attempts" in export.error
    # The user can ask again at once.
    assert exports.start_export(author).status == ExportStatus.PENDING


def test_a_stuck_export_is_requeued_then_failed_once_out_of_attempts(app_ctx, author, monkeypatch):
    queued: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(exports, "enqueue", lambda name, *args: queued.append((name, args)))
    long_ago = utcnow() - exports.STUCK_AFTER - timedelta(minutes=1)
    stuck = Export(user_id=author.id, status=ExportStatus.RUNNING, heartbeat_at=long_ago)
    moving = Export(user_id=author.id, status=ExportStatus.RUNNING, heartbeat_at=utcnow())
    hopeless = Export(
        user_id=author.id,
        status=ExportStatus.PENDING,
        created_at=long_ago,
        attempts=exports.MAX_ATTEMPTS,
    )
    db.session.add_all([stuck, moving, hopeless])
    db.session.commit()

    assert exports.recover_stuck_exports() == {"requeued": 1, "failed": 1}
    db.session.commit()

    assert queued == [("folio.build_export", (stuck.id,))]
    assert db.session.get(Export, hopeless.id).status == ExportStatus.FAILED
    assert db.session.get(Export, moving.id).status == ExportStatus.RUNNING
    # Just requeued: not stuck again until STUCK_AFTER has passed once more.
    assert exports.recover_stuck_exports() == {"requeued": 0, "failed": 0}


def test_a_database_outage_mid_build_keeps_the_progress_for_the_retry(app_ctx, author, monkeypatch):
    from sqlalchemy.exc import OperationalError

    export = _new_export(author, posts=25)
    export_id = export.id
    monkeypatch.setattr(exports, "BATCH_SIZE", 10)
    monkeypatch.setattr(exports, "enqueue", lambda *_args: None)
    assert exports.build_export(export_id, slice_seconds=0) is True
    real_markdown = exports._markdown_file

    def database_gone(post):
        raise OperationalError("SELECT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(exports, "_markdown_file", database_gone)
    with pytest.raises(OperationalError):
        exports.build_export(export_id)

    db.session.expire_all()
    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.RUNNING and export.last_post_id > 0
    monkeypatch.setattr(exports, "_markdown_file", real_markdown)
    assert exports.build_export(export_id) is True
    db.session.expire_all()
    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.DONE
    assert len(_entries(export)) == 26
