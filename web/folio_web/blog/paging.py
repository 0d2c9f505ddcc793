"""The `?page=` argument of every paginated page, read so that no value can make it fail."""

from __future__ import annotations

from flask import request

# Larger page numbers only produce empty pages; capping them keeps the OFFSET a sane integer.
MAX_PAGE = 10_000


def page_number() -> int:
    # `type=int` turns "abc" or "1.5" into the default instead of raising; ranges are clamped.
    page = request.args.get("page", 1, type=int)
    return min(max(page, 1), MAX_PAGE)
