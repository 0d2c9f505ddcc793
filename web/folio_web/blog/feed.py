"""Atom 1.0 feeds of the latest published posts, for the whole site and per tag.

Built with ElementTree rather than a template, so titles and HTML bodies are always escaped
and the document is always well-formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import Response, abort, url_for
from sqlalchemy import Select

from folio_common.extensions import db
from folio_common.models import Post, utcnow
from folio_common.services import posts
from folio_web.blog import bp
from folio_web.page_cache import cached_page

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 20


def _timestamp(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _entry_id(post: Post, host: str) -> str:
    # A tag URI stays the same when the site moves or the post's slug changes.
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post-{post.id}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def build_feed(title: str, self_url: str, site_url: str, entries: Sequence[Post]) -> bytes:
    host = urlsplit(site_url).hostname or "localhost"
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
        _add(entry, "id", _entry_id(post, host))
        _add(entry, "title", post.title)
        post_url = url_for("blog.post", slug=post.slug, _external=True)
        _add(entry, "link", rel="alternate", type="text/html", href=post_url)
        _add(entry, "published", _timestamp(post.published_at or post.created_at))
        _add(entry, "updated", _timestamp(post.updated_at))
        author = _add(entry, "author")
        _add(author, "name", post.author.name)
        _add(author, "uri", url_for("blog.author", username=post.author.username, _external=True))
        for tag in post.tags:
            _add(
                entry,
                "category",
                term=tag.slug,
                label=tag.name,
                scheme=url_for("blog.tags", _external=True),
            )
        if post.summary:
            _add(entry, "summary", post.summary, type="text")
        _add(entry, "content", post.body_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _feed_response(
    title: str, self_url: str, site_url: str, query: Select[tuple[Post]]
) -> Response:
    entries = db.session.execute(query.limit(FEED_SIZE)).scalars().all()
    return Response(build_feed(title, self_url, site_url, entries), mimetype="application/atom+xml")


@bp.get("/feed.atom")
@cached_page()
def feed() -> Response:
    return _feed_response(
        "Folio",
        url_for("blog.feed", _external=True),
        url_for("blog.index", _external=True),
        posts.published_posts(),
    )


@bp.get("/tags/<slug>/feed.atom")
@cached_page()
def tag_feed(slug: str) -> Response:
    tag = posts.get_tag(slug)
    if tag is None:
        abort(404)
    return _feed_response(
        f"Folio · {tag.name}",
        url_for("blog.tag_feed", slug=tag.slug, _external=True),
        url_for("blog.tag", slug=tag.slug, _external=True),
        posts.published_posts(tag=tag.slug),
    )
