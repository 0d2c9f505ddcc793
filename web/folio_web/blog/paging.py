"""The query arguments of the public pages (`?page=`, `?before=`, `?after=`, `?q=`), read so
that no value can fail.

The page cache keys on these same readings, so a page's cache key holds exactly what the page
depends on: unknown arguments, and spellings that read the same, share one entry.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from folio_common.services.posts import MAX_PAGE

# Longer searches are cut: no one types more, and the cache key stays small.
MAX_QUERY_LENGTH = 200


def page_number(name: str = "page") -> int:
    # `type=int` turns "abc" or "1.5" into the default instead of raising; ranges are clamped.
    page = request.args.get(name, 1, type=int)
    return min(max(page, 1), MAX_PAGE)


# Post ids are SQL integers: anything larger cannot name a post.
MAX_CURSOR = 2**31 - 1


def cursor(name: str) -> int | None:
    """A `?before=` or `?after=` post id, or None when absent or not a usable id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_CURSOR else None


def search_query() -> str:
    """`?q=` with runs of white space made one space, at most MAX_QUERY_LENGTH characters."""
    return " ".join(request.args.get("q", "").split())[:MAX_QUERY_LENGTH].strip()


# Each argument a cached page may depend on, and how it is read.
ARGUMENTS: dict[str, Callable[[], object]] = {
    "page": page_number,
    "before": lambda: cursor("before"),
    "after": lambda: cursor("after"),
    "q": search_query,
}
