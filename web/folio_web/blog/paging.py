"""The `?page=`, `?before=` and `?after=` arguments of paginated pages, read so that no value
can make them fail."""

from __future__ import annotations

from flask import request

# Larger page numbers only produce empty pages; capping them keeps the OFFSET a sane integer.
MAX_PAGE = 10_000


def page_number() -> int:
    # `type=int` turns "abc" or "1.5" into the default instead of raising; ranges are clamped.
    page = request.args.get("page", 1, type=int)
    return min(max(page, 1), MAX_PAGE)


# Post ids are SQL integers: anything larger cannot name a post.
MAX_CURSOR = 2**31 - 1


def cursor(name: str) -> int | None:
    """A `?before=` or `?after=` post id, or None when absent or not a usable id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_CURSOR else None
