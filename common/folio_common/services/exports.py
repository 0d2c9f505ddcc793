"""'Export my posts': a ZIP of Markdown files plus JSON metadata, built by the worker.

`start_export` records the request and enqueues the build; `build_export` writes the archive in
time slices, committing its progress as it goes so the account page can show it and so a killed
worker costs one slice; `recover_stuck_exports` requeues or fails builds that stopped moving;
`expire_exports` removes archives past their lifetime. Memory stays flat at any account size:
posts are read in batches and the archive's directory is spooled to disk (folio_common.ziparchive).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.models import Export, ExportStatus, Post, User, utcnow
from folio_common.queue import enqueue
from folio_common.services.errors import ServiceError
from folio_common.ziparchive import ZipWriter

log = logging.getLogger("folio.exports")

# Posts read per query; progress is committed after each batch, so the page moves as it builds.
BATCH_SIZE = 500
# Each task run builds for at most this long, then queues the next slice: well inside the soft
# time limit (45 s) and the broker's visibility timeout (120 s). 260,000 posts take a few slices.
SLICE_SECONDS = 25.0
# Runs in a row that made no progress before the export is failed instead of requeued.
MAX_ATTEMPTS = 3
# A pending or running export whose build has not moved for this long is recovered.
STUCK_AFTER = timedelta(minutes=3)
IN_PROGRESS = (ExportStatus.PENDING, ExportStatus.RUNNING)
ERROR_LENGTH = 500


class ExportError(ServiceError):
    """An export that cannot be started or served."""


def exports_for(user: User, limit: int = 20) -> list[Export]:
    return list(
        db.session.execute(
            db.select(Export)
            .where(Export.user_id == user.id)
            .order_by(Export.created_at.desc(), Export.id.desc())
            .limit(limit)
        ).scalars()
    )


def start_export(user: User) -> Export:
    """Record an export and enqueue its build (sent when the caller commits)."""
    busy = db.session.execute(
        db.select(Export.id).where(Export.user_id == user.id, Export.status.in_(IN_PROGRESS))
    ).first()
    if busy is not None:
        raise ExportError(N_("An export of your posts is already being prepared."))
    export = Export(user_id=user.id, status=ExportStatus.PENDING, progress=0)
    db.session.add(export)
    db.session.flush()
    enqueue("folio.build_export", export.id)
    return export


def export_dir() -> Path:
    return Path(current_app.config["EXPORT_DIR"])


def export_path(export: Export) -> Path | None:
    if not export.file_name:
        return None
    return export_dir() / export.file_name


def is_downloadable(export: Export, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        export.status == ExportStatus.DONE
        and export.file_name is not None
        and (export.expires_at is None or export.expires_at > now)
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _markdown_file(post: Post) -> str:
    """The post as Markdown with a front-matter header (JSON strings are valid YAML scalars)."""
    header = {
        "title": post.title,
        "slug": post.slug,
        "status": str(post.status),
        "created": _iso(post.created_at),
        "updated": _iso(post.updated_at),
        "published": _iso(post.published_at),
        "publish_at": _iso(post.publish_at),
        "tags": [tag.name for tag in post.tags],
    }
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in header.items()]
    lines += ["---", "", post.body_markdown.rstrip(), ""]
    return "\n".join(lines)


def _metadata(post: Post, path: str) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "status": str(post.status),
        "summary": post.summary,
        "tags": [tag.name for tag in post.tags],
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "published_at": _iso(post.published_at),
        "publish_at": _iso(post.publish_at),
        "file": path,
    }


def _parts(target: Path) -> tuple[Path, Path, Path]:
    """The archive being built, its central directory, and the metadata lines for posts.json."""
    return (
        target.with_name(target.name + ".part"),
        target.with_name(target.name + ".dir"),
        target.with_name(target.name + ".meta"),
    )


def _remove_parts(target: Path) -> None:
    for part in _parts(target):
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)


def build_export(export_id: int, slice_seconds: float = SLICE_SECONDS) -> bool:
    """Build `export_id` for up to `slice_seconds`; True if it did any work, False if none due.

    An unfinished build commits where it got to and queues its next slice, so no single task
    outlives the broker's visibility timeout and a killed worker loses at most one slice. Safe
    to run again: a finished export is left alone, and a resumed one cuts its files back to the
    last committed point. A build that keeps dying before it gets anywhere (a worker killed for
    memory, say) is failed after MAX_ATTEMPTS rather than requeued for ever.
    """
    export = db.session.get(Export, export_id)
    if export is None or export.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
        return False
    if export.attempts >= MAX_ATTEMPTS:
        _fail(export, f"Gave up after {export.attempts} attempts that made no progress.")
        db.session.commit()
        return False
    user_id = export.user_id
    if not export.file_name:
        # Unguessable, so knowing someone's export id is not enough to find their archive.
        export.file_name = f"folio-export-{export_id}-{secrets.token_urlsafe(18)}.zip"
    if not export.last_post_id:
        export.progress = 0
    export.status = ExportStatus.RUNNING
    export.error = None
    export.attempts += 1
    export.heartbeat_at = utcnow()
    db.session.commit()

    target = export_dir() / export.file_name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        finished = _write_slice(export, user_id, target, time.monotonic() + slice_seconds)
    except SQLAlchemyError:
        # The database went away mid-slice: keep what was committed, and let the task's retry
        # (or, failing that, recover_stuck_exports) resume from there.
        db.session.rollback()
        raise
    except Exception as exc:
        db.session.rollback()
        export = db.session.get(Export, export_id)
        if export is not None:
            _fail(export, f"{type(exc).__name__}: {exc}")
            db.session.commit()
        log.exception("export failed", extra={"export_id": export_id})
        raise
    # The slice let go of every ORM object it loaded, this row included.
    export = db.session.get(Export, export_id)
    assert export is not None
    if not finished:
        # The next slice goes out with this commit (outbox), so it cannot be lost in between.
        enqueue("folio.build_export", export_id)
        db.session.commit()
        log.info("export slice built", extra=_slice_facts(export))
        return True
    os.replace(_parts(target)[0], target)
    _remove_parts(target)
    now = utcnow()
    export.status = ExportStatus.DONE
    export.progress = 100
    export.size_bytes = target.stat().st_size
    export.finished_at = now
    export.expires_at = now + timedelta(hours=current_app.config["EXPORT_TTL_HOURS"])
    db.session.commit()
    log.info("export built", extra={**_slice_facts(export), "bytes": export.size_bytes})
    return True


def _slice_facts(export: Export) -> dict[str, int]:
    # Peak memory of this process so far: the figure the 200 MB budget is checked against.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"export_id": export.id, "progress": export.progress, "max_rss_mb": peak_kib // 1024}


def _fail(export: Export, error: str) -> None:
    export.status = ExportStatus.FAILED
    export.error = error[:ERROR_LENGTH]
    export.finished_at = utcnow()
    # The next request starts over: nothing of this build's files is reused.
    export.last_post_id = export.archive_bytes = export.directory_bytes = 0
    export.metadata_bytes = export.attempts = 0
    if export.file_name:
        _remove_parts(export_dir() / export.file_name)


def _write_slice(export: Export, user_id: int, target: Path, deadline: float) -> bool:
    """Append posts after `export.last_post_id` until done or past `deadline`; True if done."""
    export_id = export.id
    archive_path, directory_path, metadata_path = _parts(target)
    resuming = export.last_post_id > 0
    if not resuming:
        _remove_parts(target)
    total = db.session.execute(
        db.select(func.count()).select_from(Post).where(Post.author_id == user_id)
    ).scalar_one()
    written = 0
    if resuming:
        written = db.session.execute(
            db.select(func.count())
            .select_from(Post)
            .where(Post.author_id == user_id, Post.id <= export.last_post_id)
        ).scalar_one()
    writer = ZipWriter(archive_path, directory_path, export.archive_bytes, export.directory_bytes)
    try:
        with _open_at(metadata_path, export.metadata_bytes) as metadata:
            cursor = export.last_post_id
            finished = False
            while True:
                batch = list(
                    db.session.execute(
                        db.select(Post)
                        .where(Post.author_id == user_id, Post.id > cursor)
                        .options(selectinload(Post.tags))
                        .order_by(Post.id)
                        .limit(BATCH_SIZE)
                    ).scalars()
                )
                if not batch:
                    finished = True
                    break
                for post in batch:
                    name = f"posts/{post.slug}.md"  # slugs are unique
                    writer.add(name, _markdown_file(post).encode())
                    metadata.write(
                        json.dumps(_metadata(post, name), ensure_ascii=False).encode() + b"\n"
                    )
                cursor = batch[-1].id
                written += len(batch)
                # Never 100 before the archive is complete: the page treats 100 as done.
                export.progress = min(99, written * 100 // max(total, 1))
                export.heartbeat_at = utcnow()
                db.session.commit()
                # The ORM need not remember posts already written: memory stays flat.
                db.session.expunge_all()
                export = db.session.get(Export, export_id)
                if time.monotonic() >= deadline:
                    break
            metadata.flush()
            if finished:
                metadata.seek(0)
                user = db.session.get(User, user_id)
                writer.add_stream("posts.json", _posts_json(user, written, metadata))
                writer.finish()
                return True
            archive_bytes, directory_bytes = writer.sizes()
            export.last_post_id = cursor
            export.archive_bytes, export.directory_bytes = archive_bytes, directory_bytes
            export.metadata_bytes = metadata.tell()
            export.attempts = 0  # this slice got somewhere
            return False
    finally:
        writer.close()


def _open_at(path: Path, size: int) -> BinaryIO:
    if size == 0 or not path.exists():
        path.write_bytes(b"")
    handle = path.open("r+b")
    handle.truncate(size)
    handle.seek(size)
    return handle


def _posts_json(user: User | None, count: int, lines: BinaryIO) -> Iterator[bytes]:
    """posts.json, streamed: the metadata file's lines become the `posts` array."""
    head = {"author": user.username if user else None, "exported_at": utcnow().isoformat()}
    yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "posts": ['
    for index, line in enumerate(lines):
        yield (b"," if index else b"") + b"\n  " + line.rstrip(b"\n")
    yield f'\n], "count": {count}}}\n'.encode()


def recover_stuck_exports(now: datetime | None = None) -> dict[str, int]:
    """Requeue pending or running exports that stopped moving; fail those out of attempts.

    A build stops moving when its worker died: the broker would bring the task back, but a
    message lost with a broker's data, or an export whose task never reached the broker, would
    otherwise block its user ("already being prepared") for good.
    """
    now = now or utcnow()
    cutoff = now - STUCK_AFTER
    stuck = db.session.execute(
        db.select(Export)
        .where(
            Export.status.in_(IN_PROGRESS),
            func.coalesce(Export.heartbeat_at, Export.created_at) < cutoff,
        )
        .with_for_update(skip_locked=True)
    ).scalars()
    requeued = failed = 0
    for export in stuck:
        if export.attempts >= MAX_ATTEMPTS:
            _fail(export, f"Gave up after {export.attempts} attempts that made no progress.")
            failed += 1
            continue
        export.heartbeat_at = now
        enqueue("folio.build_export", export.id)
        requeued += 1
    db.session.flush()
    if requeued or failed:
        log.warning("stuck exports recovered", extra={"requeued": requeued, "failed": failed})
    return {"requeued": requeued, "failed": failed}


def expire_exports(now: datetime | None = None) -> int:
    """Delete archives whose time is up and mark their exports expired; returns how many."""
    now = now or utcnow()
    expired = db.session.execute(
        db.select(Export).where(Export.status == ExportStatus.DONE, Export.expires_at <= now)
    ).scalars()
    count = 0
    for export in expired:
        path = export_path(export)
        if path is not None:
            path.unlink(missing_ok=True)
        export.status = ExportStatus.EXPIRED
        export.file_name = None
        count += 1
    db.session.flush()
    return count
