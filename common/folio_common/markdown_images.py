"""Images in Markdown: this site's own are shown with srcset, others become links.

The rule (docs/writing.md): an image whose address is one of this site's uploads
(`/media/...`) is shown as an <img> with its width, height, `loading="lazy"` and, once the
worker has made them, its WebP sizes in `srcset`. Any other image address is not loaded by
readers' browsers (the CSP allows images from this site only): Markdown images become a link
to the address, with the alt text as the link's text, and raw <img> tags lose the address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from flask import has_app_context
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from folio_common import media
from folio_common.services import images

# What nh3 keeps on <img>: the attributes the renderer below writes.
IMG_ATTRIBUTES = {
    "src",
    "alt",
    "title",
    "width",
    "height",
    "srcset",
    "sizes",
    "loading",
    "decoding",
}
# nh3's output is serialised by html5ever: attributes are double-quoted, tags well formed.
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=\")[^>]*>")


def own_images(md: MarkdownIt) -> None:
    """markdown-it plugin: render image tokens by the rule above."""
    md.add_render_rule("image", _render_image)


def _render_image(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    title = token.attrGet("title")
    key = media.own_image_key(src)
    if key is None:
        text = alt or src
        return f'<a href="{escape(src)}">{escape(text)}</a>'
    attributes = {"src": src, "alt": alt, "loading": "lazy", "decoding": "async"}
    # Outside an app context (a script rendering text) there is no database to ask.
    image = images.find_by_key(key) if has_app_context() else None
    if image is not None and src == images.original_url(image):
        attributes = {**images.img_attributes(image), "alt": alt}
    if title:
        attributes["title"] = str(title)
    return media.img_tag(attributes)


def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: image addresses must be this site's own."""
    if tag != "img":
        return value
    if attribute == "src":
        return value if media.own_image_key(value) else None
    if attribute == "srcset":
        return value if media.is_own_srcset(value) else None
    return value


def drop_images_without_source(html: str) -> str:
    """Raw <img> tags whose address the filter removed would show as broken images."""
    return _IMG_WITHOUT_SRC.sub("", html)
