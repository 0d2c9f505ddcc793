"""/api/v1/posts/<id>/comments: read, write and remove comments on a post."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from folio_common.extensions import db
from folio_common.models import Comment, Permission
from folio_common.services import comments as comment_service
from folio_web.api.auth import BEARER_AUTH, OPTIONAL_BEARER_AUTH, api_user, optional_api_user
from folio_web.api.posts import visible_post
from folio_web.api.problems import fail
from folio_web.api.responses import Page, get_or_404, json_write, paginated
from folio_web.api.schemas import (
    CommentCreateSchema,
    CommentPageSchema,
    CommentSchema,
    PageQuerySchema,
)
from folio_web.edge_cache import shared

blp = Blueprint(
    "api-comments",
    __name__,
    url_prefix="/api/v1/posts/<int:post_id>/comments",
    description="Comments on posts",
)


@blp.route("", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, CommentPageSchema)
@blp.doc(security=OPTIONAL_BEARER_AUTH)
@shared
def list_comments(args: dict[str, Any], post_id: int) -> Page:
    """The post's comments, oldest first."""
    post = visible_post(post_id, optional_api_user())
    return paginated(comment_service.comments_for(post), args)


@blp.route("", methods=["POST"])
@json_write(blp, CommentCreateSchema, 201, CommentSchema)
def create_comment(data: dict[str, Any], post_id: int) -> tuple[Comment, dict[str, str]]:
    """Comment on a published post (confirmed accounts)."""
    user = api_user()
    post = visible_post(post_id, user)
    if not user.can(Permission.COMMENT):
        abort(403, description="Your account may not comment.")
    try:
        comment = comment_service.add_comment(post, user, data["body"])
    except comment_service.CommentError as exc:
        db.session.rollback()
        # Without a field, the post is the problem: it is not open for comments yet.
        fail(422 if exc.field else 409, str(exc), field=exc.field)
    db.session.commit()
    return comment, {"Location": url_for("api-comments.list_comments", post_id=post.id)}


@blp.route("/<int:comment_id>", methods=["DELETE"])
@jwt_required()
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
def delete_comment(post_id: int, comment_id: int) -> None:
    """Remove a comment: its author, the post's author or an admin."""
    user = api_user()
    post = visible_post(post_id, user)
    comment = get_or_404(Comment, comment_id, "No such comment.")
    if comment.post_id != post.id:
        abort(404, description="No such comment.")
    if not comment_service.can_delete(comment, user):
        abort(403, description="Only the comment's author, the post's author or an admin may.")
    comment_service.delete_comment(comment)
    db.session.commit()
