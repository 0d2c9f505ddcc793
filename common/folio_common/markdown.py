"""The one place Markdown becomes HTML: rendered with markdown-it-py, then sanitised with nh3.

Posts get the full set (tables, fenced code highlighted by Pygments, images); comments get a
small subset (emphasis, code, links). Both are rendered once, on save, and stored: pages never
render Markdown per request, and the editor's preview calls the very same `render_markdown`.
"""

from __future__ import annotations

import html
import math
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from folio_common import markdown_images

# Pygments styles of the two code stylesheets (web/folio_web/static/css/code-*.css): every token
# colour of these two keeps a contrast of 5:1 or more against the code block's background.
CODE_STYLES = {"light": "xcode", "dark": "github-dark"}
# The CSS class of a highlighted block; the stylesheets scope their rules under it.
CODE_CLASS = "highlight"
# Words a reader gets through in a minute (a common figure for reading on a screen).
WORDS_PER_MINUTE = 230

_formatter = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """A fenced block in a language Pygments knows, as token spans; "" leaves it plain.

    Blocks without a language stay plain: guessing is slow and often wrong.
    """
    name = lang.split(maxsplit=1)[0].lower() if lang.strip() else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    spans = highlight(code, lexer, _formatter)
    # Starting with "<pre", markdown-it uses it as the whole block.
    return (
        f'<pre class="{CODE_CLASS}"><code class="language-{html.escape(name)}">'
        f"{spans}</code></pre>\n"
    )


def _align_cells_by_class(state: StateCore) -> None:
    """Column alignment as a class: markdown-it writes a style attribute, which nh3 drops and
    the CSP (no inline styles) would refuse anyway."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))


# Raw HTML in Markdown is allowed through the parser only to be filtered by nh3 below.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "highlight": _highlight}).enable(
    ["table", "strikethrough"]
)
_md.core.ruler.push("align_cells_by_class", _align_cells_by_class)
_md.use(markdown_images.own_images)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": markdown_images.IMG_ATTRIBUTES,
    "code": {"class"},
}
# Only Pygments' own token classes: raw HTML cannot borrow the site's classes to look official.
CELL_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {
    "pre": {CODE_CLASS},
    "th": CELL_CLASSES,
    "td": CELL_CLASSES,
    "span": {name for name in STANDARD_TYPES.values() if name},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# Comments: paragraphs, line breaks, emphasis, inline code and links; no raw HTML, images,
# headings, lists or tables. Links carry rel="nofollow ugc": readers' links earn no ranking.
_comment_md = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "backticks", "link", "autolink", "escape", "newline"]
)
COMMENT_TAGS = {"p", "br", "em", "strong", "code", "a"}
COMMENT_ATTRIBUTES = {"a": {"href"}}
COMMENT_LINK_REL = "nofollow ugc noopener noreferrer"

# nh3 adds `rel` to every <a>, also to one whose unsafe address it dropped; HTML allows `rel`
# only beside an href, and crawlers report such a placeholder as a broken link.
_ANCHOR_WITHOUT_HREF_REL = re.compile(r'<a(?![^>]*\shref=")([^>]*?) rel="[^"]*"')


def render_markdown(text: str) -> str:
    """Safe HTML for `text`: no scripts, no event handlers, no `javascript:` or `data:` URLs."""
    html = _md.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=markdown_images.keep_attribute,
    )
    return _ANCHOR_WITHOUT_HREF_REL.sub(
        r"<a\1", markdown_images.drop_images_without_source(cleaned)
    )


def render_comment(text: str) -> str:
    """Safe HTML for a comment, from the small Markdown subset comments allow."""
    return nh3.clean(
        _comment_md.render(text or ""),
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=COMMENT_LINK_REL,
    )


def _plain_text(rendered_html: str) -> str:
    # nh3 returns HTML, so its entities are decoded here.
    return html.unescape(nh3.clean(rendered_html, tags=set()))


def plain_summary(text: str, length: int = 280) -> str:
    """A plain-text teaser of the Markdown source, for index pages and feeds.

    Plain text, not HTML: "Fish & chips" stays that, and templates, feeds and the API escape it
    once, at output.
    """
    plain = " ".join(_plain_text(_md.render(text or "")).split())
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"


def count_words(rendered_html: str) -> int:
    """Words a reader sees in rendered HTML (markup and Markdown syntax are not words)."""
    return len(re.findall(r"\w[\w'’-]*", _plain_text(rendered_html)))


def reading_minutes(words: int) -> int:
    """Minutes to read `words`, rounded up; at least one for any text."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0


def code_stylesheet(scheme: str) -> str:
    """The CSS of the code stylesheet for `scheme` ("light" or "dark"), scoped to code blocks."""
    formatter = HtmlFormatter(style=CODE_STYLES[scheme])
    scope = f"pre.{CODE_CLASS}"
    rules = "\n".join(
        formatter.get_background_style_defs(scope) + formatter.get_token_style_defs(scope)
    )
    header = f"/* Code colours, {scheme} scheme: Pygments style {CODE_STYLES[scheme]!r}. */\n"
    return header + rules + "\n"
