"""The one place Markdown becomes HTML: rendered with markdown-it-py, then sanitised with nh3."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

from folio_common import markdown_images

# Raw HTML in Markdown is allowed through the parser only to be filtered by nh3 below.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
_md.use(markdown_images.own_images)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": markdown_images.IMG_ATTRIBUTES,
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Safe HTML for `text`: no scripts, no event handlers, no `javascript:` or `data:` URLs."""
    html = _md.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=markdown_images.keep_attribute,
    )
    return markdown_images.drop_images_without_source(cleaned)


def plain_summary(text: str, length: int = 280) -> str:
    """A plain-text teaser of the Markdown source, for index pages and feeds.

    Plain text, not HTML: "Fish & chips" stays that, and templates, feeds and the API escape it
    once, at output. (nh3 returns HTML, so its entities are decoded here.)
    """
    plain = html.unescape(nh3.clean(_md.render(text or ""), tags=set())).strip()
    plain = " ".join(plain.split())
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"
