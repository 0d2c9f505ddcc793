"""Posts and tags: writing, publishing (now or later), listing, searching."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from slugify import slugify
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from folio_common.extensions import db
from folio_common.markdown import plain_summary, render_markdown
from folio_common.models import Post, PostStatus, Tag, User, post_tags, utcnow
from folio_common.models.posts import search_document
from folio_common.queue import enqueue
from folio_common.services import content_cache

MAX_TAGS = 8
# An ASCII letter or digit first (so the slug is never empty), then letters, digits, spaces and
# . + # _ -. Spelled without \w, which means different things in Python and in the ECMA regexes
# the API's OpenAPI document uses, so the document and this check agree.
TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+#_-]{0,39}$")
# Post slugs as the API documents them (anything else is slugified on the way in).
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class PostError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SlugTaken(PostError):
    pass


# --- tags -------------------------------------------------------------------------------------


def parse_tags(raw: str | Iterable[str]) -> list[str]:
    """Tag names from "a, b, c" or a list: trimmed, de-duplicated (case-insensitively), checked."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    names: dict[str, str] = {}
    for item in items:
        name = " ".join(str(item).split())
        if not name:
            continue
        if not TAG_PATTERN.match(name):
            raise PostError(f"{name!r} is not a valid tag.", field="tags")
        names.setdefault(name.lower(), name)
    if len(names) > MAX_TAGS:
        raise PostError(f"A post can have at most {MAX_TAGS} tags.", field="tags")
    return list(names.values())


def get_or_create_tags(names: Iterable[str]) -> list[Tag]:
    tags: list[Tag] = []
    seen: set[str] = set()
    for name in names:
        # Transliteration can lengthen a name; the slug column holds 48 characters.
        slug = slugify(name, max_length=48)
        # "C#" and "C" share a slug: one tag, or the post would carry the same row twice.
        if slug in seen:
            continue
        seen.add(slug)
        tag = db.session.execute(select(Tag).where(Tag.slug == slug)).scalar_one_or_none()
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


def tags_with_counts() -> list[tuple[Tag, int]]:
    """Every tag with its number of published posts, most used first."""
    count = func.count(Post.id)
    rows = db.session.execute(
        select(Tag, count)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, (Post.id == post_tags.c.post_id) & (Post.status == PostStatus.PUBLISHED))
        .group_by(Tag.id)
        .order_by(count.desc(), Tag.name)
    ).all()
    return [(tag, n) for tag, n in rows]


def get_tag(slug: str) -> Tag | None:
    return db.session.execute(select(Tag).where(Tag.slug == slug)).scalar_one_or_none()


# --- slugs ------------------------------------------------------------------------------------


def _slug_exists(slug: str, exclude_id: int | None) -> bool:
    query = select(Post.id).where(Post.slug == slug)
    if exclude_id is not None:
        query = query.where(Post.id != exclude_id)
    return db.session.execute(query).first() is not None


def unique_slug(title: str, exclude_id: int | None = None) -> str:
    base = slugify(title, max_length=200) or "post"
    slug, n = base, 2
    while _slug_exists(slug, exclude_id):
        slug = f"{base}-{n}"
        n += 1
    return slug


# --- writing ----------------------------------------------------------------------------------


def _validate(title: str, body: str) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise PostError("A post needs a title.", field="title")
    if len(title) > 200:
        raise PostError("Titles can be at most 200 characters.", field="title")
    if not body.strip():
        raise PostError("A post needs some text.", field="body")
    return title, body


def _apply_status(post: Post, status: PostStatus, publish_at: datetime | None) -> None:
    """Move `post` to `status`; a post becoming published tells its author's followers."""
    now = utcnow()
    if status == PostStatus.SCHEDULED:
        if publish_at is None:
            raise PostError("Choose when the post should be published.", field="publish_at")
        if publish_at.tzinfo is None:
            raise PostError("The publication time needs a time zone.", field="publish_at")
        if publish_at <= now:
            status = PostStatus.PUBLISHED
    was_published = post.status == PostStatus.PUBLISHED
    post.status = status
    post.publish_at = publish_at if status == PostStatus.SCHEDULED else None
    if status == PostStatus.PUBLISHED and not was_published:
        post.published_at = post.published_at or now
        db.session.flush()
        enqueue("folio.notify_followers", post.id)


def create_post(
    author: User,
    title: str,
    body: str,
    *,
    tags: Iterable[str] | str = (),
    status: PostStatus = PostStatus.DRAFT,
    publish_at: datetime | None = None,
    slug: str | None = None,
) -> Post:
    title, body = _validate(title, body)
    if slug is not None:
        slug = slugify(slug, max_length=200)
        if not slug:
            raise PostError("That slug is not valid.", field="slug")
        if _slug_exists(slug, None):
            raise SlugTaken("Another post already uses that slug.", field="slug")
    # Tags are looked up before the Post exists: a query autoflushes, and a Post that is only
    # attached to its author (not yet added to the session) would make that flush warn.
    tag_rows = get_or_create_tags(parse_tags(tags))
    post = Post(
        author=author,
        title=title,
        slug=slug or unique_slug(title),
        body_markdown=body,
        body_html=render_markdown(body),
        summary=plain_summary(body),
        status=PostStatus.DRAFT,
        tags=tag_rows,
    )
    db.session.add(post)
    db.session.flush()
    _apply_status(post, PostStatus(status), publish_at)
    content_cache.invalidate()
    return post


def update_post(
    post: Post,
    *,
    title: str | None = None,
    body: str | None = None,
    tags: Iterable[str] | str | None = None,
    status: PostStatus | None = None,
    publish_at: datetime | None = None,
    slug: str | None = None,
) -> Post:
    new_title, new_body = _validate(
        title if title is not None else post.title, body if body is not None else post.body_markdown
    )
    post.title = new_title
    if body is not None:
        post.body_markdown = new_body
        post.body_html = render_markdown(new_body)
        post.summary = plain_summary(new_body)
    if slug is not None and slug != post.slug:
        slug = slugify(slug, max_length=200)
        if not slug:
            raise PostError("That slug is not valid.", field="slug")
        if _slug_exists(slug, post.id):
            raise SlugTaken("Another post already uses that slug.", field="slug")
        post.slug = slug
    if tags is not None:
        post.tags = get_or_create_tags(parse_tags(tags))
    if status is not None:
        _apply_status(post, PostStatus(status), publish_at)
    post.updated_at = utcnow()
    db.session.flush()
    content_cache.invalidate()
    return post


def publish_post(post_id: int) -> bool:
    """Publish now; True if this call published it (False: missing or already published)."""
    post = db.session.get(Post, post_id)
    if post is None or post.status == PostStatus.PUBLISHED:
        return False
    _apply_status(post, PostStatus.PUBLISHED, None)
    content_cache.invalidate()
    return True


def publish_due_posts(now: datetime | None = None) -> list[int]:
    """Publish every scheduled post whose time has come; safe to run from several places."""
    now = now or utcnow()
    due = (
        db.session.execute(
            select(Post)
            .where(Post.status == PostStatus.SCHEDULED, Post.publish_at <= now)
            .order_by(Post.publish_at)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for post in due:
        post.published_at = post.publish_at
        _apply_status(post, PostStatus.PUBLISHED, None)
    if due:
        content_cache.invalidate()
    return [post.id for post in due]


def delete_post(post: Post) -> None:
    db.session.delete(post)
    db.session.flush()
    content_cache.invalidate()


# --- reading ----------------------------------------------------------------------------------


def can_view(post: Post, viewer: User | None) -> bool:
    """Published posts are public; drafts and scheduled posts only for their author and admins."""
    if post.status == PostStatus.PUBLISHED:
        return True
    return viewer is not None and (viewer.id == post.author_id or viewer.is_admin)


def can_edit(post: Post, viewer: User | None) -> bool:
    return viewer is not None and viewer.active and (viewer.id == post.author_id or viewer.is_admin)


def get_post_by_slug(slug: str) -> Post | None:
    return db.session.execute(
        select(Post)
        .where(Post.slug == slug)
        .options(selectinload(Post.tags), selectinload(Post.author))
    ).scalar_one_or_none()


def _with_list_options(query: Select[tuple[Post]]) -> Select[tuple[Post]]:
    # Lists show author and tags for every post: load them in two queries, not one per post.
    return query.options(selectinload(Post.author), selectinload(Post.tags))


def published_posts(
    *, tag: str | None = None, author: str | None = None, q: str | None = None
) -> Select[tuple[Post]]:
    """Published posts, newest first, optionally by tag slug, author username or search words."""
    query = select(Post).where(Post.status == PostStatus.PUBLISHED)
    if tag:
        query = query.where(Post.tags.any(Tag.slug == tag))
    if author:
        query = query.join(Post.author).where(func.lower(User.username) == author.lower())
    if q:
        query = apply_search(query, q)
    return _with_list_options(query.order_by(Post.published_at.desc(), Post.id.desc()))


def posts_by_author(author: User, *, include_unpublished: bool) -> Select[tuple[Post]]:
    query = select(Post).where(Post.author_id == author.id)
    if not include_unpublished:
        query = query.where(Post.status == PostStatus.PUBLISHED)
    return _with_list_options(
        query.order_by(Post.published_at.desc().nulls_first(), Post.created_at.desc())
    )


def apply_search(query: Select[tuple[Post]], q: str) -> Select[tuple[Post]]:
    """Full-text search on Postgres (uses the GIN index); a LIKE on every word elsewhere."""
    q = " ".join(q.split())[:200]
    if not q:
        return query
    if db.session.get_bind().dialect.name == "postgresql":
        ts_query = func.websearch_to_tsquery("english", q)
        return query.where(search_document(Post.title, Post.body_markdown).op("@@")(ts_query))
    for word in q.split()[:10]:
        # Wildcards are matched literally: "%" alone must not match every post.
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                Post.title.ilike(pattern, escape="\\"),
                Post.body_markdown.ilike(pattern, escape="\\"),
            )
        )
    return query


def find_author(username: str) -> User | None:
    """The user whose username is `username` in any case (author pages are addressed by it)."""
    return db.session.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()
