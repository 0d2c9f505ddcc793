"""'Export my posts': a ZIP of Markdown files plus JSON metadata, built by the worker.

`start_export` records the request and enqueues the build; `build_export` writes the archive,
committing its progress as it goes so the account page can show it; `expire_exports` removes
archives past their lifetime.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import selectinload

from folio_common.extensions import db
from folio_common.models import Export, ExportStatus, Post, User, utcnow
from folio_common.queue import enqueue

log = logging.getLogger("folio.exports")

# Posts written per chunk; progress is committed after each, so the page moves while it builds.
CHUNK_SIZE = 10
IN_PROGRESS = (ExportStatus.PENDING, ExportStatus.RUNNING)
ERROR_LENGTH = 500


class ExportError(ValueError):
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
        raise ExportError("An export of your posts is already being prepared.")
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


def build_export(export_id: int) -> bool:
    """Write the archive of `export_id`; True if built now, False if there was nothing to do.

    Safe to run again: a finished export is left alone, and an interrupted one is rebuilt from
    scratch into a temporary file that only replaces the archive once it is complete.
    """
    export = db.session.get(Export, export_id)
    if export is None or export.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
        return False
    user_id = export.user_id
    if not export.file_name:
        # Unguessable, so knowing someone's export id is not enough to find their archive.
        export.file_name = f"folio-export-{export_id}-{secrets.token_urlsafe(18)}.zip"
    export.status = ExportStatus.RUNNING
    export.progress = 0
    export.error = None
    db.session.commit()

    target = export_dir() / export.file_name
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_archive(export, user_id, partial)
        os.replace(partial, target)
    except Exception as exc:
        db.session.rollback()
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        export = db.session.get(Export, export_id)
        if export is not None:
            export.status = ExportStatus.FAILED
            export.error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
            db.session.commit()
        log.exception("export failed", extra={"export_id": export_id})
        raise
    now = utcnow()
    export.status = ExportStatus.DONE
    export.progress = 100
    export.size_bytes = target.stat().st_size
    export.finished_at = now
    export.expires_at = now + timedelta(hours=current_app.config["EXPORT_TTL_HOURS"])
    db.session.commit()
    log.info("export built", extra={"export_id": export_id, "bytes": export.size_bytes})
    return True


def _write_archive(export: Export, user_id: int, path: Path) -> None:
    post_ids = list(
        db.session.execute(
            db.select(Post.id).where(Post.author_id == user_id).order_by(Post.created_at, Post.id)
        ).scalars()
    )
    total = len(post_ids)
    metadata: list[dict[str, Any]] = []
    used_names: set[str] = set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for start in range(0, total, CHUNK_SIZE):
            chunk = db.session.execute(
                db.select(Post)
                .where(Post.id.in_(post_ids[start : start + CHUNK_SIZE]))
                .options(selectinload(Post.tags))
                .order_by(Post.created_at, Post.id)
            ).scalars()
            for post in chunk:
                name = f"posts/{post.slug}.md"
                if name in used_names:
                    name = f"posts/{post.slug}-{post.id}.md"
                used_names.add(name)
                archive.writestr(name, _markdown_file(post))
                metadata.append(_metadata(post, name))
            # Never 100 before the archive is complete: the page treats 100 as done.
            export.progress = min(99, (start + CHUNK_SIZE) * 100 // total)
            db.session.commit()
        user = db.session.get(User, user_id)
        archive.writestr(
            "posts.json",
            json.dumps(
                {
                    "author": user.username if user else None,
                    "exported_at": utcnow().isoformat(),
                    "count": total,
                    "posts": metadata,
                },
                ensure_ascii=False,
                indent=2,
            ),
        )


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
