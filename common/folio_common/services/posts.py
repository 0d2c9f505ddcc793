"""Posts and tags: writing, publishing (now or later), listing, searching."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup, escape
from slugify import slugify
from sqlalchemy import ColumnElement, Select, false, func, literal, or_, select, tuple_
from sqlalchemy.orm import joinedload, load_only, selectinload

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.markdown import count_words, plain_summary, render_markdown
from folio_common.models import Post, PostStatus, Tag, User, post_tags, utcnow
from folio_common.models.posts import SEARCH_CONFIG
from folio_common.queue import enqueue
from folio_common.services import content_cache
from folio_common.services.errors import ServiceError

MAX_TAGS = 8
# A content version lives until the next change; this bounds what an unchanged site keeps.
TAG_COUNTS_SECONDS = 3600
# An ASCII letter or digit first (so the slug is never empty), then letters, digits, spaces and
# . + # _ -. Spelled without \w, which means different things in Python and in the ECMA regexes
# the API's OpenAPI document uses, so the document and this check agree.
TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+#_-]{0,39}$")
# Post slugs as the API documents them (anything else is slugified on the way in).
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class PostError(ServiceError):
    pass


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
            raise PostError(N_("%(tag)r is not a valid tag."), field="tags", tag=name)
        names.setdefault(name.lower(), name)
    if len(names) > MAX_TAGS:
        raise PostError(N_("A post can have at most %(max)s tags."), field="tags", max=MAX_TAGS)
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


@dataclass(frozen=True)
class TagCount:
    name: str
    slug: str
    posts: int


def tags_with_counts() -> list[TagCount]:
    """Every tag with its number of published posts, most used first.

    Counting joins every tagged post (two million rows at a million posts, about a second), so
    the result is kept in the cache under the content version: computed once per change.
    """
    count = func.count(Post.id)
    query = (
        select(Tag.name, Tag.slug, count)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, (Post.id == post_tags.c.post_id) & (Post.status == PostStatus.PUBLISHED))
        .group_by(Tag.id)
        .order_by(count.desc(), Tag.name)
    )
    rows = content_cache.remembered(
        "tag-counts",
        lambda: [tuple(row) for row in db.session.execute(query)],
        timeout=TAG_COUNTS_SECONDS,
    )
    return [TagCount(*row) for row in rows]


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
        raise PostError(N_("A post needs a title."), field="title")
    if len(title) > 200:
        raise PostError(N_("Titles can be at most 200 characters."), field="title")
    if not body.strip():
        raise PostError(N_("A post needs some text."), field="body")
    return title, body


def _set_body(post: Post, body: str) -> None:
    """The Markdown and everything derived from it, which pages show without rendering."""
    post.body_markdown = body
    post.body_html = render_markdown(body)
    post.summary = plain_summary(body)
    post.word_count = count_words(post.body_html)


def _apply_status(post: Post, status: PostStatus, publish_at: datetime | None) -> None:
    """Move `post` to `status`; a post becoming published tells its author's followers."""
    now = utcnow()
    if status == PostStatus.SCHEDULED:
        if publish_at is None:
            raise PostError(N_("Choose when the post should be published."), field="publish_at")
        if publish_at.tzinfo is None:
            raise PostError(N_("The publication time needs a time zone."), field="publish_at")
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
            raise PostError(N_("That slug is not valid."), field="slug")
        if _slug_exists(slug, None):
            raise SlugTaken(N_("Another post already uses that slug."), field="slug")
    # Tags are looked up before the Post exists: a query autoflushes, and a Post that is only
    # attached to its author (not yet added to the session) would make that flush warn.
    tag_rows = get_or_create_tags(parse_tags(tags))
    post = Post(
        author=author,
        title=title,
        slug=slug or unique_slug(title),
        status=PostStatus.DRAFT,
        tags=tag_rows,
    )
    _set_body(post, body)
    db.session.add(post)
    db.session.flush()
    _apply_status(post, PostStatus(status), publish_at)
    if post.is_published:
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
    was_published = post.is_published
    post.title = new_title
    if body is not None:
        _set_body(post, new_body)
    if slug is not None and slug != post.slug:
        slug = slugify(slug, max_length=200)
        if not slug:
            raise PostError(N_("That slug is not valid."), field="slug")
        if _slug_exists(slug, post.id):
            raise SlugTaken(N_("Another post already uses that slug."), field="slug")
        post.slug = slug
    if tags is not None:
        post.tags = get_or_create_tags(parse_tags(tags))
    if status is not None:
        _apply_status(post, PostStatus(status), publish_at)
    post.updated_at = utcnow()
    db.session.flush()
    # Only published posts reach cached pages (anonymous readers'): an autosaved draft every few
    # seconds must not empty the whole page cache.
    if was_published or post.is_published:
        content_cache.invalidate()
    return post


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
        .options(
            selectinload(Post.tags),
            selectinload(Post.author).joinedload(User.avatar_image),
            joinedload(Post.cover_image),
        )
    ).scalar_one_or_none()


def _with_list_options(query: Select[tuple[Post]]) -> Select[tuple[Post]]:
    # Lists show author and tags for every post: the author joined into the page's own query
    # (one per post, so no extra rows), the tags in one more; not a query per post.
    return query.options(
        joinedload(Post.author), selectinload(Post.tags), joinedload(Post.cover_image)
    )


def _constant(value: object) -> ColumnElement[object]:
    """A value written into the SQL text rather than bound: psycopg prepares a statement after a
    few runs, and a generic plan cannot tell a tag on half the posts from one on ten."""
    return literal(value, literal_execute=True)


def with_tag(query: Select[tuple[Post]], tag_id: int) -> Select[tuple[Post]]:
    return query.join(post_tags, post_tags.c.post_id == Post.id).where(
        post_tags.c.tag_id == _constant(tag_id)
    )


def published_posts(
    *, tag: str | None = None, author: str | None = None, q: str | None = None
) -> Select[tuple[Post]]:
    """Published posts, newest first, optionally by tag slug, author username or search words.

    The filter and order match the partial indexes ix_posts_published_newest and
    ix_posts_author_published_newest, so a page walks an index instead of sorting every match.
    """
    query = _published_matching(select(Post), tag=tag, author=author, q=q)
    return _with_list_options(query.order_by(Post.published_at.desc(), Post.id.desc()))


def _published_matching(
    query: Select[tuple[object, ...]], *, tag: str | None, author: str | None, q: str | None
) -> Select[tuple[object, ...]]:
    query = query.where(Post.status == PostStatus.PUBLISHED)
    if tag:
        found = get_tag(tag)
        query = with_tag(query, found.id) if found else query.where(false())
    if author:
        writer = find_author(author)
        query = query.where(Post.author_id == writer.id) if writer else query.where(false())
    if q:
        query = apply_search(query, q)
    return query


def posts_by_author(author: User, *, include_unpublished: bool) -> Select[tuple[Post]]:
    query = select(Post).where(Post.author_id == author.id)
    if not include_unpublished:
        query = query.where(Post.status == PostStatus.PUBLISHED)
    return _with_list_options(
        query.order_by(Post.published_at.desc().nulls_first(), Post.created_at.desc())
    )


def own_posts(
    author: User, status: PostStatus, *, tag: str | None = None, q: str | None = None
) -> Select[tuple[Post]]:
    """`author`'s posts in `status` (their drafts, say), optionally with a tag slug or words."""
    query = posts_by_author(author, include_unpublished=True).where(Post.status == status)
    if tag:
        query = query.where(Post.tags.any(Tag.slug == tag))
    if q:
        query = apply_search(query, q)
    return query


def published_by(author: User) -> Select[tuple[Post]]:
    """An author's published posts, newest first (ix_posts_author_published_newest)."""
    query = select(Post).where(Post.status == PostStatus.PUBLISHED, Post.author_id == author.id)
    return _with_list_options(query.order_by(Post.published_at.desc(), Post.id.desc()))


def more_by_author(post: Post, limit: int) -> list[Post]:
    """The author's newest published posts other than `post`, for the foot of its page.

    The first `limit` + 1 entries of ix_posts_author_published_newest: a few index rows, however
    many posts the author has. Title, slug and date are all the list shows, so no relations,
    and only those columns: not the bodies, the largest part of a post's row.
    """
    query = (
        select(Post)
        .options(load_only(Post.slug, Post.title, Post.published_at))
        .where(
            Post.status == PostStatus.PUBLISHED,
            Post.author_id == post.author_id,
            Post.id != post.id,
        )
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def published_count(author: User) -> int:
    """How many posts `author` has published (ix_posts_author_published_newest)."""
    query = select(func.count()).where(
        Post.status == PostStatus.PUBLISHED, Post.author_id == author.id
    )
    return db.session.execute(query).scalar_one()


def unpublished_posts(author: User, page: int, per_page: int) -> Pagination:
    """A page of an author's drafts and scheduled posts, latest first (shown to the author and
    admins); ix_posts_author_unpublished serves both the page and its count."""
    query = select(Post).where(Post.author_id == author.id, Post.status != PostStatus.PUBLISHED)
    query = query.order_by(Post.created_at.desc(), Post.id.desc())
    return db.paginate(_with_list_options(query), page=page, per_page=per_page, error_out=False)


# --- keyset pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostWindow:
    """One page of a newest-first list, with the cursors (post ids) of its neighbours.

    `?before=<older>` shows the next older page and `?after=<newer>` the next newer one: each
    page is an index walk from a known key, so page 5,000 costs what page 1 does.
    """

    items: list[Post]
    older: int | None
    newer: int | None


def _key_of(post_id: int) -> tuple[datetime, int] | None:
    row = db.session.execute(
        select(Post.published_at, Post.id).where(
            Post.id == post_id, Post.status == PostStatus.PUBLISHED
        )
    ).first()
    return (row[0], row[1]) if row else None


# The last page number any listing serves, web or API: far beyond any real listing, and small
# enough that the OFFSET stays a valid SQL integer. Larger numbers are clamped or refused.
MAX_PAGE = 100_000


def newest_first_window(
    query: Select[tuple[Post]],
    *,
    per_page: int,
    before: int | None = None,
    after: int | None = None,
    page: int = 1,
) -> PostWindow:
    """A page of `query` (published posts, from published_posts) by keyset.

    `page` is the old offset style, still answered for links made before the cursors; it walks
    the same index, without counting every match.
    """
    key = tuple_(Post.published_at, Post.id)
    query = query.order_by(None)
    if before is not None:
        after = None  # one direction at a time; `before` wins, as the older link carries it
    if before is not None or after is not None:
        anchor = _key_of(before if before is not None else after)  # type: ignore[arg-type]
        if anchor is None:
            return PostWindow([], None, None)
        bound = tuple_(literal(anchor[0], Post.published_at.type), literal(anchor[1]))
    if after is not None:
        rows = list(
            db.session.execute(
                query.where(key > bound)
                .order_by(Post.published_at.asc(), Post.id.asc())
                .limit(per_page + 1)
            ).scalars()
        )
        more_newer = len(rows) > per_page
        items = rows[:per_page][::-1]
        return PostWindow(
            items,
            older=items[-1].id if items else None,
            newer=items[0].id if items and more_newer else None,
        )
    newest = query.order_by(Post.published_at.desc(), Post.id.desc())
    if before is not None:
        newest = newest.where(key < bound)
    else:
        newest = newest.offset((page - 1) * per_page)
    rows = list(db.session.execute(newest.limit(per_page + 1)).scalars())
    items = rows[:per_page]
    starts_later = before is not None or page > 1
    return PostWindow(
        items,
        older=items[-1].id if len(rows) > per_page else None,
        newer=items[0].id if items and starts_later else None,
    )


# --- search -------------------------------------------------------------------------------------


def search_terms(q: str) -> list[str]:
    """The words of a search, at most ten, as the one tokeniser both backends use."""
    return re.findall(r"\w+", q.lower())[:10]


def tsquery_text(words: list[str]) -> str:
    """Every word must match; the last one also as a prefix, for half-typed words."""
    terms = [f"'{word}'" for word in words]
    if len(words[-1]) >= 3:
        terms[-1] += ":*"
    return " & ".join(terms)


def ts_query(q: str) -> ColumnElement[object] | None:
    words = search_terms(q)
    if not words:
        return None
    return func.to_tsquery(_constant(SEARCH_CONFIG), _constant(tsquery_text(words)))


def apply_search(query: Select[tuple[Post]], q: str) -> Select[tuple[Post]]:
    """Posts whose title, tag names or text hold every word (the last one as a prefix too).

    Postgres matches the stored search document through its GIN index; other databases match
    each word with LIKE in the title, the text or a tag name.
    """
    words = search_terms(q)
    if not words:
        # Nothing searchable ("%", "--"): nothing matches, rather than everything.
        return query.where(false())
    if db.session.get_bind().dialect.name == "postgresql":
        return query.where(Post.search_vector.op("@@")(ts_query(q)))
    for word in words:
        # autoescape: wildcards are matched literally, so "%" alone must not match every post.
        query = query.where(
            or_(
                Post.title.icontains(word, autoescape=True),
                Post.body_markdown.icontains(word, autoescape=True),
                Post.tags.any(Tag.name.icontains(word, autoescape=True)),
            )
        )
    return query


@dataclass(frozen=True)
class SearchHit:
    post: Post
    # The passages of the text around the matched words, HTML-escaped, matches in <mark>.
    snippet: Markup | None


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    # Matches among the newest SEARCH_CANDIDATES; `capped` when there are more than that.
    total: int
    capped: bool
    page: int
    pages: int

    # What the page links need, named as on Flask-SQLAlchemy's Pagination.
    @property
    def snippets(self) -> dict[int, Markup]:
        return {hit.post.id: hit.snippet for hit in self.hits if hit.snippet is not None}

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return min(self.page - 1, self.pages)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


# Ranking reads every candidate's search document: the newest this many matches are ranked, so a
# word in half of a million posts costs what a rare one does.
SEARCH_CANDIDATES = 500
# Marks put around matches by ts_headline: characters no escaping produces, swapped for <mark>.
_START, _STOP = "\x02", "\x03"
_HEADLINE = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=30, MinWords=12, MaxFragments=2, '
    'FragmentDelimiter=" … "'
)


def _snippet(text: str | None) -> Markup | None:
    if not text:
        return None
    if text.count(_START) != text.count(_STOP):
        # The text itself held a mark character: show it unmarked rather than unbalanced.
        text = text.replace(_START, "").replace(_STOP, "")
    # Escaping leaves the marks alone, so they are swapped only after it.
    return escape(text).replace(_START, Markup("<mark>")).replace(_STOP, Markup("</mark>"))


def search_posts(
    q: str,
    *,
    page: int = 1,
    per_page: int = 20,
    tag: str | None = None,
    author: str | None = None,
    snippets: bool = True,
) -> SearchResults:
    """Published posts matching `q`, best first: title matches above tag names above the text.

    On Postgres the newest SEARCH_CANDIDATES matches are ranked by ts_rank_cd over the weighted
    search document (newer first among equals) and each hit gets a highlighted snippet (unless
    `snippets` is false: the API shows none);
    elsewhere matches come newest first without snippets.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    query = ts_query(q) if postgres else None
    if query is None:
        window = db.paginate(
            published_posts(q=q, tag=tag, author=author),
            page=page,
            per_page=per_page,
            error_out=False,
            count=True,
        )
        total = window.total or 0
        hits = [SearchHit(post, None) for post in window.items]
        return SearchResults(hits, total, False, page, max(1, -(-total // per_page)))
    rank = func.ts_rank_cd(Post.search_vector, query)
    candidates = (
        _published_matching(
            select(Post.id, Post.published_at, rank.label("rank")), tag=tag, author=author, q=q
        )
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(SEARCH_CANDIDATES + 1)
        .subquery()
    )
    ranked = db.session.execute(
        select(candidates.c.id, func.count().over().label("total"))
        .order_by(
            candidates.c.rank.desc(), candidates.c.published_at.desc(), candidates.c.id.desc()
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    if ranked:
        found = ranked[0].total
    elif page > 1:
        found = db.session.execute(select(func.count()).select_from(candidates)).scalar_one()
    else:
        found = 0
    capped = found > SEARCH_CANDIDATES
    total = min(found, SEARCH_CANDIDATES)
    ids = [row.id for row in ranked]
    by_id = {
        post.id: post
        for post in db.session.execute(
            _with_list_options(select(Post).where(Post.id.in_(ids)))
        ).scalars()
    }
    headlines = (
        dict(
            db.session.execute(
                select(
                    Post.id,
                    func.ts_headline(
                        _constant(SEARCH_CONFIG),
                        Post.body_markdown,
                        query,
                        _constant(_HEADLINE),
                    ),
                ).where(Post.id.in_(ids))
            ).all()
        )
        if ids and snippets
        else {}
    )
    hits = [SearchHit(by_id[i], _snippet(headlines.get(i))) for i in ids if i in by_id]
    return SearchResults(hits, total, capped, page, max(1, -(-total // per_page)))


def find_author(username: str) -> User | None:
    """The user whose username is `username` in any case (author pages are addressed by it)."""
    return db.session.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()
