"""Comments on published posts, and who may remove them."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.markdown import render_comment
from folio_common.models import Comment, Permission, Post, User
from folio_common.services import content_cache, posts
from folio_common.services.errors import ServiceError

MAX_COMMENT_LENGTH = 5000


class CommentError(ServiceError):
    pass


def add_comment(post: Post, author: User, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise CommentError(N_("A comment cannot be empty."), field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(
            N_("Comments can be at most %(max)s characters."), field="body", max=MAX_COMMENT_LENGTH
        )
    if not post.is_published:
        raise CommentError(N_("Comments open once a post is published."))
    if not author.can(Permission.COMMENT):
        raise CommentError(N_("Confirm your email address before commenting."))
    comment = Comment(post=post, author=author, body=body, body_html=render_comment(body))
    db.session.add(comment)
    db.session.flush()
    content_cache.invalidate()
    return comment


def moderates(post: Post, user: User | None) -> bool:
    """Whether `user` may delete every comment on `post`: whoever may edit the post may."""
    return posts.can_edit(post, user)


def can_delete(comment: Comment, user: User | None) -> bool:
    if moderates(comment.post, user):
        return True
    return user is not None and user.active and user.id == comment.author_id


def has_commented(post: Post, user: User) -> bool:
    """Whether `user` wrote any comment on `post` (ix_comments_author_id finds theirs)."""
    query = select(Comment.id).where(Comment.post_id == post.id, Comment.author_id == user.id)
    return db.session.scalar(query.limit(1)) is not None


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
