"""Atom 1.0 feeds of the latest published posts: the whole site, each tag, each author.

Built with ElementTree rather than a template, so titles and HTML bodies are always escaped
and the document is always well-formed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import ParamSpec
from xml.etree import ElementTree as ET

from flask import Response, abort, request
from sqlalchemy import Select

from folio_common.extensions import db
from folio_common.links import public_host, public_url_for
from folio_common.models import Post, utcnow
from folio_common.services import posts
from folio_web.blog import bp
from folio_web.page_cache import cached_page

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 20

P = ParamSpec("P")


def _timestamp(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _entry_id(post: Post) -> str:
    # A tag URI on the configured host: the same for every reader, and when the slug changes.
    return f"tag:{public_host()},{post.created_at:%Y-%m-%d}:post-{post.id}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def build_feed(title: str, self_url: str, site_url: str, entries: Sequence[Post]) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    latest = max((post.updated_at for post in entries), default=None)
    _add(feed, "updated", _timestamp(latest or utcnow()))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=site_url)
    _add(feed, "generator", "Folio")
    for post in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", _entry_id(post))
        _add(entry, "title", post.title)
        post_url = public_url_for("blog.post", slug=post.slug)
        _add(entry, "link", rel="alternate", type="text/html", href=post_url)
        _add(entry, "published", _timestamp(post.published_at or post.created_at))
        _add(entry, "updated", _timestamp(post.updated_at))
        author = _add(entry, "author")
        _add(author, "name", post.author.name)
        _add(author, "uri", public_url_for("blog.author", username=post.author.username))
        for tag in post.tags:
            _add(
                entry,
                "category",
                term=tag.slug,
                label=tag.name,
                scheme=public_url_for("blog.tags"),
            )
        if post.summary:
            _add(entry, "summary", post.summary, type="text")
        _add(entry, "content", post.body_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _feed_response(
    title: str, endpoint: str, page_endpoint: str, query: Select[tuple[Post]], **values: str
) -> Response:
    """The feed at `endpoint` of the posts `query` selects, beside the page at `page_endpoint`."""
    entries = db.session.execute(query.limit(FEED_SIZE)).scalars().all()
    self_url = public_url_for(endpoint, **values)
    body = build_feed(title, self_url, public_url_for(page_endpoint, **values), entries)
    response = Response(body, mimetype="application/atom+xml")
    # Validators travel with the cached copy; `conditional` answers 304 from them.
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    latest = max((post.updated_at for post in entries), default=None)
    if latest is not None:
        response.last_modified = latest.replace(microsecond=0)
    return response


def conditional(view: Callable[P, Response]) -> Callable[P, Response]:
    """304 Not Modified when the reader's If-None-Match / If-Modified-Since still hold.

    Outside the page cache, so a cached feed is compared with each reader's validators.
    """

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        response = view(*args, **kwargs)
        if response.status_code == 200:
            response = response.make_conditional(request)
        return response

    return wrapper


def feed_route(rule: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """A feed's route: from the page cache (it shows nothing of the reader), then 304 against
    the reader's validators."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        return bp.get(rule)(conditional(cached_page(personal=False)(view)))

    return decorate


@feed_route("/feed.atom")
def feed() -> Response:
    return _feed_response("Folio", "blog.feed", "blog.index", posts.published_posts())


@feed_route("/tags/<slug>/feed.atom")
def tag_feed(slug: str) -> Response:
    tag = posts.get_tag(slug) or abort(404)
    query = posts.published_posts(tag=tag.slug)
    return _feed_response(f"Folio · {tag.name}", "blog.tag_feed", "blog.tag", query, slug=tag.slug)


@feed_route("/authors/<username>/feed.atom")
def author_feed(username: str) -> Response:
    author = posts.find_author(username) or abort(404)
    query = posts.published_posts(author=author.username)
    return _feed_response(
        f"Folio · {author.name}", "blog.author_feed", "blog.author", query, username=author.username
    )
