"""/api/v1/posts: list, read, write, publish and delete posts, through the posts service."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from flask import abort, url_for
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from folio_common.extensions import db
from folio_common.models import Permission, Post, PostStatus, User
from folio_common.services import content_cache
from folio_common.services import images as image_service
from folio_common.services import posts as post_service
from folio_web.api.auth import BEARER_AUTH, OPTIONAL_BEARER_AUTH, api_user, optional_api_user
from folio_web.api.problems import fail
from folio_web.api.responses import (
    Page,
    capped_count,
    check_if_match,
    get_or_404,
    json_write,
    page_response,
    paginated,
    requires_json,
)
from folio_web.api.schemas import (
    PostCreateSchema,
    PostListQuerySchema,
    PostPageSchema,
    PostSchema,
    PostWriteSchema,
    PublishSchema,
)
from folio_web.edge_cache import shared

blp = Blueprint("api-posts", __name__, url_prefix="/api/v1/posts", description="Posts")
post_schema = PostSchema()

_ORDER = {
    "newest": (Post.published_at.desc().nulls_last(), Post.created_at.desc(), Post.id.desc()),
    "oldest": (Post.published_at.asc().nulls_last(), Post.created_at.asc(), Post.id.asc()),
    "title": (Post.title.asc(), Post.id.asc()),
}
# Published posts all have a publication time: these orders walk ix_posts_published_newest.
_PUBLISHED_ORDER = {
    **_ORDER,
    "newest": (Post.published_at.desc(), Post.id.desc()),
    "oldest": (Post.published_at.asc(), Post.id.asc()),
}
# A list counts its matches up to this many: a full count costs a scan of every match.
COUNT_CAP = 1000
# A content version lives until the next change; this bounds what an unchanged site keeps.
COUNT_SECONDS = 600


# Everything a post's JSON shows, in the same query as the post.
_POST_WITH_RELATIONS = (joinedload(Post.author), joinedload(Post.tags))


def visible_post(post_id: int, viewer: User | None) -> Post:
    post = get_or_404(Post, post_id, "No such post.", options=_POST_WITH_RELATIONS)
    if not post_service.can_view(post, viewer):
        abort(404, description="No such post.")
    return post


def _editable_post(post_id: int) -> Post:
    user = api_user()
    post = visible_post(post_id, user)
    if not post_service.can_edit(post, user):
        abort(403, description="Only the post's author or an admin may change it.")
    return post


def _set_cover(post: Post, data: dict[str, Any], user: User) -> None:
    """Apply `cover_image_id` when the request has it (null removes the cover)."""
    if "cover_image_id" not in data:
        return
    try:
        image_service.set_post_cover(post, image_service.owned_image(data["cover_image_id"], user))
    except image_service.ImageError as exc:
        db.session.rollback()
        fail(422, str(exc), field="cover_image_id")


def _post_error(exc: post_service.PostError) -> NoReturn:
    db.session.rollback()
    fail(409 if isinstance(exc, post_service.SlugTaken) else 422, str(exc), field=exc.field)


def _list_query(args: dict[str, Any], viewer: User | None, sort: str) -> Select[tuple[Post]]:
    status = args["status"]
    if status == PostStatus.PUBLISHED:
        query = post_service.published_posts(
            tag=args.get("tag"), author=args.get("author"), q=args.get("q")
        )
        return query.order_by(None).order_by(*_PUBLISHED_ORDER[sort])
    else:
        if viewer is None:
            abort(401, description="Sign in to list your unpublished posts.")
        query = post_service.own_posts(viewer, status, tag=args.get("tag"), q=args.get("q"))
    return query.order_by(None).order_by(*_ORDER[sort])


def _published_count(query: Select[tuple[Post]], args: dict[str, Any]) -> tuple[int, bool]:
    """The capped count of a published list, kept under the content version per filter.

    Every page of a list shows the same count, and for a tag on a fifth of a million posts it
    probes post_tags for 5,000 posts (9 ms); counted once per change instead of per request.
    """
    filters = json.dumps([args.get("tag"), args.get("author"), args.get("q")])
    key = "api-count:" + hashlib.sha256(filters.encode()).hexdigest()[:32]
    total, capped = content_cache.remembered(
        key,
        lambda: capped_count(query.with_only_columns(Post.id), COUNT_CAP),
        timeout=COUNT_SECONDS,
    )
    return total, capped


@blp.route("", methods=["GET"])
@blp.arguments(PostListQuerySchema, location="query")
@blp.response(200, PostPageSchema)
@blp.doc(security=OPTIONAL_BEARER_AUTH)
@shared
def list_posts(args: dict[str, Any]) -> Page:
    """Published posts (filter by tag slug, author username, search words), or your own drafts.

    `status=draft` or `status=scheduled` lists the caller's own unpublished posts. Newest first,
    pages follow `meta.older` (`before=`) and `meta.newer` (`after=`); `page=` still works.
    With `q` the best matches come first (title above tags above text, among the newest 500).
    `total` counts up to 1,000 matches; `total_capped` says there are more.
    """
    page, per_page, q = args["page"], args["per_page"], args.get("q")
    published = args["status"] == PostStatus.PUBLISHED
    sort = args.get("sort") or ("relevance" if q else "newest")
    if published and q and sort == "relevance":
        results = post_service.search_posts(
            q,
            page=page,
            per_page=per_page,
            tag=args.get("tag"),
            author=args.get("author"),
            snippets=False,
        )
        return page_response(
            [hit.post for hit in results.hits],
            args,
            total=results.total,
            capped=results.capped,
        )
    sort = "newest" if sort == "relevance" else sort
    query = _list_query(args, optional_api_user(), sort)
    if not published:
        return paginated(query, args)
    total, capped = _published_count(query, args)
    if sort != "newest":
        items = db.session.execute(query.offset((page - 1) * per_page).limit(per_page)).scalars()
        return page_response(list(items), args, total=total, capped=capped)
    window = post_service.newest_first_window(
        query, per_page=per_page, before=args.get("before"), after=args.get("after"), page=page
    )
    return page_response(
        window.items,
        args,
        total=total,
        capped=capped,
        cursors=(window.older, window.newer),
    )


@blp.route("", methods=["POST"])
@json_write(blp, PostCreateSchema, 201, PostSchema)
def create_post(data: dict[str, Any]) -> tuple[Post, dict[str, str]]:
    """Write a post: a draft by default, or published now, or scheduled with `publish_at`."""
    user = api_user()
    if not user.can(Permission.WRITE):
        abort(403, description="Your account may not write posts.")
    try:
        post = post_service.create_post(
            user,
            data["title"],
            data["body"],
            tags=data.get("tags", ()),
            status=data.get("status", PostStatus.DRAFT),
            publish_at=data.get("publish_at"),
            slug=data.get("slug"),
        )
    except post_service.PostError as exc:
        _post_error(exc)
    _set_cover(post, data, user)
    db.session.commit()
    return post, {"Location": url_for("api-posts.get_post", post_id=post.id)}


@blp.route("/<int:post_id>", methods=["GET"])
@blp.response(200, PostSchema)
@blp.doc(security=OPTIONAL_BEARER_AUTH)
@shared
def get_post(post_id: int) -> Post:
    """A post by id; drafts and scheduled posts only for their author and admins."""
    return visible_post(post_id, optional_api_user())


@blp.route("/by-slug/<string:slug>", methods=["GET"])
@blp.response(200, PostSchema)
@blp.doc(security=OPTIONAL_BEARER_AUTH)
@shared
def get_post_by_slug(slug: str) -> Post:
    """A post by its slug."""
    post = post_service.get_post_by_slug(slug) if "\x00" not in slug else None
    if post is None or not post_service.can_view(post, optional_api_user()):
        abort(404, description="No such post.")
    return post


@blp.route("/<int:post_id>", methods=["PATCH"])
@json_write(blp, PostWriteSchema, 200, PostSchema)
def update_post(data: dict[str, Any], post_id: int) -> Post:
    """Change some fields of a post (its author or an admin). Send `If-Match` to avoid
    overwriting someone else's change: a stale ETag gets 412."""
    post = _editable_post(post_id)
    check_if_match(post_schema.dump(post))
    fields = {name: value for name, value in data.items() if name != "cover_image_id"}
    try:
        post_service.update_post(post, **fields)
    except post_service.PostError as exc:
        _post_error(exc)
    _set_cover(post, data, api_user())
    db.session.commit()
    return post


@blp.route("/<int:post_id>", methods=["DELETE"])
@jwt_required()
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
def delete_post(post_id: int) -> None:
    """Delete a post and its comments (its author or an admin)."""
    post = _editable_post(post_id)
    check_if_match(post_schema.dump(post))
    post_service.delete_post(post)
    db.session.commit()


@blp.route("/<int:post_id>/publish", methods=["POST"])
@jwt_required()
@requires_json(optional=True)
@blp.arguments(PublishSchema, required=False)
@blp.response(200, PostSchema)
@blp.doc(security=BEARER_AUTH)
def publish_post(data: dict[str, Any], post_id: int) -> Post:
    """Publish now, or at `publish_at` (a future time schedules the post)."""
    post = _editable_post(post_id)
    publish_at = data.get("publish_at")
    status = PostStatus.SCHEDULED if publish_at else PostStatus.PUBLISHED
    if post.status != PostStatus.PUBLISHED:
        try:
            post_service.update_post(post, status=status, publish_at=publish_at)
        except post_service.PostError as exc:
            _post_error(exc)
        db.session.commit()
    return post
