"""Comments on published posts, and who may remove them."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from folio_common.extensions import db
from folio_common.markdown import render_comment
from folio_common.models import Comment, Permission, Post, User
from folio_common.services import content_cache
from folio_common.services.errors import ServiceError

MAX_COMMENT_LENGTH = 5000


class CommentError(ServiceError):
    pass


def add_comment(post: Post, author: User, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise CommentError("A comment cannot be empty.", field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(
            f"Comments can be at most {MAX_COMMENT_LENGTH} characters.", field="body"
        )
    if not post.is_published:
        raise CommentError("Comments open once a post is published.")
    if not author.can(Permission.COMMENT):
        raise CommentError("Confirm your email address before commenting.")
    comment = Comment(post=post, author=author, body=body, body_html=render_comment(body))
    db.session.add(comment)
    db.session.flush()
    content_cache.invalidate()
    return comment


def can_delete(comment: Comment, user: User | None) -> bool:
    if user is None or not user.active:
        return False
    return user.id in (comment.author_id, comment.post.author_id) or user.is_admin


def delete_comment(comment: Comment) -> None:
    db.session.delete(comment)
    db.session.flush()
    content_cache.invalidate()


def comments_for(post: Post) -> Select[tuple[Comment]]:
    return (
        select(Comment)
        .where(Comment.post_id == post.id)
        .options(selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )


def comment_page(post: Post, page: int, per_page: int) -> Pagination:
    """One page of a post's comments, oldest first: a post with hundreds of comments is read
    and rendered a page at a time. A page past the end is empty, not an error."""
    return db.paginate(comments_for(post), page=page, per_page=per_page, error_out=False)


def last_comment_page(post: Post, per_page: int) -> int:
    """The page that shows the newest comment (1 for none)."""
    count = db.session.scalar(select(func.count()).where(Comment.post_id == post.id)) or 0
    return max(1, -(-count // per_page))
