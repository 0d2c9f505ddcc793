"""Re-rendering stored HTML after the Markdown rules change (highlighting, tables, comments).

Posts and comments keep their rendered HTML, so a change to folio_common.markdown reaches old
rows only through here. Work goes in id order, one committed batch at a time: a batch holds its
rows' locks for a moment only, an interrupted run resumes from the id it printed, and a repeat
run rewrites the same HTML (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from folio_common.extensions import db
from folio_common.markdown import count_words, render_comment, render_markdown
from folio_common.models import Comment, Post
from folio_common.services import content_cache

DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True)
class Batch:
    changed: int
    # The last id this batch read; None when there was nothing left after the starting id.
    last_id: int | None


def _rerender(
    model: type[Post] | type[Comment],
    after_id: int,
    size: int,
    update: Callable[[Any], bool],
) -> Batch:
    """Apply `update` (True: it changed the row) to the next `size` rows of `model`."""
    rows = db.session.execute(
        select(model).where(model.id > after_id).order_by(model.id).limit(size)
    ).scalars()
    changed, last_id = 0, None
    for row in rows:
        last_id = row.id
        changed += update(row)
    db.session.flush()
    if changed:
        content_cache.invalidate()
    return Batch(changed, last_id)


def _rerender_post(post: Post) -> bool:
    body_html = render_markdown(post.body_markdown)
    words = count_words(body_html)
    if body_html == post.body_html and words == post.word_count:
        return False
    # The body's own columns only: updated_at says when the author last edited it.
    post.body_html, post.word_count = body_html, words
    return True


def _rerender_comment(comment: Comment) -> bool:
    body_html = render_comment(comment.body)
    if body_html == comment.body_html:
        return False
    comment.body_html = body_html
    return True


def rerender_posts(after_id: int = 0, size: int = DEFAULT_BATCH_SIZE) -> Batch:
    """Render the next `size` posts after `after_id` again; the caller commits."""
    return _rerender(Post, after_id, size, _rerender_post)


def rerender_comments(after_id: int = 0, size: int = DEFAULT_BATCH_SIZE) -> Batch:
    """Render the next `size` comments after `after_id` again; the caller commits."""
    return _rerender(Comment, after_id, size, _rerender_comment)
